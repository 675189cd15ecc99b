ALTER TABLE "webhook_events" ADD COLUMN "payload_expired_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "webhook_subscribers" ADD COLUMN "signing_key" text;--> statement-breakpoint
ALTER TABLE "webhook_subscribers" ADD COLUMN "previous_signing_key" text;--> statement-breakpoint
ALTER TABLE "webhook_subscribers" ADD COLUMN "previous_signing_key_expires_at" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_completed_idx" ON "webhook_deliveries" USING btree ("completed_at") WHERE "webhook_deliveries"."completed_at" is not null;--> statement-breakpoint
CREATE INDEX "webhook_events_payload_kept_idx" ON "webhook_events" USING btree ("received_at") WHERE "webhook_events"."payload_expired_at" is null;--> statement-breakpoint
CREATE INDEX "webhook_logs_response_kept_idx" ON "webhook_logs" USING btree ("created_at") WHERE "webhook_logs"."response_body" is not null;