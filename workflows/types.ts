// Inputs and results shared by workflows, activities and the client. Types only.

export interface EventWorkflowInput {
  eventId: string;
  eventType: string;
  /** Where fan-out resumes after continue-as-new: the last subscriber id started. */
  cursor?: string | null;
  /** Deliveries started by earlier runs of this event workflow. */
  startedSoFar?: number;
  /** Upsert the custom search attributes (false on clusters that have not registered them). */
  searchAttributes: boolean;
}

export interface EventWorkflowResult {
  eventId: string;
  deliveries: number;
}

export interface FanOutPage {
  deliveries: { deliveryId: string; subscriberId: string; target: string }[];
  nextCursor: string | null;
  retryDelaysMs: number[];
  adminUrl: string | null;
}

export interface DeliveryWorkflowInput {
  deliveryId: string;
  eventId: string;
  eventType: string;
  subscriberId: string;
  /** host/path of the target, for summaries. */
  target: string;
  retryDelaysMs: number[];
  searchAttributes: boolean;
  adminUrl: string | null;
  /** The first attempt's number; a replay starts again at 1. */
  replayOf?: string | null;
}

export type AttemptOutcome = 'success' | 'failure' | 'timeout' | 'network_error' | 'refused' | 'gone';

export interface AttemptInput {
  deliveryId: string;
  attempt: number;
  maxAttempts: number;
  retryDelaysMs: number[];
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
