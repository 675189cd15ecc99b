import { createMetrics } from '../../../src/metrics/metrics';

/** The sample lines of one metric family, without HELP and TYPE. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('metrics registry', () => {
  it('exposes every SPEC S10 family with its HELP, TYPE and labels', async () => {
    const metrics = createMetrics({ queueDepth: async () => 7, startBacklog: () => 3 });
    metrics.inboundAnswered({ source: 'default', outcome: 'received' });
    metrics.inboundAnswered({ source: 'default', outcome: 'invalid_signature' });
    metrics.inboundAnswered({ source: 'default', outcome: 'invalid_signature' });
    metrics.attempt({ eventType: 'order.created', attempt: 1, durationMs: 42 });
    metrics.attempt({ eventType: 'order.created', attempt: 2, durationMs: 1500 });
    metrics.deliveryFinished({ eventType: 'order.created', status: 'succeeded' });
    metrics.deliveryFinished({ eventType: 'order.created', status: 'dead' });

    const text = await metrics.expose();

    for (const [name, type] of [
      ['webhook_inbound_requests_total', 'counter'],
      ['webhook_deliveries_total', 'counter'],
      ['webhook_delivery_attempts_total', 'counter'],
      ['webhook_delivery_duration_seconds', 'histogram'],
      ['webhook_dead_letters_total', 'counter'],
      ['webhook_queue_depth', 'gauge'],
      ['webhook_start_backlog', 'gauge'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
      expect(text).toMatch(new RegExp(`# HELP ${name} \\S`));
    }
    expect(samples(text, 'webhook_inbound_requests_total').sort()).toEqual([
      'webhook_inbound_requests_total{source="default",outcome="invalid_signature"} 2',
      'webhook_inbound_requests_total{source="default",outcome="received"} 1',
    ]);
    expect(samples(text, 'webhook_deliveries_total').sort()).toEqual([
      'webhook_deliveries_total{event_type="order.created",status="dead"} 1',
      'webhook_deliveries_total{event_type="order.created",status="succeeded"} 1',
    ]);
    expect(samples(text, 'webhook_delivery_attempts_total').sort()).toEqual([
      'webhook_delivery_attempts_total{attempt_number="1"} 1',
      'webhook_delivery_attempts_total{attempt_number="2"} 1',
    ]);
    expect(samples(text, 'webhook_dead_letters_total')).toEqual(['webhook_dead_letters_total 1']);
    expect(samples(text, 'webhook_queue_depth')).toEqual(['webhook_queue_depth 7']);
    expect(samples(text, 'webhook_start_backlog')).toEqual(['webhook_start_backlog 3']);
  });

  it('observes attempt durations in seconds on buckets from 5 ms to 30 s', async () => {
    const metrics = createMetrics();
    metrics.attempt({ eventType: 'order.created', attempt: 1, durationMs: 42 });
    metrics.attempt({ eventType: 'order.created', attempt: 1, durationMs: 1500 });
    metrics.attempt({ eventType: 'order.created', attempt: 1, durationMs: 45_000 });

    const text = await metrics.expose();
    const buckets = samples(text, 'webhook_delivery_duration_seconds_bucket');
    expect(buckets[0]).toBe('webhook_delivery_duration_seconds_bucket{le="0.005",event_type="order.created"} 0');
    expect(buckets).toContain('webhook_delivery_duration_seconds_bucket{le="0.05",event_type="order.created"} 1');
    expect(buckets).toContain('webhook_delivery_duration_seconds_bucket{le="2.5",event_type="order.created"} 2');
    expect(buckets).toContain('webhook_delivery_duration_seconds_bucket{le="30",event_type="order.created"} 2');
    expect(buckets.at(-1)).toBe('webhook_delivery_duration_seconds_bucket{le="+Inf",event_type="order.created"} 3');
    expect(samples(text, 'webhook_delivery_duration_seconds_count')).toEqual(['webhook_delivery_duration_seconds_count{event_type="order.created"} 3']);
    expect(samples(text, 'webhook_delivery_duration_seconds_sum')).toEqual(['webhook_delivery_duration_seconds_sum{event_type="order.created"} 46.542']);
  });

  it('keeps a registry per instance, so two apps in one process do not share counts', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.deliveryFinished({ eventType: 'x', status: 'failed' });
    expect(samples(await a.expose(), 'webhook_deliveries_total')).toHaveLength(1);
    expect(samples(await b.expose(), 'webhook_deliveries_total')).toHaveLength(0);
  });

  it('folds event types past the cap into one (other) series', async () => {
    const metrics = createMetrics({ maxLabelValues: 2 });
    for (const type of ['a', 'b', 'c', 'd', 'a']) metrics.deliveryFinished({ eventType: type, status: 'succeeded' });
    expect(samples(await metrics.expose(), 'webhook_deliveries_total').sort()).toEqual([
      'webhook_deliveries_total{event_type="(other)",status="succeeded"} 2',
      'webhook_deliveries_total{event_type="a",status="succeeded"} 2',
      'webhook_deliveries_total{event_type="b",status="succeeded"} 1',
    ]);
  });

  it('reports the queue depth as NaN, not 0, when the database cannot be read', async () => {
    const warn = jest.fn();
    const metrics = createMetrics({ queueDepth: async () => Promise.reject(new Error('connection refused')), logger: { warn } });
    // prom-client writes "Nan"; Prometheus parses float values case-insensitively.
    expect(samples(await metrics.expose(), 'webhook_queue_depth')).toEqual([expect.stringMatching(/^webhook_queue_depth nan$/i)]);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('appends appendices after its own families and leaves out one that fails', async () => {
    const metrics = createMetrics({ logger: { warn: () => undefined } });
    metrics.addAppendix(async () => '# TYPE temporal_worker_task_slots_available gauge\ntemporal_worker_task_slots_available 10');
    metrics.addAppendix(async () => Promise.reject(new Error('exporter down')));
    const text = await metrics.expose();
    expect(text.endsWith('temporal_worker_task_slots_available 10\n')).toBe(true);
    expect(text.indexOf('webhook_dead_letters_total')).toBeLessThan(text.indexOf('temporal_worker_task_slots_available'));
  });

  it('adds the Node process metrics only when asked', async () => {
    expect(await createMetrics().expose()).not.toContain('process_cpu_seconds_total');
    expect(await createMetrics({ processMetrics: true }).expose()).toContain('process_cpu_seconds_total');
  });
});
