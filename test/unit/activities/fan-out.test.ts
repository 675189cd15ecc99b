import { MockActivityEnvironment } from '@temporalio/testing';
import type { AttemptRecord, DeliveryForAttempt } from '../../../src/db/delivery-repository';
import type { Repositories } from '../../../src/db/repositories';
import type { DeliveryStarter } from '../../../src/deliveries/delivery-starter';
import { createAdmission } from '../../../src/engine/admission';
import { createLogger } from '../../../src/logger';
import type { OutboundClient } from '../../../src/net/outbound-client';
import { createTransformRegistry } from '../../../src/transforms/registry';
import type { AttemptResult, FanOutPage } from '../../../workflows/types';
import { createFanOutActivities } from '../../../activities/fan-out';
import { PAGE_ADMISSION_WAIT_MS } from '../../../src/engine/page-timeouts';
import { attemptTimeoutMs } from '../../../src/domain/attempt-timeout';
import type { ActivityDeps } from '../../../activities/deps';

// The fan-out page isolates its items: a throwing transform, a receiver whose answer cannot be
// recorded, a failing 410 write each become that delivery's outcome, never the page's exception.

const event = { id: 'evt_1', source: 'api', externalId: 'x', type: 'order.created', payload: { a: 1 }, occurredAt: new Date(), agentId: null, receivedAt: new Date(), workflowId: 'event/evt_1', workflowStartedAt: new Date(), status: 'dispatched' as const, payloadExpiredAt: null, vetoReason: null, orderingKey: null, sequence: 1 };

function subscriber(id: string, extra: Record<string, unknown> = {}) {
  return { id, clientId: null, name: null, description: null, url: `http://127.0.0.1/${id}`, secret: 'whsec_c2VjcmV0', previousSecret: null, previousSecretExpiresAt: null, signingKey: null, previousSigningKey: null, previousSigningKeyExpiresAt: null, events: ['*'], active: true, signatureVersion: 'both' as const, transform: null, headers: {}, disabledReason: null, maxInFlight: null, rateLimitPerSecond: null, rateLimitBurst: null, orderedDelivery: false, orderingOnDead: 'block' as const, createdAt: new Date(), updatedAt: new Date(), ...extra };
}

function fixture(subs: ReturnType<typeof subscriber>[], options: { failRecordFor?: string; http?: OutboundClient['post'] } = {}) {
  const rows: DeliveryForAttempt[] = subs.map((s) => ({
    event,
    subscriber: s,
    delivery: { id: `dlv_${s.id}`, eventId: event.id, subscriberId: s.id, eventType: event.type, status: 'pending', attempts: 0, lastResponseCode: null, lastError: null, nextAttemptAt: null, requestBody: null, workflowId: `event/evt_1/sub/${s.id}`, replayOf: null, workflowStartedAt: null, orderingKey: null, sequence: null, createdAt: new Date(), updatedAt: new Date(), completedAt: null },
  }));
  const recorded: AttemptRecord[] = [];
  const handedOff: { id: string; first: AttemptResult | null }[] = [];
  const posts: string[] = [];
  const repos = {
    subscribers: { pageMatching: async () => subs.map((s) => ({ id: s.id, url: s.url })), setActive: async () => { throw new Error('database refused the write'); } },
    deliveries: { createPage: async () => ({ event, rows }) },
    events: { setStatus: async () => undefined, setManyStatus: async () => undefined },
  } as unknown as Repositories;
  const deps: ActivityDeps = {
    repos,
    http: {
      post: options.http ?? (async (req) => { posts.push(req.url); return { statusCode: 200, headers: {}, body: 'ok' }; }),
      close: async () => undefined,
    },
    transforms: createTransformRegistry({ explode: () => { throw new Error('boom'); } }),
    logger: createLogger('silent'),
    admission: createAdmission(4),
    recorder: {
      record: async (r) => {
        if (r.log.subscriberId === options.failRecordFor) throw new Error('invalid byte sequence');
        recorded.push(r);
      },
    },
    starter: { start: async (row: { id: string }, _url: string, first: AttemptResult | null) => { handedOff.push({ id: row.id, first }); return true; }, inputFor: () => { throw new Error('unused'); } } as unknown as DeliveryStarter,
    events: { dispatch: async () => { throw new Error('unused'); } },
    config: { retryDelaysMs: [1000, 5000], timeoutMs: 1000, fastPath: true, batchConcurrency: 8, admissionWaitMs: 1000 },
    adminUrl: null,
  };
  return { deps, recorded, handedOff, posts };
}

