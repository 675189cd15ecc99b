import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { OrderingOnDead } from '../domain/ordering-key';
import type { SignatureVersion } from '../domain/signature';
import type { CircuitState, HealthState } from '../protection/circuit-breaker';

const createdAt = () => timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow();

export type { SignatureVersion };

export const subscribers = pgTable(
  'webhook_subscribers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    clientId: uuid('client_id'),
    name: text('name'),
    description: text('description'),
    url: text('url').notNull(),
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true, precision: 3 }),
    /** The `whsk_` ed25519 key of v1a signatures; its `whpk_` public key is derived from it. */
    signingKey: text('signing_key'),
    previousSigningKey: text('previous_signing_key'),
    previousSigningKeyExpiresAt: timestamp('previous_signing_key_expires_at', { withTimezone: true, precision: 3 }),
    events: jsonb('events').$type<string[]>().notNull(),
    active: boolean('active').notNull().default(true),
    signatureVersion: text('signature_version').$type<SignatureVersion>().notNull().default('both'),
    transform: text('transform'),
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    disabledReason: text('disabled_reason'),
    /** POSTs in flight to this subscriber across all workers; null takes WEBHOOK_ENDPOINT_CONCURRENCY. */
    maxInFlight: integer('max_in_flight'),
    /** Requests per second across all workers (a token bucket with `rateLimitBurst`); null: no limit. */
    rateLimitPerSecond: doublePrecision('rate_limit_per_second'),
    rateLimitBurst: integer('rate_limit_burst'),
    /** Deliveries of events with an ordering key are made one after another per key (src/ordering). */
    orderedDelivery: boolean('ordered_delivery').notNull().default(false),
    /** What a keyed delivery that ends dead does to its key: `block` it until an operator acts, or `skip` to the next. */
    orderingOnDead: text('ordering_on_dead').$type<OrderingOnDead>().notNull().default('block'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('webhook_subscribers_events_idx').using('gin', t.events),
    index('webhook_subscribers_active_idx').on(t.active),
  ],
);

