CREATE TABLE "webhook_replay_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"filter" jsonb NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"total" integer NOT NULL,
	"processed" integer DEFAULT 0 NOT NULL,
	"replayed" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"cursor" jsonb,
	"error" text,
	"lease_owner" text,
	"lease_expires_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp (3) with time zone
);
--> statement-breakpoint
DROP INDEX "webhook_logs_created_idx";--> statement-breakpoint
CREATE INDEX "webhook_replay_jobs_created_idx" ON "webhook_replay_jobs" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_replay_jobs_running_idx" ON "webhook_replay_jobs" USING btree ("created_at") WHERE "webhook_replay_jobs"."status" = 'running';--> statement-breakpoint
CREATE INDEX "webhook_logs_event_idx" ON "webhook_logs" USING btree ("event","created_at");--> statement-breakpoint
CREATE INDEX "webhook_logs_created_idx" ON "webhook_logs" USING btree ("created_at","outcome","duration_ms","attempts","subscriber_id","event");