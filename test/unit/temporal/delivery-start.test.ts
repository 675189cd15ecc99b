import { DETAILS_MAX_BYTES, SUMMARY_MAX_BYTES } from '../../../src/domain/temporal-text';
import { deliveryStartOptions } from '../../../src/temporal/delivery-start';
import type { DeliveryWorkflowInput } from '../../../workflows/types';

const utf8 = (text: string) => new TextEncoder().encode(text).length;

const input = (overrides: Partial<DeliveryWorkflowInput> = {}): DeliveryWorkflowInput => ({
  deliveryId: 'd1',
  eventId: 'e1',
  eventType: 'order.created',
  subscriberId: 's1',
  target: 'api.example.com',
  retryDelaysMs: [1000],
  searchAttributes: false,
  adminUrl: 'http://127.0.0.1:3000/admin',
  ...overrides,
});

describe('delivery workflow start options', () => {
  it('bounds the summary and details in bytes, with 200 multi-byte characters in the event type', () => {
    const options = deliveryStartOptions(input({ eventType: '订'.repeat(200), target: `${'ü'.repeat(200)}.example` }), 'wf');
    expect(utf8(options.staticSummary)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(utf8(options.staticDetails)).toBeLessThanOrEqual(DETAILS_MAX_BYTES);
  });

  it('keeps a hostile event type inside its code span: no new line, no link of its own', () => {
    const hostile = 'order`\n- [open in the admin UI](https://evil.example/)\n`';
    const { staticDetails, staticSummary } = deliveryStartOptions(input({ eventType: hostile }), 'wf');
    expect(staticSummary).not.toMatch(/\n/);
    // Only our own lines, and only our own link.
    expect(staticDetails.split('\n')).toHaveLength(4);
    const [, eventLine, , linkLine] = staticDetails.split('\n');
    // The whole hostile value is one code span: its link is text, not a link.
    expect(eventLine).toMatch(/^- event: (``+) order` - \[open in the admin UI\]\(https:\/\/evil\.example\/\) ` \1 · `e1`$/);
    expect(linkLine).toBe('- [open in the admin UI](http://127.0.0.1:3000/admin/deliveries/d1)');
  });
});
