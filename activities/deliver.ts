import { Context } from '@temporalio/activity';
import { signingSecrets } from '../src/db/subscriber-repository';
import type { DeliveryRow, DeliveryUpdate, NewLog } from '../src/db/delivery-repository';
import { DEAD_LETTER_EVENT, INTERNAL_SOURCE } from '../src/domain/internal-events';
import { nextDelayMs, parseRetryAfter } from '../src/domain/retry-schedule';
import { signatureHeaders } from '../src/domain/signature';
import { normalizeEvent, toEventRow } from '../src/events/normalized-event';
import { TargetRefusedError } from '../src/net/outbound-client';
import type {
  AttemptInput,
  AttemptOutcome,
  AttemptResult,
  FinishDeliveryInput,
  FinishDeliveryResult,
} from '../workflows/types';
import type { ActivityDeps } from './deps';

export const USER_AGENT = 'AI-Agent-Webhook/1.0';

export interface RecordAttemptInput {
  deliveryId: string;
  result: AttemptResult;
  maxAttempts: number;
  retryDelaysMs: number[];
}

interface Sent {
  body: unknown;
  headers: Record<string, string>;
  responseBody: string | null;
}

export function createDeliveryActivities({ repos, http, transforms, logger, config }: ActivityDeps) {
  /** Writes the log row and the delivery's new state in one transaction. */
  async function persist(input: RecordAttemptInput, sent: Sent | null, eventId: string, subscriberId: string, event: string) {
    const { result, deliveryId } = input;
    const delay = isRetryable(result.outcome)
      ? nextDelayMs({ delaysMs: input.retryDelaysMs }, result.attempt, result.retryAfterMs)
      : null;
    const nextRetryAt = delay === null ? null : new Date(result.at + result.durationMs + delay);
    const log: NewLog = {
      deliveryId,
      eventId,
      subscriberId,
      event,
      attempts: result.attempt,
      requestBody: sent?.body ?? null,
      requestHeaders: sent ? redactHeaders(sent.headers) : null,
      responseCode: result.statusCode,
      responseBody: sent?.responseBody ?? null,
      durationMs: result.durationMs,
      error: result.error,
      outcome: result.outcome,
      nextRetryAt,
    };
    const update: DeliveryUpdate = {
      attempts: result.attempt,
      lastResponseCode: result.statusCode,
      lastError: result.error,
      nextAttemptAt: nextRetryAt,
      ...(result.outcome === 'success' ? { status: 'succeeded' as const } : {}),
    };
    await repos.deliveries.recordAttempt(log, update);
  }

  return {
    /** One signed POST to the subscriber, logged. HTTP failures are results, not exceptions. */
    async attemptDelivery(input: AttemptInput): Promise<AttemptResult> {
      const row = await repos.deliveries.loadForAttempt(input.deliveryId);
      const at = Date.now();
      if (!row) {
        return { attempt: input.attempt, outcome: 'refused', statusCode: null, durationMs: 0, error: 'the delivery or its subscriber no longer exists', retryAfterMs: null, logged: true, at };
      }
      const { delivery, event, subscriber } = row;
      const bodyText = delivery.requestBody ?? JSON.stringify(buildBody(delivery, event, subscriber.transform));
      if (delivery.requestBody === null) await repos.deliveries.freezeBody(delivery.id, bodyText);
      const body = parseJson(bodyText);
      const headers: Record<string, string> = {
        ...subscriber.headers,
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'x-agent-id': event.agentId ?? '',
        'x-webhook-event': event.type,
        'x-webhook-delivery': delivery.replayOf ?? delivery.id,
        'x-webhook-attempt': String(input.attempt),
        ...(delivery.replayOf ? { 'x-webhook-replay': delivery.id } : {}),
        ...signatureHeaders({
          deliveryId: delivery.replayOf ?? delivery.id,
          body: bodyText,
          secrets: signingSecrets(subscriber, new Date(at)),
          versions: subscriber.signatureVersion ?? config.signatureVersions,
          timestampSeconds: Math.floor(at / 1000),
        }),
      };

      let result: AttemptResult;
      let responseBody: string | null = null;
      if (!subscriber.active) {
        result = failed(input.attempt, at, 'refused', `the subscriber is inactive${subscriber.disabledReason ? `: ${subscriber.disabledReason}` : ''}`);
      } else {
        try {
          const res = await http.post({
            url: subscriber.url,
            body: bodyText,
            headers,
            timeoutMs: config.timeoutMs,
            signal: Context.current().cancellationSignal,
          });
          responseBody = res.body;
          result = classifyResponse(input.attempt, at, res.statusCode, header(res.headers['retry-after']));
        } catch (err) {
          result = classifyError(input.attempt, at, err);
        }
      }
      if (result.outcome === 'gone') {
        await repos.subscribers.setActive(subscriber.id, false, `the receiver answered 410 Gone on ${new Date(at).toISOString()}`);
      }
      if (result.outcome === 'refused') logger.warn({ deliveryId: delivery.id, reason: result.error }, 'delivery target refused');

      try {
        await persist(
          { deliveryId: delivery.id, result, maxAttempts: input.maxAttempts, retryDelaysMs: input.retryDelaysMs },
          { body, headers, responseBody },
          delivery.eventId,
          delivery.subscriberId,
          delivery.eventType,
        );
      } catch (err) {
        // The POST happened: do not fail (and resend). The workflow records the attempt durably.
        logger.warn({ err, deliveryId: delivery.id, attempt: input.attempt }, 'attempt log deferred');
        return { ...result, logged: false };
      }
      return result;
    },

    /** The durable fallback when an attempt could not be logged at the time. */
    async recordAttempt(input: RecordAttemptInput): Promise<void> {
      const delivery = await repos.deliveries.get(input.deliveryId);
      if (!delivery) return;
      await persist(input, null, delivery.eventId, delivery.subscriberId, delivery.eventType);
    },

    /** Marks a delivery terminal and, when it died, records the dead-letter event. */
    async finishDelivery(input: FinishDeliveryInput): Promise<FinishDeliveryResult> {
      await repos.deliveries.update(input.deliveryId, {
        status: input.status,
        nextAttemptAt: null,
        ...(input.status === 'succeeded' ? {} : { lastError: input.reason }),
      });
      if (!input.announce) return { deadLetterEvent: null };
      const delivery = await repos.deliveries.get(input.deliveryId);
      if (!delivery) return { deadLetterEvent: null };
      const event = normalizeEvent({
        source: INTERNAL_SOURCE,
        type: DEAD_LETTER_EVENT,
        externalId: `dead/${delivery.id}`,
        data: {
          delivery_id: delivery.id,
          event_id: delivery.eventId,
          event_type: delivery.eventType,
          subscriber_id: delivery.subscriberId,
          attempts: delivery.attempts,
          last_response_code: delivery.lastResponseCode,
          last_error: delivery.lastError,
          reason: input.reason,
        },
      });
      const { event: stored } = await repos.events.insertIfAbsent(toEventRow(event));
      await repos.events.markWorkflowStarted(stored.id);
      return { deadLetterEvent: { eventId: stored.id, eventType: stored.type } };
    },
  };

  function buildBody(delivery: DeliveryRow, event: { id: string; type: string; payload: unknown; occurredAt: Date | null; receivedAt: Date; agentId: string | null }, transform: string | null) {
    const timestamp = Math.floor((event.occurredAt ?? event.receivedAt).getTime() / 1000);
    const envelope = { event: event.type, timestamp, data: event.payload };
    return transforms.apply(transform, { id: delivery.eventId, type: event.type, timestamp, agentId: event.agentId }, envelope);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function isRetryable(outcome: AttemptOutcome): boolean {
  return outcome === 'failure' || outcome === 'timeout' || outcome === 'network_error';
}

function failed(attempt: number, at: number, outcome: AttemptOutcome, error: string, statusCode: number | null = null): AttemptResult {
  return { attempt, outcome, statusCode, durationMs: Date.now() - at, error, retryAfterMs: null, logged: true, at };
}

/** 2xx succeeds; 410 is gone; redirects and everything else fail and are retried. */
export function classifyResponse(attempt: number, at: number, statusCode: number, retryAfter?: string): AttemptResult {
  const durationMs = Date.now() - at;
  if (statusCode >= 200 && statusCode < 300) {
    return { attempt, outcome: 'success', statusCode, durationMs, error: null, retryAfterMs: null, logged: true, at };
  }
  if (statusCode === 410) return failed(attempt, at, 'gone', 'the receiver answered 410 Gone', statusCode);
  const error = statusCode >= 300 && statusCode < 400 ? `redirect ${statusCode} is not followed` : `HTTP ${statusCode}`;
  const retryAfterMs = statusCode === 429 || statusCode === 503 ? parseRetryAfter(retryAfter, Date.now()) : null;
  return { ...failed(attempt, at, 'failure', error, statusCode), retryAfterMs };
}

export function classifyError(attempt: number, at: number, err: unknown): AttemptResult {
  const e = err as { name?: string; code?: string; message?: string; cause?: unknown };
  const cause = (e.cause ?? {}) as { code?: string; message?: string };
  if (err instanceof TargetRefusedError || cause instanceof TargetRefusedError) {
    return failed(attempt, at, 'refused', (err instanceof TargetRefusedError ? err : (cause as TargetRefusedError)).message);
  }
  const timedOut =
    e.name === 'TimeoutError' ||
    e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e.code === 'UND_ERR_BODY_TIMEOUT' ||
    e.code === 'UND_ERR_CONNECT_TIMEOUT';
  if (timedOut) return failed(attempt, at, 'timeout', `timed out: ${e.message ?? e.code}`);
  return failed(attempt, at, 'network_error', `${e.code ?? cause.code ?? e.name ?? 'error'}: ${e.message ?? cause.message ?? String(err)}`);
}

/** Signatures stay in the log (they help debugging); custom auth headers are masked. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = /^(authorization|cookie|x-api-key)$/i.test(k) ? '[redacted]' : v;
  return out;
}
