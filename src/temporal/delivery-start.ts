import { DETAILS_MAX_BYTES, markdownCode, oneLine, SUMMARY_MAX_BYTES, truncateBytes } from '../domain/temporal-text';
import type { DeliveryWorkflowInput } from '../../workflows/types';
import { WebhookDeliveryStatus, WebhookEventId, WebhookEventType, WebhookSubscriberId } from './search-attributes';

// Workflow-safe: the event workflow (startChild) and the API (replays, test sends) start
// delivery workflows with the same summary, details and search attributes.

export function deliveryStartOptions(input: DeliveryWorkflowInput, workflowId: string) {
  return {
    workflowId,
    staticSummary: truncateBytes(oneLine(`${input.eventType} → ${input.target}${input.replayOf ? ' (replay)' : ''}`), SUMMARY_MAX_BYTES),
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

/** Sender-chosen values (the event type) each stay in one code span, cut to a share of the byte budget. */
export function deliveryDetails(input: DeliveryWorkflowInput): string {
  const code = (text: string) => markdownCode(truncateBytes(text, SUMMARY_MAX_BYTES));
  const details = [
    `**Delivery** ${code(input.deliveryId)}`,
    `- event: ${code(input.eventType)} · ${code(input.eventId)}`,
    `- subscriber: ${code(input.subscriberId)} → ${code(input.target)}`,
    input.replayOf ? `- replay of ${code(input.replayOf)}` : null,
    input.adminUrl ? `- [open in the admin UI](${input.adminUrl}/deliveries/${encodeURIComponent(input.deliveryId)})` : null,
  ]
    .filter(Boolean)
    .join('\n');
  return truncateBytes(details, DETAILS_MAX_BYTES);
}
