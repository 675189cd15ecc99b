// The admin API's shapes, as the UI reads them.

export interface Subscriber {
  id: string;
  name: string | null;
  description: string | null;
  url: string;
  events: string[];
  active: boolean;
  signature_version: string;
  transform: string | null;
  headers: Record<string, string>;
  disabled_reason: string | null;
  secret: string;
  /** The whpk_ key receivers verify v1a (ed25519) signatures with; null before the subscriber has a signing key. */
  public_key: string | null;
  /** Events with an ordering key are delivered one after another per key. */
  ordered_delivery: boolean;
  ordering_on_dead: 'block' | 'skip';
  created_at: string;
  /** In the list: the last 24 hours' attempts. */
  /** `circuit`: the breaker's state; `effective_max_in_flight`: the adaptive cap while lowered (else null). */
  health?: { hours: number; attempts: number; success_rate: number | null; circuit?: string; effective_max_in_flight?: number | null };
}

export interface Delivery {
  id: string;
  event_id: string;
  event: string;
  subscriber_id: string;
  status: string;
  attempts: number;
  last_response_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  workflow_id: string;
  temporal_url: string | null;
  /** Null while the delivery has no workflow of its own: its attempts ran in its event workflow. */
  workflow_started_at: string | null;
  event_workflow_id: string;
  event_temporal_url: string | null;
  created_at: string;
  completed_at: string | null;
}

export interface Attempt {
  attempt: number;
  outcome: string;
  response_code: number | null;
  response_body: string | null;
  duration_ms: number | null;
  error: string | null;
  request_headers: Record<string, string> | null;
  request_body: string | null;
  next_retry_at: string | null;
  created_at: string;
}

export interface DeliveryDetail extends Omit<Delivery, 'attempts'> {
  request_body: unknown;
  /** In the detail view, the attempt log rows (the list's count is their number). */
  attempts: Attempt[];
}

export interface EventRow {
  id: string;
  event: string;
  source: string;
  external_id: string | null;
  status: string;
  received_at: string;
  workflow_id: string;
}

/** GET /events/:id: the stored event and its deliveries, as stored (camelCase). */
export interface EventDetail {
  id: string;
  type: string;
  source: string;
  externalId: string | null;
  payload: unknown;
  /** Retention or an expunge removed the payload and the bodies made from it. */
  payload_expired: boolean;
  status: string;
  receivedAt: string;
  occurredAt: string | null;
  workflowId: string;
  deliveries: { id: string; subscriberId: string; status: string; attempts: number; lastResponseCode: number | null; lastError: string | null; createdAt: string }[];
}

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'dead', 'cancelled', 'held'] as const;
export const EVENT_STATUSES = ['received', 'dispatched', 'processed'] as const;

/** A delivery that may still change. */
export const isPending = (status: string) => status === 'pending';
