/** Thrown when an operator skips an ordered key that no dead delivery blocks. */
export class OrderedKeyNotBlockedError extends Error {
  constructor(
    readonly subscriberId: string,
    readonly orderingKey: string,
  ) {
    super(`the ordering key is not blocked for subscriber ${subscriberId}`);
  }
}
