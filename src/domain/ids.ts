import { createHash } from 'node:crypto';

function digest(parts: string[], length: number): string {
  // NUL separators keep ("ab","c") and ("a","bc") apart.
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, length);
}

/** The event id is derived from the idempotency key, so a repeat maps to the same row and workflow. */
export function eventIdFor(source: string, externalId: string): string {
  return `evt_${digest([source, externalId], 24)}`;
}

/** Without a sender-supplied id, the key is a hash of what makes the event what it is. */
export function contentKey(event: string, timestamp: number, data: unknown): string {
  return `sha256:${digest([event, String(timestamp), canonicalJson(data ?? null)], 43)}`;
}

export function deliveryIdFor(eventId: string, subscriberId: string): string {
  return `dlv_${digest([eventId, subscriberId], 24)}`;
}

export { eventWorkflowId, deliveryWorkflowId, replayWorkflowId } from './workflow-ids';

/** JSON with object keys sorted, so equal data hashes equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
