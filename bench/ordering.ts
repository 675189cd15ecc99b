import os from 'node:os';
import type { Stack } from './lib/stack';
import { table } from './lib/stats';
import { addSubscribers, dispatchAll, waitForReceipts } from './delivery';

// `npm run bench -- ordering`: ordered delivery per key against unkeyed delivery, to one ordered
// subscriber. Keyed deliveries of one key are made one after another (one workflow per key, each
// delivery a child workflow), so 1 key is the serial worst case and many keys approach the
// parallel path; the unkeyed row, measured in the same run, is the fast path they are compared with.

/** The machine is shared: each row says how loaded it was (1-minute load average) when it ended. */
const load = () => +os.loadavg()[0].toFixed(1);

export async function benchOrdering(stack: Stack, events = 1000): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const keys of [null, 1, 10, 1000] as const) {
    const event = `bench.ordering.${keys ?? 'none'}.${Date.now()}`;
    await stack.sql`update webhook_subscribers set active = false`;
    await addSubscribers(stack, 1, [event]);
    await stack.sql`update webhook_subscribers set ordered_delivery = true where active`;
    await stack.resetReceiver('ok');
    const started = Date.now();
    // Each lane sends its events in order, so a key's events are accepted in (nearly) their order.
    await dispatchAll(stack, event, events, 16, (n) => ({ id: `${event}/${n}`, data: { n, sentAt: Date.now() }, ...(keys === null ? {} : { ordering_key: `k${n % keys}` }) }));
    const stats = await waitForReceipts(stack, events, 900_000);
    const seconds = (stats.last - started) / 1000;
    rows.push({
      keys: keys === null ? 'unkeyed' : keys,
      deliveries: events,
      seconds: +seconds.toFixed(1),
      deliveries_per_s: Math.round(events / seconds),
      p50_ms: stats.p50,
      p99_ms: stats.p99,
      duplicates: stats.duplicates,
      load_1m: load(),
    });
  }
  table(`Ordered delivery: ${events} events to one ordered subscriber, by number of keys (dispatch to last receipt)`, rows);
  return rows;
}
