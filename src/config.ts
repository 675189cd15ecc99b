import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { BreakerSettings } from './protection/circuit-breaker';
import { parseDuration } from './domain/duration';
import { secretProblem } from './domain/secret-mask';
import { parseRetentionAge } from './retention/retention-age';

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

/** A string setting read by `parse`; its error message becomes the variable's. */
const parsedWith = (parse: (v: string) => number) => (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return parse(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

const duration = parsedWith(parseDuration);
const retentionAge = parsedWith(parseRetentionAge);

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

/** A path to a readable PEM file holding `label` (CERTIFICATE, PRIVATE KEY); checked at boot, read again at connect. */
const pemFile = (label: string) =>
  z
    .string()
    .superRefine((file, ctx) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `cannot be read: ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
        return;
      }
      if (!new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(text)) ctx.addIssue({ code: 'custom', message: `is not a PEM file with a ${label}: ${file}` });
    })
    .optional();

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

    /** The delivery engine: `temporal` (the default), or `pgboss`, PostgreSQL alone (pg-boss; needs DATABASE_URL). */
    QUEUE_DRIVER: z.enum(['temporal', 'pgboss']).default('temporal'),
    /** pgboss: a running job whose worker has been silent this long (killed, frozen) is retried by another worker. */
    QUEUE_LIVENESS: duration('30s').pipe(z.number().min(3000, 'must be at least 3s')),

    TEMPORAL_ADDRESS: z.string().optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('webhooks'),
    TEMPORAL_UI_URL: z.url().optional(),
    TEMPORAL_CLI_PATH: z.string().optional(),
    /** Searched for the `temporal` CLI when TEMPORAL_CLI_PATH is unset. */
    PATH: z.string().default(''),
    TEMPORAL_SEARCH_ATTRIBUTES: bool(true),

    // Connecting to a Temporal cluster that needs TLS or an API key (Temporal Cloud). Mapped to
    // SDK options in src/temporal/connection-options.ts; the cross-checks are below.
    /** Force TLS on (system roots) or off; unset: on when any TLS setting or an API key is given. */
    TEMPORAL_TLS: z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .optional(),
    /** mTLS client certificate (PEM), with TEMPORAL_TLS_KEY. */
    TEMPORAL_TLS_CERT: pemFile('CERTIFICATE'),
    /** mTLS client private key (PEM), with TEMPORAL_TLS_CERT. */
    TEMPORAL_TLS_KEY: pemFile('PRIVATE KEY'),
    /** CA bundle (PEM) that signed the server's certificate; unset: the system roots. */
    TEMPORAL_TLS_CA: pemFile('CERTIFICATE'),
    /** The name to check the server's certificate against (and send as SNI), when it differs from the address's host. */
    TEMPORAL_TLS_SERVER_NAME: z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a host name').optional(),
    /** Sent as `Authorization: Bearer <key>` (Temporal Cloud API keys); implies TLS. Never logged. */
    TEMPORAL_API_KEY: z.string().regex(/^\S+$/, 'must not be empty or contain whitespace').optional(),
    /** Workflows a worker keeps in memory between tasks (the rest replay from history). */
    TEMPORAL_MAX_CACHED_WORKFLOWS: int(500, 0),
    /** Workflow-task pollers per worker; half poll the shared queue, where every new event workflow starts. */
    TEMPORAL_WORKFLOW_TASK_POLLERS: int(20, 2),
    /** Workflow tasks a worker runs at once. */
    TEMPORAL_WORKFLOW_TASK_SLOTS: int(100, 2),
    /**
     * A process that runs a worker starts its workflows eagerly: the first workflow task comes back
     * with the start's answer (when the worker has a free slot) instead of through a poll.
     */
    TEMPORAL_EAGER_START: bool(true),
    /** Threads that run workflow tasks in a worker (each keeps one reused V8 context). */
    TEMPORAL_WORKFLOW_THREADS: int(2, 1),

    ADMIN_TOKEN: z
      .string()
      .min(16, 'must be at least 16 characters')
      .refine((v) => secretProblem(v) === null, 'must not be blank or begin or end with whitespace')
      .optional(),

    WEBHOOK_INBOUND_ENABLED: bool(true),
    WEBHOOK_INBOUND_PATH: z.string().startsWith('/', 'must start with /').default('/webhook/inbound'),
    /** A comma list: the secrets in force (several during a rotation). No entry may be empty. */
    WEBHOOK_INBOUND_SECRET: z
      .string()
      .min(1)
      .refine((v) => v.split(',').every((s) => s.trim() !== ''), 'holds an empty secret (a stray comma or blank entry); an HMAC with an empty key proves nothing')
      .optional(),
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
    /**
     * false: no shared gate. No max_in_flight across workers, rate limit, Retry-After pause or
     * circuit breaker; only the worker's fair share of WEBHOOK_CONCURRENCY. For measuring their
     * price (`npm run bench -- delivery`), or an install that wants none of them.
     */
    WEBHOOK_ENDPOINT_PROTECTION: bool(true),
    /** The longest pause a receiver's Retry-After (on 429 or 503) imposes on its whole subscriber (S6's cap, twice the step, applies too). */
    WEBHOOK_MAX_PAUSE: duration('5m'),
    /** The circuit breaker (src/protection/circuit-breaker.ts): failed share of a window's attempts that opens it. */
    WEBHOOK_BREAKER_FAILURE_RATE: z.coerce.number().gt(0, 'must be above 0').max(1, 'must be at most 1').default(0.8),
    WEBHOOK_BREAKER_WINDOW: duration('1m').pipe(z.number().min(1000, 'must be at least 1s')),
    /** Attempts a window needs before its failure rate counts: one flaky response cannot open the circuit. */
    WEBHOOK_BREAKER_MIN_ATTEMPTS: int(20, 1),
    /** Timeouts in a row that open the circuit. */
    WEBHOOK_BREAKER_TIMEOUTS: int(5, 1),
    /** The first probe after the circuit opens; each failed probe doubles the wait up to WEBHOOK_BREAKER_PROBE_MAX. */
    WEBHOOK_BREAKER_PROBE_INTERVAL: duration('30s').pipe(z.number().min(100, 'must be at least 100ms')),
    WEBHOOK_BREAKER_PROBE_MAX: duration('10m').pipe(z.number().min(100, 'must be at least 100ms')),
    /** A circuit open this long without a successful probe disables its subscriber (with a reason). */
    WEBHOOK_DISABLE_AFTER: duration('5d').pipe(z.number().min(1000, 'must be at least 1s')),
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
     * Run the first fan-out page (100 subscribers) as a local activity: fewer history events, no
     * task-queue round trip. It cannot heartbeat, so its timeout leaves room for two deliveries'
     * admission wait and attempt (src/engine/page-timeouts.ts), and the page begins no delivery
     * that would outlive it.
     */
    WEBHOOK_LOCAL_FANOUT: bool(true),
    WEBHOOK_ALLOW_PRIVATE_TARGETS: bool(false),
    WEBHOOK_PRIVATE_TARGET_ALLOWLIST: list,
    WEBHOOK_SECRET_GRACE: duration('24h'),
    WEBHOOK_SIGNATURE_VERSIONS: z.enum(['v1', 'v2', 'both']).default('both'),
    /** How often the api re-starts events recorded without a workflow (a crash between the two); 0 turns it off. */
    WEBHOOK_SWEEP_INTERVAL: duration('30s').pipe(z.number().refine((v) => v === 0 || v >= 1000, 'must be 0 (off) or at least 1s')),

    /** Days (or a duration: `12h`, `30s`) before event payloads and request bodies are removed; 0 keeps them. */
    WEBHOOK_RETENTION_PAYLOAD_DAYS: retentionAge('30'),
    /** Days (or a duration) before attempt logs lose their response bodies; 0 keeps them. */
    WEBHOOK_RETENTION_RESPONSE_DAYS: retentionAge('30'),
    /** Days (or a duration) before attempt logs, finished delivery rows and their events are deleted; 0 keeps them. */
    WEBHOOK_RETENTION_LOG_DAYS: retentionAge('90'),
    /** How often the pruner's Temporal Schedule runs; 0 turns the pruner off. */
    WEBHOOK_RETENTION_INTERVAL: duration('1h').pipe(z.number().refine((v) => v === 0 || v >= 1000, 'must be 0 (off) or at least 1s')),
    /** Plugin modules (paths from the working directory, or package names), loaded once at boot by the api and the worker (docs/plugins.md). */
    WEBHOOK_PLUGINS: list,
    /** How long a plugin's beforeDispatch or afterDelivery hook may take before it is logged, counted and ignored. */
    WEBHOOK_HOOK_TIMEOUT: duration('5s').pipe(z.number().min(1, 'must be more than 0')),

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
    const logAge = c.WEBHOOK_RETENTION_LOG_DAYS;
    for (const name of ['WEBHOOK_RETENTION_PAYLOAD_DAYS', 'WEBHOOK_RETENTION_RESPONSE_DAYS'] as const) {
      if (logAge > 0 && (c[name] === 0 || c[name] > logAge)) {
        ctx.addIssue({
          code: 'custom',
          path: ['WEBHOOK_RETENTION_LOG_DAYS'],
          message: `is shorter than ${name}: deleting logs and delivery rows removes their bodies too; make it 0 (keep) or at least as long`,
        });
      }
    }
    if (c.QUEUE_DRIVER === 'pgboss' && !c.DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['QUEUE_DRIVER'], message: 'is pgboss, which needs a real PostgreSQL: set DATABASE_URL (pg-boss cannot run on the embedded PGlite)' });
    }
    temporalConnectionIssues(c).forEach((issue) => ctx.addIssue({ code: 'custom', ...issue }));
    if (c.WEBHOOK_MAX_RETRIES !== undefined && c.WEBHOOK_MAX_RETRIES > c.WEBHOOK_RETRY_SCHEDULE.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_MAX_RETRIES'],
        message: `is ${c.WEBHOOK_MAX_RETRIES} but WEBHOOK_RETRY_SCHEDULE has only ${c.WEBHOOK_RETRY_SCHEDULE.length} steps`,
      });
    }
  });

/** The Temporal connection settings that only make sense together. */
function temporalConnectionIssues(c: {
  TEMPORAL_ADDRESS?: string;
  TEMPORAL_TLS?: boolean;
  TEMPORAL_TLS_CERT?: string;
  TEMPORAL_TLS_KEY?: string;
  TEMPORAL_TLS_CA?: string;
  TEMPORAL_TLS_SERVER_NAME?: string;
  TEMPORAL_API_KEY?: string;
}): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  if (c.TEMPORAL_TLS_CERT && !c.TEMPORAL_TLS_KEY) issues.push({ path: ['TEMPORAL_TLS_KEY'], message: 'is required with TEMPORAL_TLS_CERT (the client certificate\'s private key)' });
  if (c.TEMPORAL_TLS_KEY && !c.TEMPORAL_TLS_CERT) issues.push({ path: ['TEMPORAL_TLS_CERT'], message: 'is required with TEMPORAL_TLS_KEY (the client certificate)' });
  const tlsSettings = ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CA', 'TEMPORAL_TLS_SERVER_NAME'] as const;
  if (c.TEMPORAL_TLS === false) {
    for (const name of tlsSettings) if (c[name]) issues.push({ path: [name], message: 'is set but TEMPORAL_TLS=false' });
    if (c.TEMPORAL_API_KEY) issues.push({ path: ['TEMPORAL_API_KEY'], message: 'needs TLS: TEMPORAL_TLS=false would send the key in clear text' });
  }
  const anyTemporalAuth = c.TEMPORAL_TLS !== undefined || tlsSettings.some((name) => c[name]) || c.TEMPORAL_API_KEY;
  if (anyTemporalAuth && !c.TEMPORAL_ADDRESS) {
    issues.push({ path: ['TEMPORAL_ADDRESS'], message: 'is required with the TEMPORAL_TLS_* and TEMPORAL_API_KEY settings (the embedded dev server has neither)' });
  }
  return issues;
}

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

/** The inbound secrets in force: WEBHOOK_INBOUND_SECRET split on commas and trimmed (never an empty one). */
export function inboundSecrets(config: Config): string[] {
  return config.WEBHOOK_INBOUND_SECRET ? config.WEBHOOK_INBOUND_SECRET.split(',').map((s) => s.trim()) : [];
}

/** The retry delays in force: the schedule cut to WEBHOOK_MAX_RETRIES steps. */
export function retryDelays(config: Config): number[] {
  return config.WEBHOOK_RETRY_SCHEDULE.slice(0, config.WEBHOOK_MAX_RETRIES ?? config.WEBHOOK_RETRY_SCHEDULE.length);
}

/** The circuit breaker's settings from the config. */
export function breakerSettings(config: Config): BreakerSettings {
  return {
    failureRate: config.WEBHOOK_BREAKER_FAILURE_RATE,
    windowMs: config.WEBHOOK_BREAKER_WINDOW,
    minAttempts: config.WEBHOOK_BREAKER_MIN_ATTEMPTS,
    timeoutsInRow: config.WEBHOOK_BREAKER_TIMEOUTS,
    probeMinMs: config.WEBHOOK_BREAKER_PROBE_INTERVAL,
    probeMaxMs: Math.max(config.WEBHOOK_BREAKER_PROBE_MAX, config.WEBHOOK_BREAKER_PROBE_INTERVAL),
    disableAfterMs: config.WEBHOOK_DISABLE_AFTER,
  };
}

/**
 * Reads process.env once, at boot. No other module touches process.env. `defaults` fill in
 * what the environment leaves unset (the embedded mode's generated secrets).
 */
export function loadConfig(defaults: Record<string, string | undefined> = {}): Config {
  const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ''));
  return parseConfig({ ...defaults, ...env });
}
