import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config';
import type { Repositories } from './db/repositories';
import { installErrorHandler } from './errors';
import type { Dispatcher } from './events/dispatcher';
import type { AsnTable } from './inbound/asn-table';
import { createGateway } from './inbound/gateway';
import { DEFAULT_SOURCE, GENERIC_ORDERING_KEY_POINTER, resolveSource } from './inbound/inbound-source';
import type { IpWhitelist } from './inbound/ip-whitelist';
import { createInboundRateLimiter } from './inbound/rate-limiter';
import { genericVerifier } from './inbound/verifiers/generic';
import { createMetrics, type Metrics } from './metrics/metrics';
import { requireAdminToken } from './plugins/admin-auth';
import { countInboundAnswers } from './plugins/inbound-metrics';
import { refuseUnstorableInput } from './plugins/storable-input';
import type { DeliveryControl } from './deliveries/delivery-control';
import type { QueueDriver } from './engine/queue-driver';
import adminDeliveryRoutes from './routes/admin-deliveries';
import adminEngineRoutes from './routes/admin-engine';
import adminEventRoutes from './routes/admin-events';
import adminRetentionRoutes from './routes/admin-retention';
import { registerAdminOpenApi } from './routes/admin-openapi';
import adminReplayRoutes from './routes/admin-replays';
import adminSandboxRoutes from './routes/admin-sandbox';
import adminSourceRoutes from './routes/admin-sources';
import adminStatsRoutes from './routes/admin-stats';
import adminSubscriberRoutes from './routes/admin-subscribers';
import adminUiRoutes, { ADMIN_UI_DIR } from './routes/admin-ui';
import adminTransformRoutes from './routes/admin-transforms';
import adminOrderingRoutes from './routes/admin-ordering';
import adminProtectionRoutes from './routes/admin-protection';
import inboundRoutes from './routes/inbound';
import metricsRoutes from './routes/metrics';
import { zodValidatorCompiler } from './routes/validation';
import type { TransformRegistry } from './transforms/registry';

export interface AppDeps {
  config: Config;
  repos: Repositories;
  dispatcher: Dispatcher;
  control: DeliveryControl;
  /** The queue driver, for what is in flight (GET /admin/api/in-flight); the route is absent without one. */
  driver?: Pick<QueueDriver, 'name' | 'listInFlight'>;
  temporalUiUrl: string | null;
  transforms: TransformRegistry;
  whitelist: IpWhitelist;
  logger: Logger;
  adminToken: string;
  inboundSecrets: string[];
  /** The IP-to-ASN table behind `AS<number>` whitelist entries (WEBHOOK_ASN_DB). */
  asnTable?: AsnTable | null;
  /** Milliseconds since the epoch; tests pin it to check the clock-skew edge. */
  clock?: () => number;
  /** Reports whether the dependencies answer, for /health. */
  health?: () => Promise<Record<string, boolean>>;
  /** The process's metrics, served at /metrics; the app makes a registry of its own without one. */
  metrics?: Metrics;
}

