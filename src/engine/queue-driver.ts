import type { OrderedKeyRef } from '../ordering/ordering-repository';
import type { DeliveryStatusView, DeliveryWorkflowInput, EventWorkflowResult } from '../../workflows/types';

// Everything the app asks of the delivery engine, in one interface. Temporal is the default
// implementation (src/temporal/temporal-driver.ts); nothing outside a driver talks to its queue.
// Rows are written by the callers first (the one path for events and for deliveries); a driver
// only starts, signals and reports on the work that belongs to them.

/** What starting an event's processing needs (the payload stays in the database). */
export interface EventStart {
  id: string;
  type: string;
  source: string;
  externalId: string;
  /** The id of its processing, derived from the event key, so a second start is refused. */
  workflowId: string;
  /** A test send: this subscriber only. */
  onlySubscriberId: string | null;
}

/** One unit of work a driver is running. */
export interface InFlight {
  workflowId: string;
  kind: 'event' | 'delivery';
  startedAt: Date | null;
}

/** Thrown by a driver when the work to signal or query is not running (finished, or not started yet). */
export class WorkNotRunningError extends Error {
  constructor(readonly workflowId: string) {
    super(`${workflowId} is not running`);
  }
}

export interface QueueDriver {
  readonly name: string;
  /** Starts an event's fan-out unless it was ever started; true when started by this call. Bounded by `deadlineMs`. */
  startEvent(event: EventStart, deadlineMs: number): Promise<boolean>;
  /** Waits for an event's fan-out result until `signal` aborts; null when it is not known (yet). Throws WorkNotRunningError when there is no such event. */
  eventResult(workflowId: string, signal: AbortSignal): Promise<EventWorkflowResult | null>;
  /** Starts a delivery (first run or replay) unless it was ever started; true when started by this call. */
  startDelivery(input: DeliveryWorkflowInput, workflowId: string): Promise<boolean>;
  /**
   * Wakes the serialiser of one subscriber's deliveries of one ordering key, starting it if it is
   * not running. Its queue is in the database (src/ordering); a wake only makes it look again.
   * A driver without it does not order keys: their deliveries take the usual path.
   */
  wakeOrderedKey?(key: OrderedKeyRef): Promise<void>;
  /** Whether the key's serialiser runs now (with wakeOrderedKey): the orphan reconciler restarts one that was ended by hand. */
  orderedKeyRunning?(key: OrderedKeyRef): Promise<boolean>;
  /** Skips a pending delivery's current wait. Throws WorkNotRunningError. */
  retryNow(workflowId: string): Promise<void>;
  /** Stops a pending delivery after any attempt in flight. Throws WorkNotRunningError. */
  cancel(workflowId: string, reason: string): Promise<void>;
  /** The delivery's own view (its final one once finished, where the engine keeps it), or null when it cannot be reached. */
  liveStatus(workflowId: string): Promise<DeliveryStatusView | null>;
  /** Events and deliveries in flight, newest first. */
  listInFlight(limit: number): Promise<InFlight[]>;
  /** Whether the engine answers. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
