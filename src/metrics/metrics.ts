import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';
import type { DeliveryStatus } from '../db/schema';
import type { EndpointLoad } from '../protection/protection-repository';

/** A delivery's end state, as counted by `webhook_deliveries_total{status}`. */
export type FinishedDeliveryStatus = Exclude<DeliveryStatus, 'pending'>;

/** One HTTP attempt of a delivery, whatever its result. */
export interface AttemptObservation {
  /** The event type, e.g. `order.created`. */
  eventType: string;
  /** 1 for the first attempt, 2 for the first retry, and so on. */
  attempt: number;
  /** Wall time of the attempt, from the request's start to its response, timeout or network error. */
  durationMs: number;
}

export interface DeliveryFinished {
  eventType: string;
  status: FinishedDeliveryStatus;
}

export interface InboundAnswer {
  /** The source name (`default` for the unnamed path). */
  source: string;
  /** The error code of the answer, or `received` / `duplicate` / `challenge`. */
  outcome: string;
}

export interface MetricsOptions {
  /** Pending deliveries, read at scrape time for `webhook_queue_depth`. */
  queueDepth?: () => Promise<number>;
  /**
   * Endpoint protection's shared state, read at scrape time: subscribers with POSTs in flight or
   * paused, for `webhook_endpoint_in_flight` and `webhook_endpoint_paused`.
   */
  endpoints?: () => Promise<EndpointLoad[]>;
  /** Events accepted on commit whose workflow start is queued or in flight here, for `webhook_start_backlog`. */
  startBacklog?: () => number;
  /** Node process metrics (CPU, memory, event loop lag). Off for the throwaway apps tests build. */
  processMetrics?: boolean;
  logger?: Pick<Logger, 'warn'>;
  /** Distinct values kept per label before the rest are folded into `(other)`. */
  maxLabelValues?: number;
}

/** Latency buckets in seconds, 5 ms to 30 s: WEBHOOK_TIMEOUT is 5 s by default and rarely past 30 s. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The process's Prometheus metrics (SPEC S10), on a registry of its own rather than prom-client's
 * global one, so tests can build several apps in one process.
 *
 * Called by the delivery code:
 * - `metrics.attempt({ eventType, attempt, durationMs })` once per HTTP attempt, whatever its
 *   result: counts `webhook_delivery_attempts_total{attempt_number}` and observes
 *   `webhook_delivery_duration_seconds{event_type}`.
 * - `metrics.deliveryFinished({ eventType, status })` once per delivery, when it reaches
 *   `succeeded | failed | dead | cancelled`: counts `webhook_deliveries_total{event_type,status}`,
 *   and `webhook_dead_letters_total` for `dead`.
 *
 * Counters live in the process that calls them (the worker); `webhook_queue_depth` is read from
 * the database at scrape time, so every process reports the same value (graph it with `max`).
 */
