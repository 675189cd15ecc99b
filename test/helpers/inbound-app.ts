import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp, type AppDeps } from '../../src/app';
import { parseConfig, type Config } from '../../src/config';
import type { EventRow } from '../../src/db/event-repository';
import type { Repositories } from '../../src/db/repositories';
import type { Source } from '../../src/db/source-repository';
import { signV1 } from '../../src/domain/signature';
import { normalizeEvent, toEventRow, type EventDraft } from '../../src/events/normalized-event';
import { loadAsnTable } from '../../src/inbound/asn-table';
import { createIpWhitelist } from '../../src/inbound/ip-whitelist';
import { createLogger } from '../../src/logger';
import { createTransformRegistry } from '../../src/transforms/registry';

export const SECRET = 'unit-inbound-secret';
export const ASN_SAMPLE = join(__dirname, '..', 'fixtures', 'asn-sample.tsv');
/** A fixed clock, 2027-01-15T08:00:00Z, so clock-skew edges are exact. */
export const NOW_MS = Date.UTC(2027, 0, 15, 8, 0, 0);
export const NOW_S = NOW_MS / 1000;

/** A dispatcher that records what it is asked to dispatch and answers repeats of a key as duplicates. */
export function createFakeDispatcher() {
  const keys = new Map<string, EventRow>();
  const drafts: EventDraft[] = [];
  return {
    drafts,
    waitResult: null as { eventId: string; deliveries: number } | null,
    async dispatch(draft: EventDraft) {
      // The real dispatcher normalizes first: a draft it refuses is never dispatched.
      const normalized = normalizeEvent(draft, new Date(NOW_MS));
      drafts.push(draft);
      const known = keys.get(normalized.id);
      const event = known ?? ({ ...toEventRow(normalized), receivedAt: normalized.receivedAt } as EventRow);
      keys.set(normalized.id, event);
      return { status: known ? ('duplicate' as const) : ('received' as const), event, workflowId: event.workflowId };
    },
    async waitForResult(_workflowId: string, _ms: number) {
      return this.waitResult;
    },
    async startWorkflow() {
      return true;
    },
  };
}

export type FakeDispatcher = ReturnType<typeof createFakeDispatcher>;

/** Stored sources held in memory, as the source repository returns them. */
export function sourceRow(overrides: Partial<Source> & Pick<Source, 'name' | 'verifier' | 'secrets'>): Source {
  return {
    verifyToken: null,
    ipWhitelist: [],
    maxClockSkew: null,
    orderingKeyPointer: null,
    active: true,
    createdAt: new Date(NOW_MS),
    updatedAt: new Date(NOW_MS),
    ...overrides,
  };
}

export interface TestGateway {
  app: FastifyInstance;
  config: Config;
  dispatcher: FakeDispatcher;
  /** POSTs a generic event to the unnamed path, signed with SECRET unless told otherwise. */
  send(body: unknown, options?: { secret?: string | null; headers?: Record<string, string>; remoteAddress?: string }): Promise<{ status: number; json: any; headers: Record<string, unknown> }>;
  inject(options: InjectOptions): Promise<{ status: number; json: any; headers: Record<string, unknown>; body: string }>;
  close(): Promise<void>;
}

/** The real app with a fake dispatcher, in-memory sources and a fixed clock: no Temporal, no database. */
export async function buildTestGateway(env: Record<string, string> = {}, sources: Source[] = []): Promise<TestGateway> {
  const config = parseConfig({ ADMIN_TOKEN: 'unit-admin-token-0123456789', WEBHOOK_INBOUND_SECRET: SECRET, LOG_LEVEL: 'silent', ...env });
  const asnTable = config.WEBHOOK_ASN_DB ? loadAsnTable(config.WEBHOOK_ASN_DB) : null;
  const dispatcher = createFakeDispatcher();
  const byName = new Map(sources.map((s) => [s.name, s]));
  const repos = { sources: { get: async (name: string) => byName.get(name) } } as unknown as Repositories;
  const deps = {
    config,
    repos,
    dispatcher,
    transforms: createTransformRegistry(),
    whitelist: createIpWhitelist(config.WEBHOOK_IP_WHITELIST, asnTable),
    asnTable,
    logger: createLogger('silent'),
    adminToken: config.ADMIN_TOKEN!,
    inboundSecrets: config.WEBHOOK_INBOUND_SECRET ? config.WEBHOOK_INBOUND_SECRET.split(',') : [],
    clock: () => NOW_MS,
    control: {},
    temporalUiUrl: null,
  };
  const app = await buildApp(deps as unknown as AppDeps);
  const inject = async (options: InjectOptions) => {
    const res = await app.inject(options);
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, json, headers: res.headers, body: res.body };
  };
  return {
    app,
    config,
    dispatcher,
    inject,
    send(body, options = {}) {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const secret = options.secret === undefined ? SECRET : options.secret;
      return inject({
        method: 'POST',
        url: config.WEBHOOK_INBOUND_PATH,
        payload: raw,
        remoteAddress: options.remoteAddress,
        headers: { 'content-type': 'application/json', ...(secret ? { 'x-signature': signV1(raw, secret) } : {}), ...options.headers },
      });
    },
    close: () => app.close(),
  };
}

/** A valid generic body at the fixed clock; override any field. */
export function envelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { event: 'order.created', timestamp: NOW_S, data: { order: 42 }, id: 'ord-42', ...overrides };
}
