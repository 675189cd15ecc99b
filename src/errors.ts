import type { FastifyError, FastifyInstance } from 'fastify';
import { within } from './deadline';
import { DeliveryNotFoundError, DeliveryNotPendingError, DeliveryNotRunningError } from './deliveries/delivery-errors';
import { TransformFailedError, UnknownTransformError } from './transforms/registry';
import { EventStoreUnavailableError, StartBacklogFullError, WorkflowStartFailedError } from './events/event-errors';
import { InvalidEventFieldError } from './domain/event-type';
import { InvalidOrderingKeyError } from './domain/ordering-key';
import { OrderedKeyNotBlockedError } from './ordering/ordering-errors';
import { UnstorableTextError } from './domain/storable-text';
import { PayloadExpiredError } from './retention/payload-expiry';

/** Thrown when a request must be answered with a documented error code: `{error, message, details?}`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Thrown when a dependency (Temporal, the database) is down and the request should be retried later. */
export class UnavailableError extends HttpError {
  constructor(message: string, retryAfterSeconds = 5) {
    super(503, 'unavailable', message, undefined, { 'retry-after': String(retryAfterSeconds) });
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} was not found`);

/**
 * Bounds a call to a dependency: a failure, or no answer within `ms`, becomes a 503. The call
 * may still complete later, so use it only for reads and idempotent writes.
 */
export async function orUnavailable<T>(op: Promise<T>, ms: number, message: string, onError?: (err: unknown) => void): Promise<T> {
  try {
    return await within(op, ms);
  } catch (err) {
    onError?.(err);
    throw new UnavailableError(message);
  }
}

// Socket errors, and the SQLSTATE classes 08 (connection exception) and 57 (operator
// intervention: the server is shutting down or starting up).
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
// node-postgres reports a lost or unobtainable connection by message only, without a code.
const CONNECTION_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/** Whether an error (or its cause) says the database cannot be reached, rather than that a query is wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (CONNECTION_CODES.has(code) || /^(08|57)[0-9A-Z]{3}$/.test(code)) return true;
    if (typeof e.message === 'string' && CONNECTION_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/** The one place where domain errors become HTTP answers. */
export function toHttpError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  if (err instanceof EventStoreUnavailableError || err instanceof WorkflowStartFailedError) return new UnavailableError(err.message);
  if (err instanceof StartBacklogFullError) return new UnavailableError(err.message, 2);
  if (err instanceof DeliveryNotFoundError) return notFound(err.what);
  if (err instanceof DeliveryNotPendingError) return new HttpError(409, 'not_pending', err.message);
  if (err instanceof DeliveryNotRunningError) return new HttpError(409, 'not_running', err.message);
  if (err instanceof PayloadExpiredError) return new HttpError(409, 'payload_expired', err.message, { delivery_id: err.deliveryId, event_id: err.eventId });
  if (err instanceof UnknownTransformError) return new HttpError(400, 'unknown_transform', err.message, { known: err.known });
  if (err instanceof InvalidOrderingKeyError) return new HttpError(400, 'invalid_ordering_key', err.message, [{ field: err.field, message: err.message }]);
  if (err instanceof OrderedKeyNotBlockedError) return new HttpError(409, 'not_blocked', err.message);
  if (err instanceof TransformFailedError) return new HttpError(422, 'transform_failed', err.message);
  return null;
}

/**
 * Whether the database refused a value itself (SQLSTATE class 22, data exception: a time out of
 * range, text it cannot encode): the request was wrong, and a retry cannot succeed.
 */
export function isRefusedValue(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code)) return true;
  }
  return false;
}

/** One handler turns every error into the JSON error contract and never leaks a 5xx message. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((caught: FastifyError | HttpError | UnstorableTextError | InvalidEventFieldError, request, reply) => {
    const mapped = toHttpError(caught);
    const err = mapped ?? caught;
    if (err instanceof HttpError) {
      if (mapped && !(caught instanceof HttpError) && err.statusCode >= 500) request.log.warn({ err: caught }, caught.message);
      return reply.code(err.statusCode).headers(err.headers).send({ error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) });
    }
    if (err instanceof UnstorableTextError) {
      return reply.code(400).send({ error: 'invalid_text', message: err.message, details: [{ field: err.field, message: 'holds a NUL character or an unpaired surrogate' }] });
    }
    if (err instanceof InvalidEventFieldError) {
      return reply.code(400).send({ error: err.field === 'event' ? 'invalid_event' : 'invalid_agent_id', message: err.message });
    }
    if (err.validation) {
      return reply.code(400).send({ error: 'invalid_request', message: err.message, details: err.validation });
    }
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err }, 'database unavailable');
      const unavailable = new UnavailableError('the database is unavailable; retry the request');
      return reply.code(503).headers(unavailable.headers).send({ error: unavailable.code, message: unavailable.message });
    }
    if (isRefusedValue(err)) {
      // A safety net behind the input rules (domain/storable-text.ts, routes/validation.ts).
      request.log.warn({ err }, 'the database refused a value of the request');
      return reply.code(400).send({ error: 'invalid_value', message: 'a value in the request cannot be stored or compared by the database' });
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
      return reply.code(500).send({ error: 'internal_error', message: 'internal error; see the server log' });
    }
    return reply.code(status).send({ error: fastifyCode(err), message: err.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` }),
  );
}

function fastifyCode(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'payload_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported_media_type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'empty_body';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'invalid_json';
    default:
      return 'bad_request';
  }
}