export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  const maxLabelValues = options.maxLabelValues ?? 200;
  // Event types and source names come from senders: cap the series they can create.
  const eventTypes = labelGuard(maxLabelValues);
  const sources = labelGuard(maxLabelValues);

  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  const inbound = new Counter({
    name: 'webhook_inbound_requests_total',
    help: 'Answers of the inbound gateway, by source and outcome (the error code, or received / duplicate).',
    labelNames: ['source', 'outcome'] as const,
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Deliveries that reached an end state, by event type and status (succeeded, failed, dead, cancelled).',
    labelNames: ['event_type', 'status'] as const,
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'webhook_delivery_attempts_total',
    help: 'HTTP delivery attempts, by attempt number (1 is the first attempt, 2 the first retry).',
    labelNames: ['attempt_number'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'webhook_delivery_duration_seconds',
    help: 'Duration of each HTTP delivery attempt, by event type.',
    labelNames: ['event_type'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: 'webhook_dead_letters_total',
    help: 'Deliveries parked in the dead-letter queue after their last retry failed.',
    registers: [registry],
  });
  const appendices: Array<() => Promise<string>> = [];
  const queueDepth = options.queueDepth;
  if (queueDepth) {
    new Gauge({
      name: 'webhook_queue_depth',
      help: 'Deliveries pending in the database (waiting for an attempt or a retry), read at scrape time.',
      registers: [registry],
      async collect() {
        try {
          this.set(await queueDepth());
        } catch (err) {
          // NaN rather than a stale or zero value: a scrape must not report an empty queue it could not read.
          this.set(Number.NaN);
          options.logger?.warn({ err }, 'could not read the queue depth for /metrics');
        }
      },
    });
  }

  // Always registered (an app without a database exposes the families, empty).
  {
    const endpoints = options.endpoints ?? (async () => []);
    // One read per scrape for both gauges; the second reuses the first's rows.
    let latest: Promise<EndpointLoad[]> | null = null;
    const read = () => {
      latest ??= endpoints().finally(() => setTimeout(() => (latest = null), 1_000).unref());
      return latest;
    };
    const gauge = (name: string, help: string, value: (row: EndpointLoad) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['subscriber_id'] as const,
        registers: [registry],
        async collect() {
          this.reset();
          try {
            for (const row of await read()) {
              const v = value(row);
              if (v !== null) this.set({ subscriber_id: row.subscriberId }, v);
            }
          } catch (err) {
            options.logger?.warn({ err }, `could not read ${name} for /metrics`);
          }
        },
      });
    gauge('webhook_endpoint_in_flight', 'POSTs in flight to a subscriber across all workers (subscribers with any, or paused), read at scrape time.', (r) => r.inFlight);
    gauge('webhook_endpoint_paused', '1 while a Retry-After (429/503) pauses every delivery to the subscriber, read at scrape time.', (r) => (r.paused ? 1 : 0));
    gauge('webhook_endpoint_circuit_open', "1 while the subscriber's circuit is open (its deliveries held, only probes sent), read at scrape time.", (r) => (r.circuitOpen ? 1 : 0));
    gauge('webhook_endpoint_effective_max_in_flight', 'The adaptive cap on POSTs in flight to a subscriber, while overload signals (or a recovery ramp-up) hold it below max_in_flight.', (r) => r.effectiveInFlight);
    gauge('webhook_endpoint_effective_rate_per_second', "The adaptive rate of a rate-limited subscriber, while overload signals hold it below its rate_limit.", (r) => r.effectiveRatePerSecond);
  }

  const startBacklog = options.startBacklog;
  if (startBacklog) {
    new Gauge({
      name: 'webhook_start_backlog',
      help: 'Events this api process acknowledged on commit (WEBHOOK_ACK_AFTER=commit) whose workflow start is queued or in flight.',
      registers: [registry],
      collect() {
        this.set(startBacklog());
      },
    });
  }

  const workflowStarts = new Counter({
    name: 'webhook_workflow_starts_total',
    help: 'Event and delivery workflows this process started, by workflow (event, delivery) and whether the start was eager (its first task came back with the answer, to this process\'s worker).',
    labelNames: ['workflow', 'eager'] as const,
    registers: [registry],
  });

  const hookFailures = new Counter({
    name: 'webhook_plugin_hook_failures_total',
    help: 'Plugin hook calls that threw or timed out (and were ignored), by plugin, hook and reason (error, timeout).',
    labelNames: ['plugin', 'hook', 'reason'] as const,
    registers: [registry],
  });

  return {
    registry,
    contentType: registry.contentType,

    /** Counts a plugin hook call that threw or timed out. */
    hookFailed({ plugin, hook, reason }: { plugin: string; hook: string; reason: string }): void {
      hookFailures.inc({ plugin, hook, reason });
    },

    /** Counts one workflow this process started, and whether its first task came back with the answer. */
    workflowStarted(workflow: 'event' | 'delivery', eager: boolean): void {
      workflowStarts.inc({ workflow, eager: String(eager) });
    },

    /** Counts one answer of the inbound gateway. */
    inboundAnswered({ source, outcome }: InboundAnswer): void {
      inbound.inc({ source: sources(source), outcome });
    },

    /** Counts one HTTP attempt and observes its duration. */
    attempt({ eventType, attempt, durationMs }: AttemptObservation): void {
      attempts.inc({ attempt_number: String(attempt) });
      duration.observe({ event_type: eventTypes(eventType) }, Math.max(0, durationMs) / 1000);
    },

    /** Counts a delivery that reached an end state; `dead` also counts a dead letter. */
    deliveryFinished({ eventType, status }: DeliveryFinished): void {
      deliveries.inc({ event_type: eventTypes(eventType), status });
      if (status === 'dead') deadLetters.inc();
    },

    /** Adds Prometheus text to every scrape, e.g. the Temporal SDK's own metrics; its names must not clash with ours. */
    addAppendix(read: () => Promise<string>): void {
      appendices.push(read);
    },

    /** The Prometheus text exposition: this registry, then any appendix (an appendix that fails is left out). */
    async expose(): Promise<string> {
      const parts = [await registry.metrics()];
      for (const appendix of appendices) {
        const text = await appendix().catch((err: unknown) => {
          options.logger?.warn({ err }, 'a metrics appendix could not be read');
          return '';
        });
        if (text.trim()) parts.push(text.endsWith('\n') ? text : `${text}\n`);
      }
      return parts.join('');
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Keeps the first `max` distinct values of a label and folds later newcomers into `(other)`. */
function labelGuard(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return '(other)';
    seen.add(value);
    return value;
  };
}
