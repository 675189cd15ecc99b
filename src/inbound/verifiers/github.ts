import { verifyHubSignature } from './hub-signature';
import { badRequest, headerValue, senderEventType, type Verifier } from './verifier';

/**
 * GitHub: the event type is `X-GitHub-Event` (`push`, `pull_request`, `ping`...), the key is the
 * `X-GitHub-Delivery` GUID (a redelivery reuses it), and the body is the payload as sent.
 */
export const githubVerifier: Verifier = {
  name: 'github',

  read({ headers, body }) {
    const type = senderEventType(headerValue(headers, 'x-github-event'), 'the X-GitHub-Event header');
    const delivery = headerValue(headers, 'x-github-delivery');
    if (!delivery || delivery.length > 200) throw badRequest('invalid_id', 'the X-GitHub-Delivery header is missing or longer than 200 characters');
    return { type, externalId: delivery, occurredAt: null, data: body, agentId: null, signedAt: null };
  },

  verify({ headers, raw }, secrets) {
    verifyHubSignature(headers, raw, secrets, 'webhook secret');
  },
};
