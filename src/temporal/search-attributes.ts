import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Workflow-safe: imported by workflows, the client and the dev-server launcher.

export const WebhookEventType = defineSearchAttributeKey('WebhookEventType', SearchAttributeType.KEYWORD);
export const WebhookEventId = defineSearchAttributeKey('WebhookEventId', SearchAttributeType.KEYWORD);
export const WebhookSubscriberId = defineSearchAttributeKey('WebhookSubscriberId', SearchAttributeType.KEYWORD);
export const WebhookDeliveryStatus = defineSearchAttributeKey('WebhookDeliveryStatus', SearchAttributeType.KEYWORD);
export const WebhookAttempt = defineSearchAttributeKey('WebhookAttempt', SearchAttributeType.INT);

/** Name and CLI type of each custom search attribute, for `temporal operator search-attribute create`. */
export const SEARCH_ATTRIBUTES: { name: string; type: 'Keyword' | 'Int' }[] = [
  { name: WebhookEventType.name, type: 'Keyword' },
  { name: WebhookEventId.name, type: 'Keyword' },
  { name: WebhookSubscriberId.name, type: 'Keyword' },
  { name: WebhookDeliveryStatus.name, type: 'Keyword' },
  { name: WebhookAttempt.name, type: 'Int' },
];

/** An event workflow's attributes, given with its start request rather than upserted. */
export function eventSearchAttributes(eventType: string, eventId: string) {
  return [
    { key: WebhookEventType, value: eventType },
    { key: WebhookEventId, value: eventId },
  ];
}