/** `vetoed`: a plugin's beforeDispatch refused it (veto_reason says why); no delivery started. */
export const EVENT_STATUSES = ['received', 'dispatched', 'processed', 'vetoed'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const events = pgTable(
  'webhook_events',
  {
    id: text('id').primaryKey(),
    source: text('source').notNull(),
    externalId: text('external_id').notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload'),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }),
    agentId: text('agent_id'),
    receivedAt: timestamp('received_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    workflowId: text('workflow_id').notNull(),
    workflowStartedAt: timestamp('workflow_started_at', { withTimezone: true, precision: 3 }),
    status: text('status').$type<EventStatus>().notNull().default('received'),
    /** Set when retention (or an expunge) removed the payload; the row stays for its deliveries. */
    payloadExpiredAt: timestamp('payload_expired_at', { withTimezone: true, precision: 3 }),
    vetoReason: text('veto_reason'),
    /** Events with one key reach an ordered subscriber one after another, in `sequence` order. */
    orderingKey: text('ordering_key'),
    /** The acceptance order, assigned by the insert (under a per-key lock, so it is also the commit order per key). */
    sequence: bigint('sequence', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
  },
  (t) => [
    uniqueIndex('webhook_events_source_external_id_idx').on(t.source, t.externalId),
    index('webhook_events_type_received_idx').on(t.type, t.receivedAt),
    index('webhook_events_received_idx').on(t.receivedAt),
    // The sweeper's scan: only rows still waiting for their workflow, oldest first.
    index('webhook_events_unstarted_idx').on(t.receivedAt, t.id).where(sql`${t.workflowStartedAt} is null`),
    // The pruner's scan: payloads not yet expired, oldest first, without re-reading expired rows.
    index('webhook_events_payload_kept_idx').on(t.receivedAt).where(sql`${t.payloadExpiredAt} is null`),
    // An ordered key's gap check: keyed events whose fan-out has not finished, by key and sequence.
    index('webhook_events_ordering_open_idx').on(t.orderingKey, t.sequence).where(sql`${t.orderingKey} is not null and ${t.status} in ('received', 'dispatched')`),
  ],
);

/** `held`: kept, unsent, because its subscriber is disabled (held when it was disabled, or arrived since); replayable. */
export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'dead', 'cancelled', 'held'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const deliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    subscriberId: uuid('subscriber_id')
      .notNull()
      .references(() => subscribers.id, { onDelete: 'cascade' }),
    eventType: text('event_type').notNull(),
    status: text('status').$type<DeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastResponseCode: integer('last_response_code'),
    lastError: text('last_error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, precision: 3 }),
    /** The exact bytes of the first attempt, frozen so that retries and replays send the same body. */
    requestBody: text('request_body'),
    workflowId: text('workflow_id').notNull(),
    replayOf: text('replay_of'),
    /** When its delivery workflow was known to run; null for a delivery that never needed one, or whose start is pending. */
    workflowStartedAt: timestamp('workflow_started_at', { withTimezone: true, precision: 3 }),
    /** Set only for a delivery its key's workflow makes in order (an ordered subscriber, a keyed event). */
    orderingKey: text('ordering_key'),
    /** Its event's sequence: the order within the key. */
    sequence: bigint('sequence', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamp('completed_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    // The reconciler's scan: pending deliveries with no workflow known to run, oldest first.
    index('webhook_deliveries_unstarted_idx').on(t.createdAt, t.id).where(sql`${t.status} = 'pending' and ${t.workflowStartedAt} is null`),
    index('webhook_deliveries_status_idx').on(t.status, t.updatedAt),
    index('webhook_deliveries_subscriber_idx').on(t.subscriberId, t.createdAt),
    index('webhook_deliveries_event_idx').on(t.eventId),
    index('webhook_deliveries_created_idx').on(t.createdAt),
    // A key's queue: its pending ordered deliveries, in sequence order.
    index('webhook_deliveries_ordering_queue_idx').on(t.subscriberId, t.orderingKey, t.sequence).where(sql`${t.orderingKey} is not null and ${t.status} = 'pending'`),
    // The pruner's scan: finished deliveries, oldest first.
    index('webhook_deliveries_completed_idx').on(t.completedAt).where(sql`${t.completedAt} is not null`),
    // A delivery's replays (their numbering; the pruner keeps a held delivery until one exists).
    index('webhook_deliveries_replay_of_idx').on(t.replayOf).where(sql`${t.replayOf} is not null`),
  ],
);

export type AttemptOutcome = 'success' | 'failure' | 'timeout' | 'network_error' | 'refused' | 'gone';

export const logs = pgTable(
  'webhook_logs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: text('delivery_id').notNull(),
    eventId: text('event_id').notNull(),
    subscriberId: uuid('subscriber_id').notNull(),
    event: text('event').notNull(),
    /** Rows written before migration 0009: the body as sent, parsed. Newer rows leave it null and set requestBodyFrozen. */
    requestBody: jsonb('request_body'),
    /**
     * The attempt sent its delivery's frozen body (webhook_deliveries.request_body, the same bytes
     * for every attempt), read from there rather than copied into each log row.
     */
    requestBodyFrozen: boolean('request_body_frozen').notNull().default(false),
    requestHeaders: jsonb('request_headers').$type<Record<string, string>>(),
    responseCode: integer('response_code'),
    responseBody: text('response_body'),
    attempts: integer('attempts').notNull(),
    durationMs: integer('duration_ms'),
    error: text('error'),
    outcome: text('outcome').$type<AttemptOutcome>().notNull(),
    nextRetryAt: timestamp('next_retry_at', { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('webhook_logs_delivery_attempt_idx').on(t.deliveryId, t.attempts),
    index('webhook_logs_subscriber_idx').on(t.subscriberId, t.createdAt),
    // By time, and covering what GET /admin/api/stats reads, so that a window is an index-only scan.
    index('webhook_logs_created_idx').on(t.createdAt, t.outcome, t.durationMs, t.attempts, t.subscriberId, t.event),
    // The stats' filter by event type over a window.
    index('webhook_logs_event_idx').on(t.event, t.createdAt),
    // The pruner's scan: response bodies not yet removed, oldest first.
    index('webhook_logs_response_kept_idx').on(t.createdAt).where(sql`${t.responseBody} is not null`),
  ],
);

/**
 * A delivery's request body is frozen from here: the attempt recorder writes each rendered body
 * once per (event, content hash), and the deliveries it belongs to copy it in the database, so
 * the worker sends a large event's body once, not once per delivery (src/db/frozen-bodies.ts).
 * Removed with its event's payload (retention, expunge) or its event.
 */
export const requestBodies = pgTable(
  'webhook_request_bodies',
  {
    eventId: text('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    /** sha256 of the body, hex. */
    hash: text('hash').notNull(),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.hash] })],
);

/**
 * webhook_logs rolled up for GET /admin/api/stats (src/db/stats-repository.ts): attempts per
 * bucket of `width` seconds (300 and 3600), subscriber, event type and attempt number, with a
 * sparse latency histogram (`bins`, `counts`; see src/db/latency-histogram.ts). The rows with
 * the nil subscriber and the empty event are the same counts over every subscriber and event;
 * rows with attempts = 0, over every attempt number (the per-event and per-subscriber reads).
 * Maintained by statement triggers on webhook_logs (inserts, updates, deletes; migration 0009),
 * so a batch of attempts is one extra statement and a pruned log leaves the rollup too.
 */
export const logRollup = pgTable(
  'webhook_log_rollup',
  {
    width: integer('width').notNull(),
    bucketAt: timestamp('bucket_at', { withTimezone: true, precision: 3 }).notNull(),
    subscriberId: uuid('subscriber_id').notNull(),
    event: text('event').notNull(),
    attempts: integer('attempts').notNull(),
    total: integer('total').notNull(),
    succeeded: integer('succeeded').notNull(),
    bins: smallint('bins').array().notNull(),
    counts: integer('counts').array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.width, t.bucketAt, t.subscriberId, t.event, t.attempts] })],
);

