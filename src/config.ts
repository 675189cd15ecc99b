import { z } from 'zod';
import { parseDuration } from './domain/duration';

// The one place that reads the environment. Everything else receives a Config.

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

const list = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

const byteSize = z
  .string()
  .default('1048576')
  .transform((v, ctx) => {
    const m = /^(\d+)\s*(b|kb|kib|mb|mib)?$/i.exec(v.trim());
    if (!m) {
      ctx.addIssue({ code: 'custom', message: 'must be a byte count such as 1048576, 512kb or 1mb' });
      return z.NEVER;
    }
    const unit = (m[2] ?? 'b').toLowerCase();
    const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
    return Number(m[1]) * factor;
  });

export const DEFAULT_RETRY_SCHEDULE = '1s,5s,30s,2m,10m,30m';

export const configSchema = z
  .object({
    PORT: int(3000).pipe(z.number().max(65535)),
    HOST: z.string().default('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PUBLIC_URL: z.url().optional(),
    DATA_DIR: z.string().default('.data'),

    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    DATABASE_POOL_SIZE: int(10, 1),

    TEMPORAL_ADDRESS: z.string().optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('webhooks'),
    TEMPORAL_UI_URL: z.url().optional(),
    TEMPORAL_CLI_PATH: z.string().optional(),
    /** Searched for the `temporal` CLI when TEMPORAL_CLI_PATH is unset. */
    PATH: z.string().default(''),
    TEMPORAL_SEARCH_ATTRIBUTES: bool(true),
    /** Workflows a worker keeps in memory between tasks (the rest replay from history). */
    TEMPORAL_MAX_CACHED_WORKFLOWS: int(500, 0),
    /** Workflow-task pollers per worker; half poll the shared queue, where every new event workflow starts. */
    TEMPORAL_WORKFLOW_TASK_POLLERS: int(20, 2),
    /** Workflow tasks a worker runs at once. */
    TEMPORAL_WORKFLOW_TASK_SLOTS: int(100, 2),

    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),

    WEBHOOK_INBOUND_ENABLED: bool(true),
    WEBHOOK_INBOUND_PATH: z.string().startsWith('/', 'must start with /').default('/webhook/inbound'),
    WEBHOOK_INBOUND_SECRET: z.string().min(1).optional(),
    WEBHOOK_VALIDATE_SIGNATURE: bool(true),
    WEBHOOK_BODY_LIMIT: byteSize,
    WEBHOOK_MAX_CLOCK_SKEW: int(120),
    WEBHOOK_IP_WHITELIST: list,
    WEBHOOK_ASN_DB: z.string().optional(),
    WEBHOOK_TRUST_PROXY: list,
    /** Requests per source and client IP in each WEBHOOK_RATE_LIMIT_WINDOW; 0 turns the limit off. */
    WEBHOOK_RATE_LIMIT: int(0),
    /** `start`: answer once the workflow started (SPEC S3). `commit`: once the event row is committed. */
    WEBHOOK_ACK_AFTER: z.enum(['start', 'commit']).default('commit'),
    /** `commit` mode: accepted events waiting for their workflow start, per api process, before 503. */
    WEBHOOK_START_BACKLOG: int(20_000, 1),
    /** `commit` mode: background workflow starts in flight per api process. */
    WEBHOOK_START_CONCURRENCY: int(32, 1),
    WEBHOOK_RATE_LIMIT_WINDOW: duration('1m').pipe(z.number().min(1000, 'must be at least 1s')),
    /** The longest `Prefer: wait=<seconds>` the gateway honours. */
    WEBHOOK_SYNC_MAX_WAIT: int(30),

    WEBHOOK_TIMEOUT: z.coerce.number().positive().default(5),
    /** POSTs in flight per worker, across fan-out pages and delivery workflows, shared fairly between subscribers. */
    WEBHOOK_CONCURRENCY: int(10, 1),
    /**
     * POSTs in flight to one subscriber across all workers, unless the subscriber sets its own
     * max_in_flight. 8: a small receiver (a few app-server processes) answers that many at once,
     * one fast receiver still gets hundreds of deliveries a second, and one slow receiver cannot
     * hold more than 8 of the worker's WEBHOOK_CONCURRENCY (10) slots.
     */
    WEBHOOK_ENDPOINT_CONCURRENCY: int(8, 1).pipe(z.number().max(1000)),
    /** The longest pause a receiver's Retry-After (on 429 or 503) imposes on its whole subscriber (S6's cap, twice the step, applies too). */
    WEBHOOK_MAX_PAUSE: duration('5m'),
    /** Activities a worker runs at once. They mostly wait on the network or on a POST slot, so many are cheap. */
    WEBHOOK_ACTIVITY_SLOTS: int(200, 1),
    /** How long an attempt waits for a POST slot before its delivery waits durably in its workflow instead. */
    WEBHOOK_ADMISSION_WAIT: duration('2s'),
    WEBHOOK_RETRY_SCHEDULE: z
      .string()
      .default(DEFAULT_RETRY_SCHEDULE)
      .transform((v, ctx) => {
        try {
          return v.split(',').map((s) => parseDuration(s));
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
    /** Defaults to the schedule's length (6 for the default schedule). */
    WEBHOOK_MAX_RETRIES: z.coerce.number().int().min(0).optional(),
    /** First attempts inside the fan-out; a delivery workflow only for deliveries that need retries. */
    WEBHOOK_FAST_PATH: bool(true),
    /** First attempts a fan-out page makes at once; each still needs one of the worker's WEBHOOK_CONCURRENCY slots. */
    WEBHOOK_FANOUT_CONCURRENCY: int(50, 1),
    /**
     * Run the first fan-out page as a local activity: fewer history events, no task-queue round
     * trip. Off by default: a local activity cannot heartbeat, and a PostgreSQL-outage test saw a
     * page that did not resume in time.
     */
    WEBHOOK_LOCAL_FANOUT: bool(false),
    WEBHOOK_ALLOW_PRIVATE_TARGETS: bool(false),
    WEBHOOK_PRIVATE_TARGET_ALLOWLIST: list,
    WEBHOOK_SECRET_GRACE: duration('24h'),
    WEBHOOK_SIGNATURE_VERSIONS: z.enum(['v1', 'v2', 'both']).default('both'),
    /** How often the api re-starts events recorded without a workflow (a crash between the two); 0 turns it off. */
    WEBHOOK_SWEEP_INTERVAL: duration('30s').pipe(z.number().refine((v) => v === 0 || v >= 1000, 'must be 0 (off) or at least 1s')),

    /** A worker-only process serves /metrics on this port (HOST is the address); 0 turns it off. */
    WORKER_METRICS_PORT: int(9464).pipe(z.number().max(65535)),
    /** Merge the Temporal SDK's worker metrics (temporal_*) into the process's /metrics. */
    TEMPORAL_SDK_METRICS: bool(true),
  })
  .superRefine((c, ctx) => {
    if (c.WEBHOOK_INBOUND_ENABLED && c.WEBHOOK_VALIDATE_SIGNATURE && !c.WEBHOOK_INBOUND_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_INBOUND_SECRET'],
        message:
          'is required while WEBHOOK_VALIDATE_SIGNATURE=true (the gateway fails closed); set a secret or WEBHOOK_VALIDATE_SIGNATURE=false',
      });
    }
    if (c.WEBHOOK_MAX_RETRIES !== undefined && c.WEBHOOK_MAX_RETRIES > c.WEBHOOK_RETRY_SCHEDULE.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_MAX_RETRIES'],
        message: `is ${c.WEBHOOK_MAX_RETRIES} but WEBHOOK_RETRY_SCHEDULE has only ${c.WEBHOOK_RETRY_SCHEDULE.length} steps`,
      });
    }
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Thrown when the environment does not hold a valid configuration; the message names each variable. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable} ${i.message}`).join('\n')}`);
  }
}

/** Reads the configuration from an environment-shaped record. Empty strings count as unset. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? '(config)'),
      message: issue.message,
    })),
  );
}

/** The retry delays in force: the schedule cut to WEBHOOK_MAX_RETRIES steps. */
export function retryDelays(config: Config): number[] {
  return config.WEBHOOK_RETRY_SCHEDULE.slice(0, config.WEBHOOK_MAX_RETRIES ?? config.WEBHOOK_RETRY_SCHEDULE.length);
}

/**
 * Reads process.env once, at boot. No other module touches process.env. `defaults` fill in
 * what the environment leaves unset (the embedded mode's generated secrets).
 */
export function loadConfig(defaults: Record<string, string | undefined> = {}): Config {
  const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ''));
  return parseConfig({ ...defaults, ...env });
}
