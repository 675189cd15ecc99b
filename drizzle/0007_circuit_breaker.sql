ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "circuit_state" text DEFAULT 'closed' NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "circuit_opened_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "next_probe_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "probe_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "probe_lease_id" uuid;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "window_started_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "window_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "window_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "timeouts_in_row" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "health_state" text DEFAULT 'healthy' NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "health_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "first_failure_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD COLUMN "last_error" text;