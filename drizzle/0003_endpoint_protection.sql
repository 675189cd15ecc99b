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
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_subscribers" ADD COLUMN "max_in_flight" integer;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_leases" ADD CONSTRAINT "webhook_subscriber_leases_subscriber_id_webhook_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."webhook_subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_subscriber_protection" ADD CONSTRAINT "webhook_subscriber_protection_subscriber_id_webhook_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."webhook_subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_subscriber_leases_expiry_idx" ON "webhook_subscriber_leases" USING btree ("subscriber_id","expires_at");