import { randomUUID } from 'node:crypto';
import { addSubscribers } from './delivery';
import type { Stack } from './lib/stack';
import { table } from './lib/stats';

// Worker memory for one large event fanned out wide: the fan-out loads the payload once per page,
// so a 1 MiB event to 1,000 subscribers must not cost 1 MiB per delivery.

export async function benchFanOutRss(stack: Stack, label: string, payloadBytes = 1024 * 1024, subscribers = 1000) {
  const event = `bench.rss.${Date.now()}`;
  await stack.sql`update webhook_subscribers set active = false`;
  await addSubscribers(stack, subscribers, [event]);
  await stack.resetReceiver('ok');
  const idle = stack.rssMb();
  let peak = idle.worker;
  const sampler = setInterval(() => (peak = Math.max(peak, stack.rssMb().worker)), 100);
  const started = Date.now();
  try {
    const res = await stack.admin('POST', '/events', { event, id: randomUUID(), data: { blob: 'x'.repeat(payloadBytes - 512) } });
    if (res.status !== 'received') throw new Error(`dispatch answered ${JSON.stringify(res)}`);
    for (;;) {
      const stats = await stack.receiverStats();
      if (stats.unique >= subscribers) break;
      if (Date.now() - started > 600_000) throw new Error(`only ${stats.unique} of ${subscribers} deliveries arrived`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    clearInterval(sampler);
  }
  const row = { mode: label, payload_kib: Math.round(payloadBytes / 1024), subscribers, seconds: +((Date.now() - started) / 1000).toFixed(1), worker_rss_idle_mb: idle.worker, worker_rss_peak_mb: peak, growth_mb: peak - idle.worker };
  table('Worker RSS: one large event fanned out wide', [row]);
  return [row];
}
