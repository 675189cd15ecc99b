import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { waitForReceipts } from './delivery';
import type { Stack } from './lib/stack';

// Endpoint protection's headline (issue 18), on a bench stack with the defaults: the healthy
// subscriber's latency (accepted → received, first attempts) alone, then beside one subscriber
// that answers after 4 s and one that never answers, each at 10 events per second. The healthy
// receiver is the stack's own (it measures receipt time minus data.sentAt); the bad neighbours
// are loopback servers in this process. test/heavy/noisy-neighbour.test.ts asserts the same aim.

const RATE_PER_SECOND = 10;
const SLOW_MS = 4_000;

/** A receiver that answers after `delayMs`, or never when `delayMs` is null. */
async function neighbour(delayMs: number | null): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    if (delayMs === null) return; // never answers: the POST times out
    setTimeout(() => {
      res.statusCode = 200;
      res.end('ok');
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/bad`, server };
}

async function subscribe(stack: Stack, url: string, events: string[]): Promise<void> {
  await stack.sql`insert into webhook_subscribers (url, secret, events) values (${url}, ${`bench-secret-${randomUUID()}`}, ${stack.sql.json(events)})`;
}

/** Sends `count` events of `type` at RATE_PER_SECOND, each stamped with its send time. */
async function sendSteadily(stack: Stack, type: string, count: number): Promise<void> {
  const start = Date.now();
  const sent: Promise<void>[] = [];
  for (let n = 0; n < count; n++) {
    const due = start + (n * 1000) / RATE_PER_SECOND;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    sent.push(
      stack.admin('POST', '/events', { event: type, id: randomUUID(), data: { sentAt: Date.now(), n } }).then((res) => {
        if (res.status !== 'received') throw new Error(`dispatch answered ${JSON.stringify(res)}`);
      }),
    );
  }
  await Promise.all(sent);
}

async function phase(stack: Stack, label: string, type: string, count: number): Promise<Record<string, unknown>> {
  await stack.resetReceiver('ok');
  await sendSteadily(stack, type, count);
  const stats = await waitForReceipts(stack, count, 120_000);
  return { healthy_subscriber: label, events: count, received: stats.unique, duplicates: stats.duplicates, p50_ms: stats.p50, p99_ms: stats.p99, max_ms: stats.max };
}

export async function benchProtection(stack: Stack): Promise<Record<string, unknown>[]> {
  const prefix = `bench.nn.${Date.now()}`;
  await subscribe(stack, stack.receiverUrl, [`${prefix}.*`]);
  // Warm-up, not measured: the first events of a fresh stack pay for compiling and connecting.
  await phase(stack, 'warm-up', `${prefix}.warmup`, 20);
  // As many events alone as beside: two p99s of samples of one size.
  const alone = await phase(stack, 'alone', `${prefix}.alone`, 200);
  const slow = await neighbour(SLOW_MS);
  const dead = await neighbour(null);
  try {
    await subscribe(stack, slow.url, [`${prefix}.mixed`]);
    await subscribe(stack, dead.url, [`${prefix}.mixed`]);
    const beside = await phase(stack, 'beside a 4 s and a dead neighbour', `${prefix}.mixed`, 200);
    const ratio = Number(beside.p99_ms) / Math.max(Number(alone.p99_ms), 1);
    return [{ ...alone, p99_vs_alone: '1.0×' }, { ...beside, p99_vs_alone: `${ratio.toFixed(1)}×` }];
  } finally {
    slow.server.closeAllConnections();
    dead.server.closeAllConnections();
    slow.server.close();
    dead.server.close();
  }
}
