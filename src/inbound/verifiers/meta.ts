import { safeEqual } from '../../domain/signature';
import { HttpError } from '../../errors';
import { isEventType } from '../../domain/event-type';
import { verifyHubSignature } from './hub-signature';
import { badRequest, senderEventType, signedBodyKey, type Verifier } from './verifier';

/**
 * Meta (WhatsApp Cloud API, Messenger, Instagram): `X-Hub-Signature-256` with the app secret.
 * The type is the body's `object`, with the change `field` when every change names the same one
 * (`whatsapp_business_account.messages`). Meta sends no delivery id and retries the same bytes,
 * so the key is a hash of the raw body.
 */
export const metaVerifier: Verifier = {
  name: 'meta',

  read({ raw, body }) {
    const object = senderEventType(body.object, '"object"');
    if (!Array.isArray(body.entry)) throw badRequest('invalid_data', '"entry" must be an array, as Meta sends it');
    const fields = new Set<unknown>();
    for (const entry of body.entry) {
      const changes = (entry as { changes?: unknown } | null)?.changes;
      if (Array.isArray(changes)) for (const change of changes) fields.add((change as { field?: unknown } | null)?.field);
    }
    const [field] = fields;
    const specific = fields.size === 1 && typeof field === 'string' ? `${object}.${field}` : object;
    return {
      // Joined, the object and the field may spell one of the platform's own webhook.* types.
      type: isEventType(specific) ? senderEventType(specific, '"object" and the change "field"') : object,
      externalId: signedBodyKey(raw),
      occurredAt: null,
      data: body,
      agentId: null,
      signedAt: null,
    };
  },

  verify({ headers, raw }, secrets) {
    verifyHubSignature(headers, raw, secrets, 'Meta app secret');
  },
};

/**
 * The subscription handshake: Meta GETs `?hub.mode=subscribe&hub.verify_token=..&hub.challenge=..`
 * and expects the challenge back when the token is the one configured for the source.
 */
export function answerMetaChallenge(query: Record<string, unknown>, verifyToken: string | null): string {
  const mode = query['hub.mode'];
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (mode !== 'subscribe' || typeof challenge !== 'string' || !/^[A-Za-z0-9._~-]{1,256}$/.test(challenge)) {
    throw new HttpError(400, 'invalid_handshake', 'expected hub.mode=subscribe, hub.verify_token and a hub.challenge of letters and digits');
  }
  if (!verifyToken || typeof token !== 'string' || !safeEqual(token, verifyToken)) {
    throw new HttpError(403, 'invalid_verify_token', 'hub.verify_token is not the verify token configured for this source');
  }
  return challenge;
}
