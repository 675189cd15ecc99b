CREATE TABLE "webhook_ordering_keys" (
	"subscriber_id" uuid NOT NULL,
	"ordering_key" text NOT NULL,
	"idle" boolean DEFAULT false NOT NULL,
	"blocked_by" text,
	"blocked_at" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_ordering_keys_subscriber_id_ordering_key_pk" PRIMARY KEY("subscriber_id","ordering_key")
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "ordering_key" text;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "sequence" bigint;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD COLUMN "ordering_key" text;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD COLUMN "sequence" bigint NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "webhook_events_sequence_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1);--> statement-breakpoint
ALTER TABLE "webhook_sources" ADD COLUMN "ordering_key_pointer" text;--> statement-breakpoint
ALTER TABLE "webhook_subscribers" ADD COLUMN "ordered_delivery" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_subscribers" ADD COLUMN "ordering_on_dead" text DEFAULT 'block' NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_ordering_keys" ADD CONSTRAINT "webhook_ordering_keys_subscriber_id_webhook_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."webhook_subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_ordering_keys_blocked_idx" ON "webhook_ordering_keys" USING btree ("subscriber_id","blocked_at") WHERE "webhook_ordering_keys"."blocked_by" is not null;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_ordering_queue_idx" ON "webhook_deliveries" USING btree ("subscriber_id","ordering_key","sequence") WHERE "webhook_deliveries"."ordering_key" is not null and "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_events_ordering_open_idx" ON "webhook_events" USING btree ("ordering_key","sequence") WHERE "webhook_events"."ordering_key" is not null and "webhook_events"."status" in ('received', 'dispatched');