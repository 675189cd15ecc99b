import { orderedKeyWorkflowId } from '../domain/ordering-key';
import { DETAILS_MAX_BYTES, markdownCode, markdownCodeWithin, SUMMARY_MAX_BYTES, truncateBytes } from '../domain/temporal-text';
import type { OrderedKeyInput } from '../../workflows/types';
import { WebhookSubscriberId } from './search-attributes';

const SUMMARY_PREFIX = 'ordered key ';

/**
 * How an ordered key's workflow appears in the Temporal UI: `order:<subscriber>:<hash of key>`,
 * the key itself in its summary (sender-chosen: one code span, cut to size), its queue in its
 * current details.
 */
export function orderedKeyStartOptions(input: OrderedKeyInput) {
  return {
    workflowId: orderedKeyWorkflowId(input.subscriberId, input.orderingKey),
    // Temporal reads summaries as Markdown too: the key is one code span, cut inside its fence.
    staticSummary: `${SUMMARY_PREFIX}${markdownCodeWithin(input.orderingKey, SUMMARY_MAX_BYTES - SUMMARY_PREFIX.length)}`,
    staticDetails: truncateBytes(
      `**Ordered key** ${markdownCode(truncateBytes(input.orderingKey, SUMMARY_MAX_BYTES))}\n- subscriber: ${markdownCode(input.subscriberId)}\n- one delivery at a time, in the order the events were accepted`,
      DETAILS_MAX_BYTES,
    ),
    typedSearchAttributes: input.searchAttributes ? [{ key: WebhookSubscriberId, value: input.subscriberId }] : undefined,
  };
}
