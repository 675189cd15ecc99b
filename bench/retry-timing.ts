import { addSubscribers } from './delivery';
import type { Stack } from './lib/stack';
import { percentile, table } from './lib/stats';

// Against an always-failing receiver with a scaled schedule: how far does each attempt fire
// from its scheduled time (the previous attempt plus the step)?

export async function benchRetryTiming(stack: Stack, steps: number[], deliveries = 20) {
  const event = `bench.retry.${Date.now()}`;
  await stack.sql`update webhook_subscribers set active = false`;
  await addSubscribers(stack, deliveries, [event]);
  await stack.resetReceiver('fail');
  await stack.admin('POST', '/events', { event, data: { sentAt: Date.now() } });
  const attempts = steps.length + 1;
  const deadline = Date.now() + steps.reduce((a, b) => a + b, 0) + 60_000;
  let stats = await stack.receiverStats();
  while (Object.values(stats.attempts).filter((a) => a.length >= attempts).length < deliveries) {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
    stats = await stack.receiverStats();
  }
  const rows = steps.map((step, i) => {
    const errors = Object.values(stats.attempts)
      .filter((a) => a.length > i + 1)
      .map((a) => a[i + 1] - a[i] - step);
    return {
      retry: i + 1,
      step_ms: step,
      samples: errors.length,
      late_p50_ms: percentile(errors, 50),
      late_p99_ms: percentile(errors, 99),
      early_max_ms: Math.max(0, -Math.min(...errors)),
      late_max_ms: Math.max(...errors),
    };
  });
  table(`Retry timing: ${deliveries} deliveries against an always-failing receiver`, rows);
  await stack.resetReceiver('ok');
  return rows;
}
