import { verify as octokitVerify } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { verifiers } from '../../src/inbound/verifiers';
import { buildInbound, SEND_FORMATS } from '../../src/cli/provider-formats';

// `webhookctl send --format <provider>` builds what the provider sends: the gateway's verifier
// for that source accepts it, and so does the provider's own library where one exists.

const NOW = Math.floor(Date.now() / 1000);
const SECRET = `whsec_${Buffer.from('provider-format-signing-key-0123').toString('base64')}`;

function request(format: (typeof SEND_FORMATS)[number], event: string, data?: Record<string, unknown>) {
  const built = buildInbound(format, { event, data, timestampSeconds: NOW, secret: SECRET });
  const raw = Buffer.from(built.body);
  return { built, inbound: { headers: built.headers, raw, body: JSON.parse(built.body) as Record<string, unknown> } };
}

describe('send formats', () => {
  it('covers every verifier the gateway has', () => {
    expect([...SEND_FORMATS].sort()).toEqual(Object.keys(verifiers).sort());
  });

  it.each(SEND_FORMATS)('%s: the gateway verifier reads the event type and accepts the signature', (format) => {
    const event = format === 'meta' ? 'whatsapp_business_account.messages' : 'order.created';
    const { inbound } = request(format, event, { id: 7 });
    expect(verifiers[format].read(inbound).type).toBe(event);
    expect(() => verifiers[format].verify(inbound, [SECRET])).not.toThrow();
    expect(() => verifiers[format].verify(inbound, ['whsec_b3RoZXItc2VjcmV0LWJ5dGVzLTAxMjM0NTY3'])).toThrow(/does not match/);
  });

  it('github: @octokit/webhooks-methods accepts X-Hub-Signature-256', async () => {
    const { built } = request('github', 'push', { ref: 'refs/heads/main' });
    expect(await octokitVerify(SECRET, built.body, built.headers['x-hub-signature-256'])).toBe(true);
    expect(built.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('stripe: stripe.webhooks.constructEvent accepts Stripe-Signature', () => {
    const { built } = request('stripe', 'invoice.paid', { id: 'in_1' });
    const event = new Stripe('sk_test_unused').webhooks.constructEvent(built.body, built.headers['stripe-signature'], SECRET);
    expect(event).toMatchObject({ type: 'invoice.paid', data: { object: { id: 'in_1' } } });
  });

  it('standard-webhooks: the standardwebhooks library accepts webhook-signature', () => {
    const { built } = request('standard-webhooks', 'response.completed', { id: 'resp_1' });
    expect(new Webhook(SECRET).verify(built.body, built.headers)).toMatchObject({ type: 'response.completed', data: { id: 'resp_1' } });
  });
});
