import type { SourceVerifier } from '../../db/schema';
import { genericVerifier } from './generic';
import { githubVerifier } from './github';
import { metaVerifier } from './meta';
import { standardWebhooksVerifier } from './standard-webhooks';
import { stripeVerifier } from './stripe';
import type { Verifier } from './verifier';

/** Every inbound signature scheme a named source can use, by the name stored on the source. */
export const verifiers: Record<SourceVerifier, Verifier> = {
  generic: genericVerifier,
  'standard-webhooks': standardWebhooksVerifier,
  github: githubVerifier,
  meta: metaVerifier,
  stripe: stripeVerifier,
};

export const VERIFIER_NAMES = Object.keys(verifiers) as [SourceVerifier, ...SourceVerifier[]];

export type { Verifier, InboundRequest, ProviderEvent } from './verifier';
export { answerMetaChallenge } from './meta';
