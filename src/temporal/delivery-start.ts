import type { DeliveryWorkflowInput } from '../../workflows/types';
import { WebhookDeliveryStatus, WebhookEventId, WebhookEventType, WebhookSubscriberId } from './search-attributes';

// Workflow-safe: the event workflow (startChild) and the API (replays, test sends) start
// delivery workflows with the same summary, details and search attributes.

export function deliveryStartOptions(input: DeliveryWorkflowInput, workflowId: string) {
  return {
    workflowId,
    staticSummary: `${input.eventType} → ${input.target}${input.replayOf ? ' (replay)' : ''}`,
    staticDetails: deliveryDetails(input),
    typedSearchAttributes: input.searchAttributes
      ? [
          { key: WebhookEventType, value: input.eventType },
          { key: WebhookEventId, value: input.eventId },
          { key: WebhookSubscriberId, value: input.subscriberId },
          { key: WebhookDeliveryStatus, value: 'pending' },
        ]
      : undefined,
  };
}

export function deliveryDetails(input: DeliveryWorkflowInput): string {
  return [
    `**Delivery** \`${input.deliveryId}\``,
    `- event: \`${input.eventType}\` · \`${input.eventId}\``,
    `- subscriber: \`${input.subscriberId}\` → ${input.target}`,
    input.replayOf ? `- replay of \`${input.replayOf}\`` : null,
    input.adminUrl ? `- [open in the admin UI](${input.adminUrl}/deliveries/${input.deliveryId})` : null,
  ]
    .filter(Boolean)
    .join('\n');
}
