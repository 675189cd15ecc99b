import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createMetrics } from '../../../src/metrics/metrics';

// deploy/ must only name metrics that /metrics really exposes: a typo there is a silent empty panel.

const read = (file: string) => readFileSync(path.join(__dirname, '../../../deploy', file), 'utf8');

async function exposedFamilies(): Promise<Set<string>> {
  const text = await createMetrics({ queueDepth: async () => 0, startBacklog: () => 0 }).expose();
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
}

/** The webhook_* families an expression text names, without the histogram series suffixes. */
function namedFamilies(text: string): Set<string> {
  return new Set([...text.matchAll(/\bwebhook_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')));
}

describe('deploy/ observability files', () => {
  it('the Grafana dashboard is JSON whose queries name only exposed metrics, covering every S10 family', async () => {
    const dashboard = JSON.parse(read('grafana-dashboard.json'));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => t.expr));
    const families = await exposedFamilies();
    const named = namedFamilies(exprs.join('\n'));

    expect([...named].filter((n) => !families.has(n))).toEqual([]);
    expect([...families].sort()).toEqual([...named].sort());
    for (const q of ['0.5', '0.95', '0.99']) {
      expect(exprs).toContainEqual(expect.stringContaining(`histogram_quantile(${q}, sum by (le) (rate(webhook_delivery_duration_seconds_bucket`));
    }
    expect(exprs.some((e) => e.startsWith('sum by (attempt_number)'))).toBe(true);
    expect(new Set(dashboard.panels.map((p: { id: number }) => p.id)).size).toBe(dashboard.panels.length);
  });

  it('the alert rules cover the failure rate, DLQ growth and no deliveries while events arrive, naming only exposed metrics', async () => {
    const rules = read('prometheus-alerts.yml');
    const families = await exposedFamilies();
    expect([...namedFamilies(rules)].filter((n) => !families.has(n))).toEqual([]);
    for (const alert of ['WebhookDeliveryFailureRateHigh', 'WebhookDeadLettersGrowing', 'WebhookNoDeliveriesWhileEventsArrive']) {
      expect(rules).toContain(`- alert: ${alert}\n`);
    }
    // YAML indentation is structure: no tabs.
    expect(rules).not.toMatch(/\t/);
  });
});
