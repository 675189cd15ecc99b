import type { AttemptRecord, DeliveryForAttempt } from '../src/db/delivery-repository';
import { signingSecrets } from '../src/db/subscriber-repository';
import { nextDelayMs, parseRetryAfter } from '../src/domain/retry-schedule';
import { signatureHeaders, signingKeysAt } from '../src/domain/signature';
import { TargetRefusedError } from '../src/net/outbound-client';
import type { AttemptOutcome, AttemptResult } from '../workflows/types';
import type { ActivityDeps } from './deps';

// One signed POST and what it means: shared by the single-attempt activity of a delivery
// workflow and by the fan-out's first-attempt batch.

export const USER_AGENT = 'AI-Agent-Webhook/1.0';

export interface Attempted {
  result: AttemptResult;
  record: AttemptRecord;
}

/** Sends attempt `attempt` of a loaded delivery. HTTP failures are results, never exceptions. */
export async function sendAttempt(
  deps: Pick<ActivityDeps, 'http' | 'transforms' | 'config' | 'repos' | 'logger'>,
  row: DeliveryForAttempt,
  attempt: number,
  signal?: AbortSignal,
  retryDelaysMs = deps.config.retryDelaysMs,
): Promise<Attempted> {
  const { delivery, event, subscriber } = row;
  const at = Date.now();
  const lineage = delivery.replayOf ?? delivery.id;
  let bodyText = delivery.requestBody;
  if (bodyText === null) {
    const timestamp = Math.floor((event.occurredAt ?? event.receivedAt).getTime() / 1000);
    const envelope = { event: event.type, timestamp, data: event.payload };
    bodyText = JSON.stringify(deps.transforms.apply(subscriber.transform, { id: event.id, type: event.type, timestamp, agentId: event.agentId }, envelope));
  }
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
      body: bodyText,
      secrets: signingSecrets(subscriber, new Date(at)),
      signingKeys: signingKeysAt(subscriber, new Date(at)),
      versions: subscriber.signatureVersion ?? deps.config.signatureVersions,
      timestampSeconds: Math.floor(at / 1000),
    }),
  };

  let result: AttemptResult;
  let responseBody: string | null = null;
  if (!subscriber.active) {
    result = failed(attempt, at, 'refused', `the subscriber is inactive${subscriber.disabledReason ? `: ${subscriber.disabledReason}` : ''}`);
  } else {
    try {
      const res = await deps.http.post({ url: subscriber.url, body: bodyText, headers, timeoutMs: deps.config.timeoutMs, signal });
      responseBody = res.body;
      const retryAfter = res.headers['retry-after'];
      result = classifyResponse(attempt, at, res.statusCode, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    } catch (err) {
      result = classifyError(attempt, at, err);
    }
  }
  if (result.outcome === 'gone') {
    await deps.repos.subscribers.setActive(subscriber.id, false, `the receiver answered 410 Gone on ${new Date(at).toISOString()}`);
  }
  if (result.outcome === 'refused') deps.logger.warn({ deliveryId: delivery.id, eventId: delivery.eventId, reason: result.error }, 'delivery target refused');
  const record = toRecord(delivery, result, retryDelaysMs, { body: bodyText, headers, responseBody });
  // Frozen with the first attempt's record: retries and replays send these exact bytes.
  if (delivery.requestBody === null) record.update.requestBody = bodyText;
  return { result, record };
}

/** Persists attempts (one transaction) and counts them in the metrics. */
export async function recordAttempts(deps: Pick<ActivityDeps, 'repos' | 'metrics'>, records: AttemptRecord[]): Promise<void> {
  await deps.repos.deliveries.recordAttempts(records);
  for (const { log, update } of records) {
    deps.metrics?.attempt({ eventType: log.event, attempt: log.attempts, durationMs: log.durationMs ?? 0, outcome: log.outcome });
    if (update.status === 'succeeded' || update.status === 'failed') deps.metrics?.deliveryFinished({ eventType: log.event, status: update.status });
  }
}

/** The log row and the delivery's new state for one attempt. */
export function toRecord(
  delivery: Pick<DeliveryForAttempt['delivery'], 'id' | 'eventId' | 'subscriberId' | 'eventType'>,
  result: AttemptResult,
  retryDelaysMs: number[],
  sent: { body: string; headers: Record<string, string>; responseBody: string | null } | null,
): AttemptRecord {
  const delay = isRetryable(result.outcome) ? nextDelayMs({ delaysMs: retryDelaysMs }, result.attempt, result.retryAfterMs) : null;
  const nextRetryAt = delay === null ? null : new Date(result.at + result.durationMs + delay);
  return {
    log: {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      subscriberId: delivery.subscriberId,
      event: delivery.eventType,
      attempts: result.attempt,
      requestBody: sent ? parseJson(sent.body) : null,
      requestHeaders: sent ? redactHeaders(sent.headers) : null,
      responseCode: result.statusCode,
      responseBody: sent?.responseBody ?? null,
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
      // A success or a permanent refusal ends the delivery here; the last failure is marked dead by the workflow.
      ...(result.outcome === 'success' ? { status: 'succeeded' as const } : isRetryable(result.outcome) ? {} : { status: 'failed' as const }),
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function isRetryable(outcome: AttemptOutcome): boolean {
  return outcome === 'failure' || outcome === 'timeout' || outcome === 'network_error';
}

function failed(attempt: number, at: number, outcome: AttemptOutcome, error: string, statusCode: number | null = null): AttemptResult {
  return { attempt, outcome, statusCode, durationMs: Date.now() - at, error, retryAfterMs: null, logged: true, at };
}

/** 2xx succeeds; 410 is gone; redirects and everything else fail and are retried. */
export function classifyResponse(attempt: number, at: number, statusCode: number, retryAfter?: string): AttemptResult {
  if (statusCode >= 200 && statusCode < 300) {
    return { attempt, outcome: 'success', statusCode, durationMs: Date.now() - at, error: null, retryAfterMs: null, logged: true, at };
  }
  if (statusCode === 410) return failed(attempt, at, 'gone', 'the receiver answered 410 Gone', statusCode);
  const error = statusCode >= 300 && statusCode < 400 ? `redirect ${statusCode} is not followed` : `HTTP ${statusCode}`;
  const retryAfterMs = statusCode === 429 || statusCode === 503 ? parseRetryAfter(retryAfter, Date.now()) : null;
  return { ...failed(attempt, at, 'failure', error, statusCode), retryAfterMs };
}

export function classifyError(attempt: number, at: number, err: unknown): AttemptResult {
  const e = err as { name?: string; code?: string; message?: string; cause?: unknown };
  const refused = err instanceof TargetRefusedError ? err : e.cause instanceof TargetRefusedError ? e.cause : null;
  if (refused) return failed(attempt, at, 'refused', refused.message);
  const cause = (e.cause ?? {}) as { code?: string; message?: string };
  const timedOut =
    e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT';
  if (timedOut) return failed(attempt, at, 'timeout', `timed out: ${e.message ?? e.code}`);
  return failed(attempt, at, 'network_error', `${e.code ?? cause.code ?? e.name ?? 'error'}: ${e.message ?? cause.message ?? String(err)}`);
}

/** Signatures stay in the log (they help debugging); custom auth headers are masked. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = /^(authorization|cookie|x-api-key)$/i.test(k) ? '[redacted]' : v;
  return out;
}
