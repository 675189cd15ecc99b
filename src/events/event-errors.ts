/** Thrown when the event store does not answer in time or refuses the write; the event was not accepted. */
export class EventStoreUnavailableError extends Error {
  constructor(readonly cause?: unknown) {
    super('the event store is unavailable; retry the request');
  }
}

/** Thrown when an event was recorded but its workflow could not start; a retry (or the sweeper) starts it. */
export class WorkflowStartFailedError extends Error {
  constructor(
    readonly eventId: string,
    readonly cause?: unknown,
  ) {
    super('the event was recorded but its workflow could not start; retry the request');
  }
}

/** Thrown when too many accepted events wait for their workflow start in this process; nothing was written. */
export class StartBacklogFullError extends Error {
  constructor(readonly backlog: number) {
    super(`${backlog} accepted events are waiting for their workflows to start; retry the request`);
  }
}
