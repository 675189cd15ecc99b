import { isInternalEventType } from './internal-events';

// Event types travel in the X-Webhook-Event header, in metric labels, in Temporal search
// attributes and in subscribers' patterns, so they have one alphabet, in the Standard Webhooks
// style (`order.created`, `invoice.payment_failed`): printable ASCII that any header carries.
// The agent id travels in X-Agent-ID. Both are checked wherever an event enters.

export const EVENT_TYPE_MAX_LENGTH = 200;
export const AGENT_ID_MAX_LENGTH = 200;
/** A letter or digit, then letters, digits and `. _ - : /`. No `*`: that is a pattern's wildcard. */
const EVENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;
/** Printable ASCII without spaces. */
const AGENT_ID = /^[\x21-\x7e]+$/;

export const EVENT_TYPE_RULE = `1 to ${EVENT_TYPE_MAX_LENGTH} characters: an ASCII letter or digit, then letters, digits and . _ - : / (for example order.created)`;
export const AGENT_ID_RULE = `1 to ${AGENT_ID_MAX_LENGTH} printable ASCII characters, without spaces`;

/** Thrown when an event's type or agent id breaks the alphabet and length rules; `field` names which. */
export class InvalidEventFieldError extends Error {
  constructor(readonly field: 'event' | 'agent_id', message: string) {
    super(message);
  }
}

/** Why `value` cannot be an event type, or null when it can. */
export function eventTypeProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return `must be a string of ${EVENT_TYPE_RULE}`;
  if (value.length > EVENT_TYPE_MAX_LENGTH || !EVENT_TYPE.test(value)) return `must be ${EVENT_TYPE_RULE}`;
  return null;
}

/** `eventTypeProblem`, and the platform's own `webhook.*` types are reserved: no sender may emit them. */
export function externalEventTypeProblem(value: unknown): string | null {
  const problem = eventTypeProblem(value);
  if (problem) return problem;
  return isInternalEventType(value as string) ? `"${value as string}" is reserved: webhook.* types are the platform's own events` : null;
}

export function isEventType(value: unknown): value is string {
  return eventTypeProblem(value) === null;
}

/** Why `value` cannot be an agent id, or null when it can. */
export function agentIdProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > AGENT_ID_MAX_LENGTH || !AGENT_ID.test(value)) return `must be ${AGENT_ID_RULE}`;
  return null;
}

/** Throws InvalidEventFieldError unless the type and the agent id (when given) follow the rules. */
export function assertEventFields(type: unknown, agentId: unknown): void {
  const typeProblem = eventTypeProblem(type);
  if (typeProblem) throw new InvalidEventFieldError('event', `event: ${typeProblem}`);
  if (agentId !== null && agentId !== undefined) {
    const agentProblem = agentIdProblem(agentId);
    if (agentProblem) throw new InvalidEventFieldError('agent_id', `agent_id: ${agentProblem}`);
  }
}
