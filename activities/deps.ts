import type { Logger } from 'pino';
import type { Repositories } from '../src/db/repositories';
import type { OutboundClient } from '../src/net/outbound-client';
import type { TransformRegistry } from '../src/transforms/registry';

/** What the activities need from the outside world; tests pass fakes. */
export interface ActivityDeps {
  repos: Repositories;
  http: OutboundClient;
  transforms: TransformRegistry;
  logger: Logger;
  config: {
    retryDelaysMs: number[];
    timeoutMs: number;
    signatureVersions: 'v1' | 'v2' | 'both';
  };
  /** Base URL of the admin UI, for links in workflow details. */
  adminUrl: string | null;
}