export type SourceVerifier = 'generic' | 'standard-webhooks' | 'github' | 'meta' | 'stripe';

export const sources = pgTable('webhook_sources', {
  name: text('name').primaryKey(),
  verifier: text('verifier').$type<SourceVerifier>().notNull(),
  secrets: jsonb('secrets').$type<string[]>().notNull(),
  verifyToken: text('verify_token'),
  ipWhitelist: jsonb('ip_whitelist').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  maxClockSkew: integer('max_clock_skew'),
  /** A JSON pointer (RFC 6901) into the body whose value is the event's ordering key; null: unkeyed. */
  orderingKeyPointer: text('ordering_key_pointer'),
  active: boolean('active').notNull().default(true),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * Endpoint protection's shared state per subscriber (src/protection): POSTs in flight across all
 * workers and a pause asked for by the receiver (Retry-After). One row per subscriber, made on
 * its first admission.
 */
export const subscriberProtection = pgTable('webhook_subscriber_protection', {
  subscriberId: uuid('subscriber_id')
    .primaryKey()
    .references(() => subscribers.id, { onDelete: 'cascade' }),
  inFlight: integer('in_flight').notNull().default(0),
  pausedUntil: timestamp('paused_until', { withTimezone: true, precision: 3 }),
  pauseReason: text('pause_reason'),
  /**
   * The adaptive cap (AIMD): halved on a 429/502/503/504 or a timeout (at most once a second),
   * raised by 1/cap per success back to max_in_flight, where it returns to null.
   */
  effectiveInFlight: doublePrecision('effective_in_flight'),
  effectiveChangedAt: timestamp('effective_changed_at', { withTimezone: true, precision: 3 }),
  /** The adaptive rate below a configured rate_limit after overload signals; null at the configured rate. */
  effectiveRatePerSecond: doublePrecision('effective_rate_per_second'),
  /** The rate limit's theoretical arrival time (GCRA): the next request conforms once now >= rate_tat - burst tolerance. */
  rateTat: timestamp('rate_tat', { withTimezone: true, precision: 3 }),
  /** The same for POSTs actually sent: a booked delivery that comes back late still waits its turn here (no bursts). */
  sentTat: timestamp('sent_tat', { withTimezone: true, precision: 3 }),
  // The circuit breaker (src/protection/circuit-breaker.ts): closed, open (held; only probes go),
  // or probing (one probe in flight, `probe_lease_id`).
  circuitState: text('circuit_state').$type<CircuitState>().notNull().default('closed'),
  circuitOpenedAt: timestamp('circuit_opened_at', { withTimezone: true, precision: 3 }),
  nextProbeAt: timestamp('next_probe_at', { withTimezone: true, precision: 3 }),
  probeFailures: integer('probe_failures').notNull().default(0),
  probeLeaseId: uuid('probe_lease_id'),
  /** The failure-rate window: attempts and failures since `window_started_at`. */
  windowStartedAt: timestamp('window_started_at', { withTimezone: true, precision: 3 }),
  windowAttempts: integer('window_attempts').notNull().default(0),
  windowFailures: integer('window_failures').notNull().default(0),
  timeoutsInRow: integer('timeouts_in_row').notNull().default(0),
  /** What operators and `webhook.subscriber.*` subscribers are told; `health_seq` counts its changes. */
  healthState: text('health_state').$type<HealthState>().notNull().default('healthy'),
  healthSeq: integer('health_seq').notNull().default(0),
  firstFailureAt: timestamp('first_failure_at', { withTimezone: true, precision: 3 }),
  lastError: text('last_error'),
  updatedAt: updatedAt(),
});

/**
 * A rate-limited delivery's booked send time: it waits (a deferral, not an attempt) and is
 * admitted at `ready_at` without taking another token, so waiting deliveries go first in, first out.
 */
export const rateReservations = pgTable(
  'webhook_rate_reservations',
  {
    deliveryId: text('delivery_id').primaryKey(),
    subscriberId: uuid('subscriber_id')
      .notNull()
      .references(() => subscribers.id, { onDelete: 'cascade' }),
    readyAt: timestamp('ready_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index('webhook_rate_reservations_ready_idx').on(t.readyAt)],
);

/** One row per POST in flight: released after the POST, or reaped once expired (a worker that died). */
export const subscriberLeases = pgTable(
  'webhook_subscriber_leases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    subscriberId: uuid('subscriber_id')
      .notNull()
      .references(() => subscribers.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('webhook_subscriber_leases_expiry_idx').on(t.subscriberId, t.expiresAt)],
);


export const REPLAY_JOB_STATUSES = ['running', 'completed', 'cancelled', 'failed'] as const;
export type ReplayJobStatus = (typeof REPLAY_JOB_STATUSES)[number];

/** What a bulk replay covers: the listed deliveries, or every delivery a filter matches. */
export type ReplayJobFilter =
  | { ids: string[] }
  | { subscriberId?: string; event?: string; status: DeliveryStatus; from?: string; to?: string };

/** Where a replay job has got to: the last delivery it handled (filter) or how many ids it handled. */
export type ReplayJobCursor = { at: string; id: string } | { offset: number };

/** Bulk replays run in the background by the api processes (src/replays/), resumable from `cursor`. */
export const replayJobs = pgTable(
  'webhook_replay_jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    filter: jsonb('filter').$type<ReplayJobFilter>().notNull(),
    status: text('status').$type<ReplayJobStatus>().notNull().default('running'),
    total: integer('total').notNull(),
    processed: integer('processed').notNull().default(0),
    replayed: integer('replayed').notNull().default(0),
    skipped: integer('skipped').notNull().default(0),
    cursor: jsonb('cursor').$type<ReplayJobCursor>(),
    error: text('error'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamp('completed_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    index('webhook_replay_jobs_created_idx').on(t.createdAt, t.id),
    index('webhook_replay_jobs_running_idx').on(t.createdAt).where(sql`${t.status} = 'running'`),
  ],
);

/**
 * One row per (subscriber, ordering key) whose workflow has run (src/ordering): whether that
 * workflow waits idle for a wake (a new delivery must signal it; otherwise it finds the delivery
 * itself), and the dead delivery that blocks the key under the `block` policy.
 */
export const orderingKeys = pgTable(
  'webhook_ordering_keys',
  {
    subscriberId: uuid('subscriber_id')
      .notNull()
      .references(() => subscribers.id, { onDelete: 'cascade' }),
    orderingKey: text('ordering_key').notNull(),
    idle: boolean('idle').notNull().default(false),
    blockedBy: text('blocked_by'),
    blockedAt: timestamp('blocked_at', { withTimezone: true, precision: 3 }),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.subscriberId, t.orderingKey] }), index('webhook_ordering_keys_blocked_idx').on(t.subscriberId, t.blockedAt).where(sql`${t.blockedBy} is not null`)],
);

/**
 * Cancel requests for deliveries run by the pg-boss queue driver (src/pgboss): an operator's cancel
 * is written here, and the delivery's next step (never a POST in flight) finishes it as cancelled.
 * The Temporal driver signals its workflow instead and leaves this table empty.
 */
export const cancelRequests = pgTable('webhook_cancel_requests', {
  workflowId: text('workflow_id').primaryKey(),
  reason: text('reason').notNull(),
  createdAt: createdAt(),
});

export const schema = { subscribers, events, deliveries, logs, logRollup, requestBodies, sources, replayJobs, subscriberProtection, subscriberLeases, rateReservations, orderingKeys, cancelRequests };
