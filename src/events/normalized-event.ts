import { assertEventFields } from '../domain/event-type';
import { checkedOrderingKey } from '../domain/ordering-key';
import { contentKey, eventIdFor, eventWorkflowId } from '../domain/ids';
import { assertStorable } from '../domain/storable-text';
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
  /** Deliveries to ordered subscribers follow this key's acceptance order; null: unkeyed. */
  orderingKey: string | null;
}

export interface EventDraft {
  source: string;
  type: string;
  /** The sender's idempotency key; without one the content is the key. */
  externalId?: string | null;
  occurredAt?: Date;
  data?: unknown;
  agentId?: string | null;
  orderingKey?: string | null;
}

/**
 * The event as it will be stored. Throws InvalidEventFieldError for a type or agent id outside
 * the alphabet (domain/event-type.ts) and UnstorableTextError for text PostgreSQL cannot hold,
 * so whatever the entry point, such an event is refused before anything is written.
 */
export function normalizeEvent(draft: EventDraft, now = new Date()): NormalizedEvent {
  assertEventFields(draft.type, draft.agentId);
  assertStorable(draft.externalId ?? null, 'id');
  assertStorable(draft.source, 'source');
  assertStorable(draft.data ?? null, 'data');
  const orderingKey = checkedOrderingKey(draft.orderingKey, 'ordering_key');
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
    orderingKey,
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
    orderingKey: event.orderingKey,
    workflowId: eventWorkflowId(event.id),
  };
}