/** Builds the Fastify app; tests call `app.inject()` on it without opening a port. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: config.WEBHOOK_TRUST_PROXY.length > 0 ? config.WEBHOOK_TRUST_PROXY : false,
    bodyLimit: config.WEBHOOK_BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    // A URL the router cannot decode is answered in the error contract too, not Fastify's own shape.
    frameworkErrors: (err, _request, reply) => {
      void (reply as FastifyReply).code(400).send({ error: 'bad_request', message: `the URL cannot be read: ${err.message}` });
    },
  });
  installErrorHandler(app);
  refuseUnstorableInput(app);

  app.get('/health', async (_request, reply) => {
    const checks = deps.health ? await deps.health() : {};
    const ok = Object.values(checks).every(Boolean);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checks });
  });

  await app.register(metricsRoutes, { metrics });

  const asnTable = deps.asnTable ?? null;
  if (config.WEBHOOK_INBOUND_ENABLED) {
    // The counting hooks wrap the inbound routes, so they see every answer those routes give.
    await app.register(async (inbound) => {
      countInboundAnswers(inbound, metrics);
      await inbound.register(inboundRoutes, {
        path: config.WEBHOOK_INBOUND_PATH,
        bodyLimit: config.WEBHOOK_BODY_LIMIT,
        gateway: createGateway({
          dispatcher: deps.dispatcher,
          rateLimiter: createInboundRateLimiter(config.WEBHOOK_RATE_LIMIT, config.WEBHOOK_RATE_LIMIT_WINDOW),
          maxWaitSeconds: config.WEBHOOK_SYNC_MAX_WAIT,
          now: deps.clock,
        }),
        defaultSource: {
          name: DEFAULT_SOURCE,
          verifier: genericVerifier,
          secrets: deps.inboundSecrets,
          whitelist: deps.whitelist,
          maxClockSkewSeconds: config.WEBHOOK_MAX_CLOCK_SKEW,
          validateSignature: config.WEBHOOK_VALIDATE_SIGNATURE,
          verifyToken: null,
          orderingKeyPointer: GENERIC_ORDERING_KEY_POINTER,
        },
        findSource: async (name: string) => {
          const row = await deps.repos.sources.get(name);
          return row?.active ? resolveSource(row, { asnTable, maxClockSkewSeconds: config.WEBHOOK_MAX_CLOCK_SKEW }) : undefined;
        },
      });
    });
  }

  await app.register(
    async (admin) => {
      // The routes' zod schemas validate the requests and make the OpenAPI document.
      admin.setValidatorCompiler(zodValidatorCompiler);
      await registerAdminOpenApi(admin);
      await admin.register(async (secured) => {
        requireAdminToken(secured, deps.adminToken);
        await secured.register(adminSubscriberRoutes, {
          repos: deps.repos,
          transforms: deps.transforms,
          secretGraceMs: config.WEBHOOK_SECRET_GRACE,
          control: deps.control,
          defaultSignatureVersion: config.WEBHOOK_SIGNATURE_VERSIONS,
          events: deps.dispatcher,
          onError: (err) => app.log.error({ err }, 'a subscriber health event could not be recorded'),
        });
        await secured.register(adminDeliveryRoutes, {
          repos: deps.repos,
          control: deps.control,
          temporalUiUrl: deps.temporalUiUrl,
          namespace: config.TEMPORAL_NAMESPACE,
        });
        await secured.register(adminEventRoutes, { repos: deps.repos, dispatcher: deps.dispatcher });
        await secured.register(adminSourceRoutes, { repos: deps.repos, asnTable });
        await secured.register(adminRetentionRoutes, { retention: deps.repos.retention });
        await secured.register(adminReplayRoutes, { repos: deps.repos });
        await secured.register(adminStatsRoutes, { repos: deps.repos, now: deps.clock });
        await secured.register(adminSandboxRoutes, {
          inboundPath: config.WEBHOOK_INBOUND_ENABLED ? config.WEBHOOK_INBOUND_PATH : null,
          secret: deps.inboundSecrets[0],
          now: deps.clock,
        });
        await secured.register(adminTransformRoutes, { transforms: deps.transforms });
        if (deps.driver) await secured.register(adminEngineRoutes, { driver: deps.driver });
        await secured.register(adminProtectionRoutes, {
          repos: deps.repos,
          defaultMaxInFlight: config.WEBHOOK_ENDPOINT_CONCURRENCY,
          events: deps.dispatcher,
          onError: (err) => app.log.error({ err }, 'a subscriber health event could not be recorded'),
        });
        await secured.register(adminOrderingRoutes, { repos: deps.repos, control: deps.control });
      });
    },
    { prefix: '/admin/api' },
  );
  await app.register(adminUiRoutes, { root: ADMIN_UI_DIR });
  return app;
}
