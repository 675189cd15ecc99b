import type { AttemptRecord, DeliveryForAttempt } from '../src/db/delivery-repository';
import { signingSecrets } from '../src/db/subscriber-repository';
import { attemptResult, classifyResponse, decide, recordedStatus } from '../src/domain/attempt-outcome';
import { redactHeaders } from '../src/domain/header-redaction';
import { storableJson, storableText } from '../src/domain/storable-text';
import { signatureHeaders, signingKeysAt } from '../src/domain/signature';
import { TargetRefusedError } from '../src/net/outbound-client';
import { deliveryEnvelope } from '../src/transforms/registry';
import { bodyHash } from '../src/db/frozen-bodies';
import type { AttemptResult } from '../workflows/types';
import type { ActivityDeps } from './deps';
import { tellDisabled } from '../src/protection/health-events';

// One signed POST and what it means: shared by the single-attempt activity of a delivery
// workflow and by the fan-out's first-attempt batch. Whatever goes wrong for one delivery (a
// transform that throws, a header that cannot be sent, a receiver's odd answer) becomes that
// delivery's own result; nothing here throws.

export const USER_AGENT = 'AI-Agent-Webhook/1.0';

export interface Attempted {
  result: AttemptResult;
  record: AttemptRecord;
}

type AttemptDeps = Pick<ActivityDeps, 'http' | 'transforms' | 'config' | 'logger'>;

interface Prepared {
  body: string;
  headers: Record<string, string>;
  /** Set when the body was rendered now, to be frozen. */
  hash?: string;
}

/** The exact bytes and headers of an attempt. Throws when the request cannot be built (a transform that throws). */
/**
 * Bodies already rendered for one loaded event, by transform: a fan-out page shares one event
 * object across its rows, so a 1 MiB payload to 500 subscribers is serialised once per
 * transform, not once per delivery. Transforms are pure (SPEC S11), so the bytes are the same.
 */
const rendered = new WeakMap<object, Map<string | null, Rendered>>();

/** A body rendered for a page, with its hash, computed once too (src/db/frozen-bodies.ts writes it once under that hash). */
interface Rendered {
  body: string;
  hash: string;
}

function render(deps: AttemptDeps, row: DeliveryForAttempt): Rendered {
  const { event, subscriber } = row;
  let byTransform = rendered.get(event);
  if (!byTransform) rendered.set(event, (byTransform = new Map()));
  const cached = byTransform.get(subscriber.transform);
  if (cached !== undefined) return cached;
  const timestamp = Math.floor((event.occurredAt ?? event.receivedAt).getTime() / 1000);
  const about = { id: event.id, type: event.type, timestamp, agentId: event.agentId };
  const body = deps.transforms.render(subscriber.transform, about, deliveryEnvelope(about, event.payload));
  const made = { body, hash: bodyHash(body) };
  byTransform.set(subscriber.transform, made);
  return made;
}

function prepare(deps: AttemptDeps, row: DeliveryForAttempt, attempt: number, at: number): Prepared {
  const { delivery, event, subscriber } = row;
  const lineage = delivery.replayOf ?? delivery.id;
  const fresh = delivery.requestBody === null ? render(deps, row) : null;
  const body = fresh?.body ?? delivery.requestBody!;
  const headers: Record<string, string> = {
    ...subscriber.headers,
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-agent-id': event.agentId ?? '',
    'x-webhook-event': event.type,
    'x-webhook-delivery': lineage,
    'x-webhook-attempt': String(attempt),
    ...(delivery.replayOf ? { 'x-webhook-replay': delivery.id } : {}),
    ...signatureHeaders({
      deliveryId: lineage,
      body,
      secrets: signingSecrets(subscriber, new Date(at)),
      signingKeys: signingKeysAt(subscriber, new Date(at)),
      versions: subscriber.signatureVersion,
      timestampSeconds: Math.floor(at / 1000),
    }),
  };
  return { body, headers, hash: fresh?.hash };
}

