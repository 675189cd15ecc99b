import { contentKey, eventIdFor, eventWorkflowId } from '../domain/ids';
import type { NewEvent } from '../db/event-repository';

/** The one shape every accepted event takes, whatever its source, before its workflow starts. */
export interface NormalizedEvent {
  id: string;
  source: string;
  externalId: string;
  type: string;
  occurredAt: Date;
  receivedAt: Date;
  data: unknown;
  agentId: string | null;
}

export interface EventDraft {
  source: string;
  type: string;
  /** The sender's idempotency key; without one the content is the key. */
  externalId?: string | null;
  occurredAt?: Date;
  data?: unknown;
  agentId?: string | null;
}

export function normalizeEvent(draft: EventDraft, now = new Date()): NormalizedEvent {
  const occurredAt = draft.occurredAt ?? now;
  const data = draft.data ?? null;
  const externalId = draft.externalId || contentKey(draft.type, Math.floor(occurredAt.getTime() / 1000), data);
  return {
    id: eventIdFor(draft.source, externalId),
    source: draft.source,
    externalId,
    type: draft.type,
    occurredAt,
    receivedAt: now,
    data,
    agentId: draft.agentId ?? null,
  };
}

export function toEventRow(event: NormalizedEvent): NewEvent {
  return {
    id: event.id,
    source: event.source,
    externalId: event.externalId,
    type: event.type,
    payload: event.data,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    agentId: event.agentId,
    workflowId: eventWorkflowId(event.id),
  };
}
