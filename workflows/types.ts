// Inputs and results shared by workflows, activities and the client. Types only.

export interface EventWorkflowInput {
  eventId: string;
  eventType: string;
  /** Where fan-out resumes after continue-as-new: the last subscriber id started. */
  cursor?: string | null;
  /** Totals of earlier runs of this event workflow (continue-as-new). */
  soFar?: Omit<EventWorkflowResult, 'eventId'>;
  /** Upsert the custom search attributes (false on clusters that have not registered them). */
  searchAttributes: boolean;
  /** Run the fan-out as a local activity (fewer history events, no task-queue round trip). */
  localFanOut?: boolean;
}

export interface EventWorkflowResult {
  eventId: string;
  /** Matching subscribers. */
  deliveries: number;
  /** Delivered by the first attempt, inside the fan-out. */
  succeeded: number;
  /** Refused or gone at the first attempt. */
  failed: number;
  /** Handed to delivery workflows (retrying, or every delivery when the fast path is off). */
  workflows: number;
}

export interface FanOutPage {
  /** The deliveries that need a workflow of their own. */
  deliveries: { deliveryId: string; subscriberId: string; target: string; firstAttempt: AttemptResult | null }[];
  /** First attempts made inside the fan-out (fast path) that finished the delivery. */
  firstAttempts: { succeeded: number; failed: number };
  nextCursor: string | null;
  attemptTimeoutMs: number;
  retryDelaysMs: number[];
  adminUrl: string | null;
}

export interface DeliveryWorkflowInput {
  deliveryId: string;
  eventId: string;
  eventType: string;
  subscriberId: string;
  /** The host of the target (targetLabel), for summaries: never its path, query or userinfo. */
  target: string;
  retryDelaysMs: number[];
  searchAttributes: boolean;
  adminUrl: string | null;
  /** Set on a replay: the delivery it replays (the root of the lineage). */
  replayOf?: string | null;
  /** The last attempt already made for this delivery (the fan-out's fast path); the workflow continues after it. */
  firstAttempt?: AttemptResult | null;
  /** How long one attempt activity may run (HTTP timeout plus bookkeeping); a dead worker is noticed after it. */
  attemptTimeoutMs?: number;
}

export type AttemptOutcome = 'success' | 'failure' | 'timeout' | 'network_error' | 'refused' | 'gone';

export interface AttemptInput {
  deliveryId: string;
  attempt: number;
  maxAttempts: number;
  retryDelaysMs: number[];
  /** Epoch ms before which the POST must not be sent (a short backoff waited in the activity). */
  notBefore?: number | null;
}

export interface AttemptResult {
  attempt: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  retryAfterMs: number | null;
  /** False when the log row could not be written; the workflow then records it durably. */
  logged: boolean;
  at: number;
}

export type DeliveryFinalStatus = 'succeeded' | 'failed' | 'dead' | 'cancelled';

export interface DeliveryWorkflowResult {
  deliveryId: string;
  status: DeliveryFinalStatus;
  attempts: number;
}

export interface DeliveryStatusView {
  deliveryId: string;
  status: 'pending' | DeliveryFinalStatus;
  attempts: AttemptResult[];
  maxAttempts: number;
  nextAttemptAt: number | null;
}

export interface FinishDeliveryInput {
  deliveryId: string;
  status: DeliveryFinalStatus;
  reason: string;
  /** Emit `webhook.delivery.dead_lettered` (not for deliveries of that event itself). */
  announce: boolean;
}

export interface FinishDeliveryResult {
  deadLetterEvent: { eventId: string; eventType: string } | null;
}