/** Sends attempt `attempt` of a loaded delivery. Never throws: every failure is the delivery's result. */
export async function sendAttempt(deps: AttemptDeps, row: DeliveryForAttempt, attempt: number, signal?: AbortSignal): Promise<Attempted> {
  const { delivery, subscriber } = row;
  const at = Date.now();
  let prepared: Prepared | null = null;
  let result: AttemptResult;
  let responseBody: string | null = null;
  try {
    prepared = prepare(deps, row, attempt, at);
  } catch (err) {
    result = attemptResult(attempt, at, Date.now(), 'refused', { error: `the request could not be built: ${messageOf(err)}` });
  }
  if (prepared && !subscriber.active) {
    result = attemptResult(attempt, at, Date.now(), 'refused', {
      error: `the subscriber is inactive${subscriber.disabledReason ? `: ${subscriber.disabledReason}` : ''}`,
    });
  } else if (prepared) {
    try {
      const res = await deps.http.post({ url: subscriber.url, body: prepared.body, headers: prepared.headers, timeoutMs: deps.config.timeoutMs, signal });
      responseBody = res.body;
      const retryAfter = res.headers['retry-after'];
      result = classifyResponse(attempt, at, Date.now(), res.statusCode, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    } catch (err) {
      result = classifyError(attempt, at, err);
    }
  }
  result = { ...result!, error: result!.error === null ? null : storableText(result!.error) };
  if (result.outcome === 'refused') deps.logger.warn({ deliveryId: delivery.id, eventId: delivery.eventId, reason: result.error }, 'delivery refused');
  // Configured header values (often a receiver's credentials) never reach the log.
  const logged = prepared && { headers: redactHeaders(prepared.headers, Object.keys(subscriber.headers)), responseBody };
  const record = toRecord(delivery, result, deps.config.retryDelaysMs, logged);
  // Frozen with the first attempt's record: retries and replays send these exact bytes.
  if (delivery.requestBody === null && prepared) Object.assign(record.update, { requestBody: prepared.body, requestBodyHash: prepared.hash });
  return { result, record };
}

/** The log row and the delivery's new state for one attempt. Everything in it is storable. */
export function toRecord(
  delivery: Pick<DeliveryForAttempt['delivery'], 'id' | 'eventId' | 'subscriberId' | 'eventType'>,
  result: AttemptResult,
  retryDelaysMs: number[],
  /** What was sent (the delivery's frozen body), its headers already redacted. */
  sent: { headers: Record<string, string>; responseBody: string | null } | null,
): AttemptRecord {
  const decision = decide(result, { delaysMs: retryDelaysMs });
  const nextRetryAt = decision.kind === 'retry' ? new Date(decision.nextAttemptAt) : null;
  return {
    log: {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      subscriberId: delivery.subscriberId,
      event: delivery.eventType,
      attempts: result.attempt,
      // The body itself is frozen once on the delivery (update.requestBody); the log points at it.
      requestBody: null,
      requestBodyFrozen: sent !== null,
      requestHeaders: sent ? (storableJson(sent.headers) as Record<string, string>) : null,
      responseCode: result.statusCode,
      responseBody: sent?.responseBody == null ? null : storableText(sent.responseBody),
      durationMs: result.durationMs,
      error: result.error,
      outcome: result.outcome,
      nextRetryAt,
    },
    update: {
      attempts: result.attempt,
      lastResponseCode: result.statusCode,
      lastError: result.error,
      nextAttemptAt: nextRetryAt,
      status: recordedStatus(decision),
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function classifyError(attempt: number, at: number, err: unknown): AttemptResult {
  const now = Date.now();
  const e = err as { name?: string; code?: string; message?: string; cause?: unknown };
  const refused = err instanceof TargetRefusedError ? err : e.cause instanceof TargetRefusedError ? e.cause : null;
  if (refused) return attemptResult(attempt, at, now, 'refused', { error: refused.message });
  // A header value or URL undici will not send: retrying cannot help.
  if (e.code === 'UND_ERR_INVALID_ARG' || e.name === 'InvalidArgumentError') {
    return attemptResult(attempt, at, now, 'refused', { error: `the request could not be sent: ${e.message}` });
  }
  const cause = (e.cause ?? {}) as { code?: string; message?: string };
  const timedOut =
    e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT';
  if (timedOut) return attemptResult(attempt, at, now, 'timeout', { error: `timed out: ${e.message ?? e.code}` });
  return attemptResult(attempt, at, now, 'network_error', { error: `${e.code ?? cause.code ?? e.name ?? 'error'}: ${e.message ?? cause.message ?? String(err)}` });
}

/** The largest body carried through workflow history when its first attempt could not be logged. */
export const FROZEN_BODY_IN_HISTORY_LIMIT = 256 * 1024;

/**
 * The result to hand to the workflow when the attempt's log write failed: unlogged, carrying the
 * body to freeze (the POST happened; the workflow records it durably and never resends it).
 */
export function unlogged(attempted: Attempted): AttemptResult {
  const body = attempted.record.update.requestBody;
  return { ...attempted.result, logged: false, ...(body !== undefined && body.length <= FROZEN_BODY_IN_HISTORY_LIMIT ? { requestBody: body } : {}) };
}

/** A 410 deactivates the subscriber (told as `webhook.subscriber.disabled`). A failed write here is logged, never the attempt's or the page's failure. */
export async function deactivateIfGone(deps: Pick<ActivityDeps, 'repos' | 'logger' | 'events'>, row: DeliveryForAttempt, result: AttemptResult): Promise<void> {
  if (result.outcome !== 'gone') return;
  try {
    const reason = `the receiver answered 410 Gone on ${new Date(result.at).toISOString()}`;
    await deps.repos.subscribers.setActive(row.subscriber.id, false, reason);
    await tellDisabled(deps, row.subscriber.id, reason);
  } catch (err) {
    deps.logger.error({ err, subscriberId: row.subscriber.id }, 'could not deactivate a subscriber whose receiver answered 410');
  }
}
