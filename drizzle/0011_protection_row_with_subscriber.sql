-- Endpoint protection's row is made with its subscriber, so a subscriber's first POST takes its
-- lease in one statement instead of three (a refused take, the insert, the take again).
-- Hand-written: keep it when regenerating.
CREATE OR REPLACE FUNCTION webhook_subscriber_protection_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_subscriber_protection (subscriber_id) SELECT id FROM new_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER webhook_subscribers_protection_row AFTER INSERT ON webhook_subscribers REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_subscriber_protection_row();
--> statement-breakpoint
-- Subscribers made before this migration.
INSERT INTO webhook_subscriber_protection (subscriber_id) SELECT id FROM webhook_subscribers ON CONFLICT DO NOTHING;
