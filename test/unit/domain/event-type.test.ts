import { agentIdProblem, eventTypeProblem, externalEventTypeProblem } from '../../../src/domain/event-type';

describe('event type and agent id rules', () => {
  it.each(['order.created', 'payment_intent.succeeded', 'whatsapp_business_account.messages', 'push', 'a', 'v1:ns/order-created', 'e'.repeat(200)])(
    'accepts the event type %s',
    (type) => {
      expect(eventTypeProblem(type)).toBeNull();
    },
  );

  it.each([
    ['empty', ''],
    ['too long', 'e'.repeat(201)],
    ['outside ASCII', '订单.创建'],
    ['a space', 'order created'],
    ['a newline', 'order\ncreated'],
    ['a backtick', 'order`x'],
    ['a wildcard', 'order.*'],
    ['a leading dot', '.order'],
    ['not a string', 42],
  ])('refuses an event type with %s', (_label, type) => {
    expect(eventTypeProblem(type)).toMatch(/^must be/);
  });

  it('reserves the webhook.* types for the platform', () => {
    expect(eventTypeProblem('webhook.delivery.dead_lettered')).toBeNull();
    expect(externalEventTypeProblem('webhook.delivery.dead_lettered')).toMatch(/reserved/);
    expect(externalEventTypeProblem('webhooks.delivered')).toBeNull();
  });

  it.each(['agent-1', 'agent@example.com', 'a'.repeat(200)])('accepts the agent id %s', (id) => {
    expect(agentIdProblem(id)).toBeNull();
  });

  it.each(['', 'a'.repeat(201), 'agent 1', 'агент', 'a\u0000'])('refuses the agent id %j', (id) => {
    expect(agentIdProblem(id)).toMatch(/^must be/);
  });
});
