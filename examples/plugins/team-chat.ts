// An example hookyard plugin (docs/plugins.md walks through it). Name it in WEBHOOK_PLUGINS:
//   WEBHOOK_PLUGINS=./examples/plugins/team-chat.ts npm start
// It adds a `discord` transform, drops dry-run events before any delivery, stamps every other
// event with the team that owns its type, and keeps the last failures for a chat digest.

import type { DeliveryOutcome, DeliverySummary, PluginApi } from '../../src/extensions/plugin-api';

/** Which team owns which event-type prefix. */
const OWNERS: Record<string, string> = { order: 'checkout', invoice: 'billing', user: 'identity' };

const failures: { deliveryId: string; eventType: string; status: DeliveryOutcome['status']; error: string | null }[] = [];
const MAX_FAILURES = 100;

/** The last deliveries that did not succeed, newest last. */
export function recentFailures() {
  return [...failures];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function register(api: PluginApi): void {
  // Discord's incoming webhooks take `{ content }`, at most 2,000 characters.
  api.transform('discord', (event, payload) => {
    const data = isRecord(payload) ? payload.data : payload;
    const content = `**${event.type}** \`${event.id}\`\n${JSON.stringify(data)}`;
    return { content: content.length > 2000 ? `${content.slice(0, 1997)}...` : content };
  });

  api.beforeDispatch((event) => {
    if (isRecord(event.data) && event.data.dry_run === true) return { veto: 'dry run: not delivered' };
    const team = OWNERS[event.type.split('.')[0]];
    // Enrich: every delivery of this event, and its retries and replays, carries the owner.
    if (team && isRecord(event.data) && event.data.owner_team === undefined) return { data: { ...event.data, owner_team: team } };
  });

  api.afterDelivery((delivery: DeliverySummary, outcome: DeliveryOutcome) => {
    if (outcome.status === 'succeeded') return;
    failures.push({ deliveryId: delivery.id, eventType: delivery.eventType, status: outcome.status, error: outcome.error });
    if (failures.length > MAX_FAILURES) failures.shift();
    api.logger.info({ deliveryId: delivery.id, status: outcome.status }, 'a delivery did not succeed');
  });
}
