import { verifyHubSignature } from './hub-signature';
import { badRequest, headerValue, senderEventType, signedBodyKey, type Verifier } from './verifier';

/**
 * GitHub: the event type is `X-GitHub-Event` (`push`, `pull_request`, `ping`...) and the body is
 * the payload as sent. GitHub signs the body only, with no timestamp, so `X-GitHub-Delivery` and
 * `X-GitHub-Event` could be changed on a captured request: the key is the hash of the signed
 * body, which makes such a replay a duplicate. A redelivery from GitHub (the same GUID and
 * bytes) is a duplicate too. The delivery header is still required, as GitHub always sends it.
 */
export const githubVerifier: Verifier = {
  name: 'github',

  read({ headers, raw, body }) {
    const type = senderEventType(headerValue(headers, 'x-github-event'), 'the X-GitHub-Event header');
    const delivery = headerValue(headers, 'x-github-delivery');
    if (!delivery || delivery.length > 200) throw badRequest('invalid_id', 'the X-GitHub-Delivery header is missing or longer than 200 characters');
    return { type, externalId: signedBodyKey(raw), occurredAt: null, data: body, agentId: null, signedAt: null };
  },

  verify({ headers, raw }, secrets) {
    verifyHubSignature(headers, raw, secrets, 'webhook secret');
  },
};