/** A fan-out activity's context, with its real start-to-close timeout (the mock's default is a second). */
const pageEnv = () => new MockActivityEnvironment({ startToCloseTimeoutMs: 15 * 60_000 });

const input = { eventId: 'evt_1', eventType: 'order.created', cursor: null, limit: 500 };

describe('fanOutBatch', () => {
  it('fails only the delivery whose transform throws, and sends the rest once', async () => {
    const f = fixture([subscriber('a'), subscriber('b', { transform: 'explode' }), subscriber('c')]);
    const page: FanOutPage = await pageEnv().run(createFanOutActivities(f.deps).fanOutBatch, input);
    expect(page.firstAttempts).toEqual({ succeeded: 2, failed: 1 });
    expect(f.posts.sort()).toEqual(['http://127.0.0.1/a', 'http://127.0.0.1/c']);
    const b = f.recorded.find((r) => r.log.subscriberId === 'b')!;
    expect(b.log).toMatchObject({ outcome: 'refused', error: expect.stringMatching(/boom/) });
    expect(b.update.status).toBe('failed');
  });

  it('hands an attempt it could not record to its delivery workflow, marked unlogged, instead of failing the page', async () => {
    const f = fixture([subscriber('a'), subscriber('b')], { failRecordFor: 'b' });
    const page: FanOutPage = await pageEnv().run(createFanOutActivities(f.deps).fanOutBatch, input);
    expect(page.firstAttempts.succeeded).toBe(1);
    expect(f.handedOff).toEqual([{ id: 'dlv_b', first: expect.objectContaining({ attempt: 1, outcome: 'success', logged: false, requestBody: expect.stringContaining('"order.created"') }) }]);
  });

  it('hands a failed first attempt to its workflow at once, and survives a failed 410 deactivation', async () => {
    const f = fixture([subscriber('ok'), subscriber('fails'), subscriber('gone')], {
      http: async (req) => ({ statusCode: req.url.endsWith('fails') ? 500 : req.url.endsWith('gone') ? 410 : 200, headers: {}, body: '' }),
    });
    const page: FanOutPage = await pageEnv().run(createFanOutActivities(f.deps).fanOutBatch, input);
    expect(page.firstAttempts).toEqual({ succeeded: 1, failed: 1 });
    expect(f.handedOff.map((x) => x.id)).toEqual(['dlv_fails']);
    expect(page.handedOff).toBe(1);
  });

  it('hands what it has not begun to their workflows once the rest would outlive its timeout', async () => {
    // One lane, POSTs of 300 ms: the page has time for a few before its reserve for one more
    // delivery (admission wait plus attempt timeout) would run past its start-to-close timeout.
    const posted: string[] = [];
    const f = fixture(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => subscriber(id)), {
      http: async (req) => {
        posted.push(req.url);
        await new Promise((r) => setTimeout(r, 300));
        return { statusCode: 200, headers: {}, body: 'ok' };
      },
    });
    f.deps.config.batchConcurrency = 1;
    const reserve = PAGE_ADMISSION_WAIT_MS + attemptTimeoutMs(f.deps.config.timeoutMs);
    const env = new MockActivityEnvironment({ startToCloseTimeoutMs: reserve + 1_000, isLocal: true });
    const page: FanOutPage = await env.run(createFanOutActivities(f.deps).fanOutBatch, input);
    expect(posted.length).toBeGreaterThanOrEqual(2);
    expect(posted.length).toBeLessThanOrEqual(5);
    expect(page.firstAttempts.succeeded).toBe(posted.length);
    expect(f.handedOff).toHaveLength(8 - posted.length);
    expect(f.handedOff.every((x) => x.first === null)).toBe(true);
    expect(page.handedOff).toBe(8 - posted.length);
  });

  it('heartbeats after every attempt', async () => {
    const f = fixture(['a', 'b', 'c', 'd', 'e'].map((id) => subscriber(id)));
    const env = pageEnv();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    await env.run(createFanOutActivities(f.deps).fanOutBatch, input);
    expect(beats.length).toBeGreaterThanOrEqual(5);
  });
});
