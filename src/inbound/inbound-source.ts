import type { Source } from '../db/source-repository';
import type { AsnTable } from './asn-table';
import { createIpWhitelist, type IpWhitelist } from './ip-whitelist';
import { verifiers, type Verifier } from './verifiers';

/** Everything the gateway needs to judge a request for one source, resolved from config or a stored source. */
export interface InboundSource {
  /** The first half of every event key from this source. */
  name: string;
  verifier: Verifier;
  secrets: string[];
  whitelist: IpWhitelist;
  maxClockSkewSeconds: number;
  validateSignature: boolean;
  /** The Meta handshake token, for `GET` on a meta source. */
  verifyToken: string | null;
  /** Where in the body the event's ordering key is (a JSON pointer); null: its events are unkeyed. */
  orderingKeyPointer: string | null;
}

/** The unnamed gateway's generic envelope carries its ordering key in a top-level field. */
export const GENERIC_ORDERING_KEY_POINTER = '/ordering_key';

/** The source name of events that arrive on the unnamed gateway path. */
export const DEFAULT_SOURCE = 'default';

/**
 * A stored source as the gateway applies it. Its own whitelist replaces the global one (empty
 * allows everyone), its own skew overrides WEBHOOK_MAX_CLOCK_SKEW, and its signature is always checked.
 */
export function resolveSource(row: Source, defaults: { asnTable: AsnTable | null; maxClockSkewSeconds: number }): InboundSource {
  return {
    name: row.name,
    verifier: verifiers[row.verifier],
    secrets: row.secrets,
    whitelist: createIpWhitelist(row.ipWhitelist, defaults.asnTable),
    maxClockSkewSeconds: row.maxClockSkew ?? defaults.maxClockSkewSeconds,
    validateSignature: true,
    verifyToken: row.verifyToken,
    orderingKeyPointer: row.orderingKeyPointer,
  };
}
