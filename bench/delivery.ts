import { randomUUID } from 'node:crypto';
import type { Stack } from './lib/stack';
import { cpuBoundPerSecond, cpuPer, cpuSplitText } from './lib/cpu';
import { table } from './lib/stats';

// End-to-end delivery: events dispatched through the admin API, received on loopback.

export async function addSubscribers(stack: Stack, count: number, events: string[]): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => ({ url: `${stack.receiverUrl}?s=${i}`, secret: `bench-secret-${i}-0123456789`, events }));
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await stack.sql`insert into webhook_subscribers ${stack.sql(chunk.map((r) => ({ ...r, events: stack.sql.json(r.events) })), 'url', 'secret', 'events')}`;
  }
}

/** Dispatches `count` events, `concurrency` at a time; `body(n)` gives the n-th request's fields beside `event`. */
export async function dispatchAll(stack: Stack, event: string, count: number, concurrency = 16, body: (n: number) => Record<string, unknown> = unique): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const res = await stack.admin('POST', '/events', { event, ...body(next++) });
        if (res.status !== 'received') throw new Error(`dispatch answered ${JSON.stringify(res)}`);
      }
    }),
  );
}

// A unique id: two events with equal content in the same millisecond would be one event.
const unique = () => ({ id: randomUUID(), data: { sentAt: Date.now() } });

export async function waitForReceipts(stack: Stack, expected: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await stack.receiverStats();
    if (stats.unique >= expected) return stats;
    if (Date.now() > deadline) throw new Error(`only ${stats.unique} of ${expected} deliveries arrived`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface Shape {
  events: number;
  subscribers: number;
}

export async function benchDeliveryShape(stack: Stack, shape: Shape, label: string) {
  const event = `bench.${shape.events}x${shape.subscribers}.${Date.now()}`;
  await stack.sql`update webhook_subscribers set active = false`;
  await addSubscribers(stack, shape.subscribers, [event]);
  await stack.resetReceiver('ok');
  const started = Date.now();
  const cpuBefore = stack.cpu();
  await dispatchAll(stack, event, shape.events);
  const expected = shape.events * shape.subscribers;
  const stats = await waitForReceipts(stack, expected, 600_000);
  const cpu = cpuPer(cpuBefore, stack.cpu(), expected);
  const seconds = (stats.last - started) / 1000;
  return {
    mode: label,
    shape: `${shape.events} events × ${shape.subscribers} subs`,
    deliveries: expected,
    seconds: +seconds.toFixed(1),
    deliveries_per_s: Math.round(expected / seconds),
    p50_ms: stats.p50,
    p99_ms: stats.p99,
    duplicates: stats.duplicates,
    // CPU per delivery, every process of the stack together, and the rate these cores allow at that cost.
    cpu_ms_per_delivery: cpu.total,
    cpu_bound_per_s: cpuBoundPerSecond(cpu.total),
    cpu_split_ms: cpuSplitText(cpu.split),
  };
}

/** A steady rate of deliveries: what latency does a delivery see when the system is not saturated? */
export async function benchSteadyLatency(stack: Stack, label: string, perSecond = 100, seconds = 15) {
  const subscribers = 10;
  const event = `bench.steady.${Date.now()}`;
  await stack.sql`update webhook_subscribers set active = false`;
  await addSubscribers(stack, subscribers, [event]);
  await stack.resetReceiver('ok');
  const eventsPerSecond = perSecond / subscribers;
  const total = eventsPerSecond * seconds;
  const started = Date.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / eventsPerSecond;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    void stack.admin('POST', '/events', { event, id: randomUUID(), data: { sentAt: Date.now() } });
  }
  const stats = await waitForReceipts(stack, total * subscribers, 120_000);
  return { mode: label, rate: `${perSecond} deliveries/s`, deliveries: total * subscribers, p50_ms: stats.p50, p99_ms: stats.p99, max_ms: stats.max };
}

export function printDelivery(rows: Record<string, unknown>[], steady: Record<string, unknown>[]) {
  table('End-to-end delivery: dispatch to last receipt (latency: accepted → received)', rows);
  table('Ingest-to-receipt latency at a steady rate', steady);
}
