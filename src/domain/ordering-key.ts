import { createHash } from 'node:crypto';

// An ordering key names what a receiver applies in order (a customer, an order). It travels in
// Temporal workflow ids (hashed), in the admin API's paths and in logs, so it has one alphabet.

export const ORDERING_KEY_MAX_LENGTH = 256;
/** Printable ASCII without spaces. */
const ORDERING_KEY = /^[\x21-\x7e]+$/;
export const ORDERING_KEY_RULE = `1 to ${ORDERING_KEY_MAX_LENGTH} printable ASCII characters, without spaces`;

/** What a keyed delivery that ends dead does to its key. */
export const ORDERING_ON_DEAD = ['block', 'skip'] as const;
export type OrderingOnDead = (typeof ORDERING_ON_DEAD)[number];

/** Thrown when an ordering key breaks the alphabet or length rule; `field` names where it came from. */
export class InvalidOrderingKeyError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Why `value` cannot be an ordering key, or null when it can. */
export function orderingKeyProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > ORDERING_KEY_MAX_LENGTH || !ORDERING_KEY.test(value)) {
    return `must be ${ORDERING_KEY_RULE}`;
  }
  return null;
}

/** The key, checked; `field` names it in the error. Null and undefined mean "unkeyed". */
export function checkedOrderingKey(value: unknown, field: string): string | null {
  if (value === null || value === undefined) return null;
  const problem = orderingKeyProblem(value);
  if (problem) throw new InvalidOrderingKeyError(field, `${field} ${problem}`);
  return value as string;
}

/** The id of the workflow that serialises one subscriber's deliveries of one key (a hash: keys are sender-chosen). */
export function orderedKeyWorkflowId(subscriberId: string, orderingKey: string): string {
  return `order:${subscriberId}:${createHash('sha256').update(orderingKey).digest('base64url').slice(0, 22)}`;
}
