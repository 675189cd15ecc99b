/**
 * Group commit for small writes that arrive concurrently (one per inbound request): each
 * caller awaits its own item, and the items that arrive while earlier writes are in flight go
 * to the database together, in one statement. Under light load every write goes alone, so the
 * batching adds no latency; under heavy load a batch holds whatever queued during the previous
 * round trip, which is what cuts the statements, the socket writes and the commits per event.
 */
export interface BatchedWriterOptions<I, O> {
  /** Writes many items in one statement; resolves with one result per item, in order. */
  writeMany(items: I[]): Promise<O[]>;
  /** Writes one item. Also the fallback when a batch fails, so one bad item fails only itself. */
  writeOne(item: I): Promise<O>;
  /** At most this many items per statement. */
  maxBatch?: number;
  /** At most this many statements in flight; more items wait and join the next batch. */
  maxInFlight?: number;
  /**
   * Items with one key never share a batch: the second waits for the next one. For a statement
   * that changes one row per item, so that a batch is all or nothing and its fallback, item by
   * item, never writes twice what the batch already wrote.
   */
  keyOf?: (item: I) => string;
}

export interface BatchedWriter<I, O> {
  write(item: I): Promise<O>;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export function createBatchedWriter<I, O>({ writeMany, writeOne, maxBatch = 200, maxInFlight = 2, keyOf }: BatchedWriterOptions<I, O>): BatchedWriter<I, O> {
  const waiting: Waiting<I, O>[] = [];
  let inFlight = 0;
  let scheduled = false;

  async function flush(batch: Waiting<I, O>[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const results = await writeMany(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i] as O));
        return;
      } catch {
        // Fall through: item by item, so the others are not refused for one bad item.
      }
    }
    await Promise.all(batch.map((w) => writeOne(w.item).then(w.resolve, w.reject)));
  }

  /** The next batch with at most one item per key, in arrival order; the rest keep their places. */
  function takeDistinct(): Waiting<I, O>[] {
    const keys = new Set<string>();
    const batch: Waiting<I, O>[] = [];
    for (let i = 0; i < waiting.length && batch.length < maxBatch; ) {
      const key = keyOf!(waiting[i].item);
      if (keys.has(key)) {
        i++;
        continue;
      }
      keys.add(key);
      batch.push(...waiting.splice(i, 1));
    }
    return batch;
  }

  function drain(): void {
    scheduled = false;
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = keyOf ? takeDistinct() : waiting.splice(0, maxBatch);
      inFlight++;
      void flush(batch).finally(() => {
        inFlight--;
        drain();
      });
    }
  }

  return {
    write(item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        // Requests parsed in the same turn of the event loop share the first statement too.
        if (!scheduled) {
          scheduled = true;
          setImmediate(drain);
        }
      });
    },
  };
}
