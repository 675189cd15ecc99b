/** Thrown when a delivery (or what it needs) does not exist. */
export class DeliveryNotFoundError extends Error {
  constructor(readonly what: string) {
    super(`${what} was not found`);
  }
}

/** Thrown when retry-now or cancel targets a delivery that has already finished. */
export class DeliveryNotPendingError extends Error {
  constructor(
    readonly deliveryId: string,
    readonly status: string,
  ) {
    super(`delivery ${deliveryId} is ${status}; only a pending delivery can be retried or cancelled`);
  }
}

/** Thrown when a pending delivery has no running workflow to signal (the reconciler will start one). */
export class DeliveryNotRunningError extends Error {
  constructor(readonly deliveryId: string) {
    super(`the workflow of delivery ${deliveryId} is not running yet; the reconciler starts it, try again shortly`);
  }
}
