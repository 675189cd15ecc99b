// Inputs and results shared by workflows, activities and the client. Types only.
// Workflows are a public API: histories outlive deploys. Add optional fields; never change the
// meaning of an existing one (workflows/README.md).

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
  /** Fan out to this subscriber only, whatever its patterns (a test send). */
  onlySubscriberId?: string | null;
  /** The fan-out's heartbeat timeout: the HTTP timeout plus the database deadline, with room. */
  heartbeatTimeoutMs?: number;
  /** The local fan-out's start-to-close timeout: room for two deliveries' admission wait and attempt (one minute when absent). */
  localFanOutTimeoutMs?: number;
}

export interface EventWorkflowResult {
  eventId: string;
  /** Matching subscribers. */
  deliveries: number;
  /** Delivered by the first attempt, inside the fan-out. */
  succeeded: number;
  /** Refused or gone at the first attempt. */
  failed: number;
  /** Handed to delivery workflows (retrying, waiting for capacity, or every delivery when the fast path is off). */
  workflows: number;
}

/** One line of the event workflow's list of deliveries, for operators. */
export interface DeliveryLine {
  deliveryId: string;
  subscriberId: string;
  /** host of the target. */
  target: string;
  outcome: 'succeeded' | 'failed' | 'retrying' | 'waiting' | 'workflow';
  attempts: number;
  statusCode: number | null;
  /** The delivery workflow's id, when it has one. */
  workflowId: string | null;
}

export interface FanOutPage {
  /** The deliveries the event workflow must start as children (the fast path off). */
  deliveries: { deliveryId: string; subscriberId: string; target: string; firstAttempt: AttemptResult | null }[];
  /** First attempts made inside the fan-out (fast path) that finished the delivery. */
  firstAttempts: { succeeded: number; failed: number };
  /** Deliveries the fan-out handed to a delivery workflow of their own as soon as they needed one. */
  handedOff?: number;
  /** The first few deliveries of the page, for the event workflow's details. */
  lines?: DeliveryLine[];
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
  /**
   * Handed over waiting for capacity (its subscriber's share, max_in_flight, a pause or an open
   * circuit): its first attempt asks no sooner than `until` (epoch ms), unless retried now.
   */
  waitFirst?: { until: number; reason: string } | null;
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
  /**
   * Only with `logged: false` on a first attempt: the exact body sent, so the durable record
   * freezes it (retries send these bytes, not a rebuilt body). Absent over FROZEN_BODY_IN_HISTORY_LIMIT.
   */
  requestBody?: string;
}

/** No attempt was made: the worker had no capacity for this subscriber. Not an attempt, never logged. */
export interface AttemptDeferred {
  deferred: true;
  reason: string;
  /** Ask again at this time. */
  retryAt: number;
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
  /** Why the delivery waits without attempting (capacity), if it does. */
  waiting?: string | null;
}

export interface FinishDeliveryInput {
  deliveryId: string;
  /** A success is recorded by its attempt, never finished here. */
  status: Exclude<DeliveryFinalStatus, 'succeeded'>;
  reason: string;
  /** Emit `webhook.delivery.dead_lettered` (not for deliveries of that event itself). */
  announce: boolean;
}

export interface FinishDeliveryResult {
  /** The dead-letter event, recorded and started by the activity through the one event path. */
  deadLetterEvent: { eventId: string; eventType: string } | null;
}

/** One subscriber's deliveries of one ordering key, made one after another (workflows/ordered-key-workflow.ts). */
export interface OrderedKeyInput {
  subscriberId: string;
  orderingKey: string;
  searchAttributes: boolean;
  /** Deliveries made by earlier runs (continue-as-new). */
  delivered?: number;
  /** The delivery the previous run finished last, whose outcome the next look at the queue judges. */
  settled?: string | null;
}

export interface OrderedKeyResult {
  delivered: number;
}

export interface OrderedNextInput {
  subscriberId: string;
  orderingKey: string;
  /** The delivery just finished: a dead one blocks the key under the `block` policy. */
  settled: string | null;
}

/** What the key's workflow does next, read from the database (the queue's only truth). */
export type OrderedNext =
  | { kind: 'deliver'; workflowId: string; input: DeliveryWorkflowInput; queued: number }
  /** An earlier event of the key has not been fanned out to this subscriber yet. */
  | { kind: 'gap'; eventId: string; queued: number }
  /** A dead delivery stops the key until an operator skips it or replays it. */
  | { kind: 'blocked'; deliveryId: string; since: number; queued: number }
  | { kind: 'idle' };
