import { Connection } from '@temporalio/client';
import { parseConfig } from '../../src/config';
import { temporalConnectionOptions } from '../../src/temporal/connection-options';
import { eventually } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { tearDown } from '../helpers/service-process';
import { startProductionStack, type ProductionStack } from './production-stack';
import { recordResult } from './results';
import { createTestCa, type TestCa } from './test-ca';
import { startRealTemporalServer, type RealTemporalServer } from './temporal-server';

// The real Temporal server with mTLS on its frontend, and a certificate authority the test makes.
// `npm run api` and `npm run worker` connect with TEMPORAL_TLS_CERT/KEY/CA/SERVER_NAME only: the
// client (Connection) and the worker (NativeConnection) share src/temporal/connection-options.ts.

const SERVER_NAME = 'temporal.hookyard.test';

describe('a real Temporal server with mTLS', () => {
  let ca: TestCa | undefined;
  let rogue: TestCa | undefined;
  let temporal: RealTemporalServer | undefined;
  let stack: ProductionStack | undefined;
  let receiver: Receiver | undefined;
  let tlsEnv: Record<string, string>;

  beforeAll(async () => {
    ca = createTestCa();
    rogue = createTestCa('someone else');
    const server = ca.issue('frontend', { names: [SERVER_NAME], usage: 'serverAuth' });
    const systemWorker = ca.issue('system-worker', { usage: 'clientAuth' });
    const app = ca.issue('hookyard', { usage: 'clientAuth' });
    tlsEnv = { TEMPORAL_TLS_CERT: app.certFile, TEMPORAL_TLS_KEY: app.keyFile, TEMPORAL_TLS_CA: ca.caFile, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME };
    // The certificate names only SERVER_NAME, not 127.0.0.1: the server name setting must reach the handshake.
    const connection = temporalConnectionOptions(parseConfig({ WEBHOOK_VALIDATE_SIGNATURE: 'false', TEMPORAL_ADDRESS: 'x:1', ...tlsEnv }));
    temporal = await startRealTemporalServer({
      tls: {
        caFile: ca.caFile,
        serverCertFile: server.certFile,
        serverKeyFile: server.keyFile,
        clientCertFile: systemWorker.certFile,
        clientKeyFile: systemWorker.keyFile,
        serverName: SERVER_NAME,
      },
      connection,
    });
    stack = await startProductionStack({ temporal, apis: 1, workers: 1, env: { ...tlsEnv, WEBHOOK_RETRY_SCHEDULE: '1s' }, connection });
  }, 900_000);

  afterAll(() =>
    tearDown(
      () => receiver?.close(),
      () => stack?.stop(),
      () => temporal?.stop(),
      () => ca?.remove(),
      () => rogue?.remove(),
    ),
  );

  it('delivers an event through an api and a worker that connect with a client certificate, a CA and a server name', async () => {
    receiver = await startReceiver();
    const event = `tls.check.${Date.now()}`;
    const sub = await stack!.admin('POST', '/subscribers', { url: `${receiver.url}/tls`, events: [event] });
    expect(sub.status).toBe(201);
    const sent = await stack!.admin('POST', '/events', { event, data: { over: 'mTLS' } });
    expect(sent.status).toBe(202);
    const [req] = await receiver.waitFor(1, 60_000);
    expect(JSON.parse(req!.body)).toMatchObject({ event, data: { over: 'mTLS' } });
    // The event workflow ran on the TLS server: the test's own TLS client reads its history.
    const workflowId = sent.json.workflow_id as string;
    const status = await eventually(
      async () => {
        const { status } = await stack!.client.workflow.getHandle(workflowId).describe();
        return status.name === 'RUNNING' ? null : status.name;
      },
      30_000,
      250,
    );
    expect(status).toBe('COMPLETED');
    recordResult('tls', { passed: true, detail: `api + worker over mTLS (CA, client cert, server name ${SERVER_NAME}); server started in ${temporal!.startSeconds.toFixed(1)} s` });
  }, 120_000);

  it('refuses a plaintext client, a client without a certificate, and one whose certificate another CA signed', async () => {
    const address = temporal!.address;
    const probe = async (options: Parameters<typeof Connection.connect>[0]) => {
      const conn = await Connection.connect({ ...options, address, connectTimeout: 3_000 });
      try {
        await conn.workflowService.describeNamespace({ namespace: 'default' });
      } finally {
        await conn.close();
      }
    };
    const stranger = rogue!.issue('stranger', { usage: 'clientAuth' });
    const trustOnly = parseConfig({ WEBHOOK_VALIDATE_SIGNATURE: 'false', TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CA: ca!.caFile, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME });
    const strangerCert = parseConfig({ WEBHOOK_VALIDATE_SIGNATURE: 'false', TEMPORAL_ADDRESS: address, ...tlsEnv, TEMPORAL_TLS_CERT: stranger.certFile, TEMPORAL_TLS_KEY: stranger.keyFile });
    await expect(probe({})).rejects.toThrow();
    await expect(probe(temporalConnectionOptions(trustOnly))).rejects.toThrow();
    await expect(probe(temporalConnectionOptions(strangerCert))).rejects.toThrow();
    // And the settings the processes use do get in.
    await expect(probe(temporalConnectionOptions(parseConfig({ WEBHOOK_VALIDATE_SIGNATURE: 'false', TEMPORAL_ADDRESS: address, ...tlsEnv })))).resolves.toBeUndefined();
  }, 60_000);
});
