CREATE TABLE "webhook_log_rollup" (
	"width" integer NOT NULL,
	"bucket_at" timestamp (3) with time zone NOT NULL,
	"subscriber_id" uuid NOT NULL,
	"event" text NOT NULL,
	"attempts" integer NOT NULL,
	"total" integer NOT NULL,
	"succeeded" integer NOT NULL,
	"bins" smallint[] NOT NULL,
	"counts" integer[] NOT NULL,
	CONSTRAINT "webhook_log_rollup_width_bucket_at_subscriber_id_event_attempts_pk" PRIMARY KEY("width","bucket_at","subscriber_id","event","attempts")
);
--> statement-breakpoint
CREATE TABLE "webhook_request_bodies" (
	"event_id" text NOT NULL,
	"hash" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_request_bodies_event_id_hash_pk" PRIMARY KEY("event_id","hash")
);
--> statement-breakpoint
ALTER TABLE "webhook_logs" ADD COLUMN "request_body_frozen" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_request_bodies" ADD CONSTRAINT "webhook_request_bodies_event_id_webhook_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."webhook_events"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
-- Latency bins for webhook_log_rollup (src/db/latency-histogram.ts reads them back): exact below 16 ms, then 8 bins per doubling.
CREATE FUNCTION webhook_latency_bin(ms integer) RETURNS smallint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN ms IS NULL THEN NULL WHEN ms < 16 THEN greatest(ms, 0) ELSE 16 + floor(ln(ms::float8 / 16) / ln(2::float8) * 8 + 1e-9) END::smallint
$$;
--> statement-breakpoint
-- The one statement that adds signed attempt rows (`source`: created_at, subscriber_id, event, attempts, outcome, duration_ms, sign) to the rollup, at both widths and in its three scopes (per attempt number; every attempt number as 0; every subscriber and event), in key order so that concurrent batches lock rows in the same order.
CREATE FUNCTION webhook_log_rollup_sql(source text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format($q$
    WITH d AS (%s),
    cells AS (
      SELECT w.width, date_bin(make_interval(secs => w.width), d.created_at, timestamptz '1970-01-01 00:00:00+00') AS bucket_at,
        d.subscriber_id, d.event, d.attempts, d.sign, d.outcome = 'success' AS ok, webhook_latency_bin(d.duration_ms) AS bin
      FROM d CROSS JOIN (VALUES (300), (3600)) AS w(width)),
    scoped AS (
      SELECT width, bucket_at, subscriber_id, event, attempts, sign, ok, bin FROM cells
      UNION ALL
      SELECT width, bucket_at, subscriber_id, event, 0, sign, ok, bin FROM cells
      UNION ALL
      SELECT width, bucket_at, '00000000-0000-0000-0000-000000000000'::uuid, '', attempts, sign, ok, bin FROM cells),
    per_bin AS (
      SELECT width, bucket_at, subscriber_id, event, attempts, bin, sum(sign) AS n, sum(sign) FILTER (WHERE ok) AS s
      FROM scoped GROUP BY width, bucket_at, subscriber_id, event, attempts, bin)
    INSERT INTO webhook_log_rollup AS r (width, bucket_at, subscriber_id, event, attempts, total, succeeded, bins, counts)
    SELECT width, bucket_at, subscriber_id, event, attempts, sum(n)::int, coalesce(sum(s), 0)::int,
      coalesce(array_agg(bin ORDER BY bin) FILTER (WHERE bin IS NOT NULL AND n <> 0), '{}'),
      coalesce(array_agg(n::int ORDER BY bin) FILTER (WHERE bin IS NOT NULL AND n <> 0), '{}')
    FROM per_bin GROUP BY width, bucket_at, subscriber_id, event, attempts
    ORDER BY width, bucket_at, subscriber_id, event, attempts
    ON CONFLICT (width, bucket_at, subscriber_id, event, attempts) DO UPDATE SET
      total = r.total + excluded.total,
      succeeded = r.succeeded + excluded.succeeded,
      (bins, counts) = (
        SELECT coalesce(array_agg(b ORDER BY b), '{}'), coalesce(array_agg(c ORDER BY b), '{}')
        FROM (SELECT b, sum(c)::int AS c FROM unnest(r.bins || excluded.bins, r.counts || excluded.counts) AS u(b, c) GROUP BY b HAVING sum(c) <> 0) AS m)
  $q$, source)
$$;
--> statement-breakpoint
-- Keeps webhook_log_rollup equal to webhook_logs: one statement per statement on webhook_logs, whatever its row count.
CREATE FUNCTION webhook_log_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cols constant text := 'created_at, subscriber_id, event, attempts, outcome, duration_ms';
  same constant text := '(n.created_at, n.subscriber_id, n.event, n.attempts, n.outcome, n.duration_ms) IS NOT DISTINCT FROM (o.created_at, o.subscriber_id, o.event, o.attempts, o.outcome, o.duration_ms)';
BEGIN
  -- Statement triggers fire for no rows too (an upsert's update half, most often).
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT FROM new_rows) THEN RETURN NULL; END IF;
    EXECUTE webhook_log_rollup_sql(format('SELECT %s, 1 AS sign FROM new_rows', cols));
  ELSIF NOT EXISTS (SELECT FROM old_rows) THEN
    RETURN NULL;
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE webhook_log_rollup_sql(format('SELECT %s, -1 AS sign FROM old_rows', cols));
  ELSE
    -- Only rows whose counted columns changed (not a body removed by retention).
    EXECUTE webhook_log_rollup_sql(format(
      'SELECT %1$s, -1 AS sign FROM old_rows o WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id AND %2$s)
       UNION ALL SELECT %1$s, 1 FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id AND %2$s)', cols, same));
  END IF;
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM webhook_log_rollup r USING (
      SELECT DISTINCT w.width, date_bin(make_interval(secs => w.width), o.created_at, timestamptz '1970-01-01 00:00:00+00') AS bucket_at
      FROM old_rows o CROSS JOIN (VALUES (300), (3600)) AS w(width)) AS k
    WHERE r.width = k.width AND r.bucket_at = k.bucket_at AND r.total = 0;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER webhook_logs_rollup_insert AFTER INSERT ON webhook_logs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_log_rollup_apply();
--> statement-breakpoint
CREATE TRIGGER webhook_logs_rollup_update AFTER UPDATE ON webhook_logs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_log_rollup_apply();
--> statement-breakpoint
CREATE TRIGGER webhook_logs_rollup_delete AFTER DELETE ON webhook_logs REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_log_rollup_apply();
--> statement-breakpoint
-- Backfill from the logs already kept.
DO $$ BEGIN EXECUTE webhook_log_rollup_sql('SELECT created_at, subscriber_id, event, attempts, outcome, duration_ms, 1 AS sign FROM webhook_logs'); END $$;
