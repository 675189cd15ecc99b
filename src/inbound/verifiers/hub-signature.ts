import type { IncomingHttpHeaders } from 'node:http';
import { verifyV1 } from '../../domain/signature';
import { headerValue, invalidSignature, missingSignature } from './verifier';

/** `X-Hub-Signature-256: sha256=<hex>` over the raw body, as GitHub and Meta send it. */
export function verifyHubSignature(headers: IncomingHttpHeaders, raw: Buffer, secrets: string[], secretName: string): void {
  const header = headerValue(headers, 'x-hub-signature-256');
  if (!header) {
    throw missingSignature(
      headerValue(headers, 'x-hub-signature')
        ? 'only X-Hub-Signature-256 (sha256) is accepted, not the SHA-1 X-Hub-Signature'
        : `send X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the ${secretName}>`,
    );
  }
  if (!verifyV1(raw, header, secrets)) {
    throw invalidSignature(`X-Hub-Signature-256 does not match the body; check that the source holds the ${secretName}`);
  }
}
