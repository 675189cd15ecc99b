CREATE TABLE "webhook_rate_reservations" (
	"delivery_id" text PRIMARY KEY NOT NULL,
	"subscriber_id" uuid NOT NULL,
	"ready_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_subscriber_leases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"subscriber_id" uuid NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_subscriber_protection" (
	"subscriber_id" uuid PRIMARY KEY NOT NULL,
	"in_flight" integer DEFAULT 0 NOT NULL,
	"paused_until" timestamp (3) with time zone,
	"pause_reason" text,
	"effective_in_flight" double precision,
	"effective_changed_at" timestamp (3) with time zone,
	"rate_tat" timestamp (3) with time zone,
	"sent_tat" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_subscribers" ADD COLUMN "max_in_flight" integer;--> statement-breakpoint
ALTER TABLE "webhook_subscribers" ADD COLUMN "rate_limit_per_second" double precision;--> statement-breakpoint
ALTER TABLE "webhook_subscribers" ADD COLUMN "rate_limit_burst" integer;--> statement-breakpoint
ALTER TABLE "webhook_rate_reservations" ADD CONSTRAINT "webhook_rate_reservations_subscriber_id_webhook_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."webhook_subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_leases" ADD CONSTRAINT "webhook_subscriber_leases_subscriber_id_webhook_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."webhook_subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD CONSTRAINT "webhook_subscriber_protection_subscriber_id_webhook_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."webhook_subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_rate_reservations_ready_idx" ON "webhook_rate_reservations" USING btree ("ready_at");--> statement-breakpoint
CREATE INDEX "webhook_subscriber_leases_expiry_idx" ON "webhook_subscriber_leases" USING btree ("subscriber_id","expires_at");