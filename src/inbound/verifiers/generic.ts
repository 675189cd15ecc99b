import { verifyV1 } from '../../domain/signature';
import { readEnvelope } from '../envelope';
import { headerValue, invalidSignature, missingSignature, type Verifier } from './verifier';

/**
 * The gateway's own scheme (SPEC S3): body `{event, timestamp, data?, id?}` and
 * `X-Signature` (or `X-Agent-Signature`): `sha256=<hex HMAC-SHA256 of the raw body>`.
 */
export const genericVerifier: Verifier = {
  name: 'generic',

  read({ headers, body }) {
    const envelope = readEnvelope(body);
    return {
      type: envelope.event,
      externalId: envelope.id,
      occurredAt: new Date(envelope.timestamp * 1000),
      data: envelope.data,
      agentId: headerValue(headers, 'x-agent-id') ?? null,
      signedAt: envelope.timestamp,
    };
  },

  verify({ headers, raw, body }, secrets) {
    const header = headerValue(headers, 'x-signature') ?? headerValue(headers, 'x-agent-signature');
    if (!header) {
      throw missingSignature(
        typeof body.signature === 'string'
          ? 'a signature inside the body cannot sign that body; send it in the X-Signature header as sha256=<hex HMAC-SHA256 of the raw body>'
          : 'send X-Signature (or X-Agent-Signature): sha256=<hex HMAC-SHA256 of the raw body>',
      );
    }
    if (!verifyV1(raw, header, secrets)) {
      throw invalidSignature('the X-Signature does not match the body; sign the exact raw bytes with the shared secret, as sha256=<hex>');
    }
  },
};
