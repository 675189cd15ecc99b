// Records the workflow histories that CI replays (test/workflows/committed-histories.test.ts).
// Run it after a workflow change is released, never to "fix" a failing replay: a history that no
// longer replays is a running delivery the change would break (workflows/README.md).
//
//   npm run record:histories
//   npm run record:histories -- --only ordered-key   (one scenario group: core, waiting or ordered-key)
//
// It starts its own Temporal dev server and an embedded PGlite, runs each scenario against a
// loopback receiver, and writes test/fixtures/histories/<scenario>.json.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { temporal as proto } from '@temporalio/proto';
import { parseConfig } from '../src/config';
import { openDatabase } from '../src/db/database';
import { orderedKeyWorkflowId } from '../src/domain/ordering-key';
import { createLogger } from '../src/logger';
import { startRuntime, type Runtime } from '../src/runtime';
import { findTemporalCli } from '../src/temporal/cli-path';
import { startDevServer } from '../src/temporal/dev-server';

const OUT = path.resolve(__dirname, '../test/fixtures/histories');
/**
 * Bump with every release that changes workflow code: older files stay, so CI keeps proving
 * that today's code replays what earlier releases left running.
 */
const VERSION = 'v2';
type Behaviour = (attempt: number) => number;
const behaviours = new Map<string, Behaviour>();

async function main(): Promise<void> {
  const cli = findTemporalCli(undefined, process.env.PATH);
  if (!cli) throw new Error('no temporal CLI: run `npm run setup`');
  const temporal = await startDevServer({ cliPath: cli, uiPort: null });
  const receiver = createServer((req, res) => {
    const kind = (req.url ?? '').split('/')[1];
    const attempt = Number(req.headers['x-webhook-attempt']);
    req.resume();
    req.on('end', () => res.writeHead((behaviours.get(kind) ?? (() => 200))(attempt)).end('ok'));
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  mkdirSync(OUT, { recursive: true });
  const written: string[] = [];
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : null;
  try {
    if (!only || only === 'core') await recordCore(temporal.address, base, written);
    if (!only || only === 'waiting') await recordWaiting(temporal.address, base, written);
    if (!only || only === 'ordered-key') {
      await withRuntime(temporal.address, { WEBHOOK_FAST_PATH: 'true', WEBHOOK_RETRY_SCHEDULE: '3s' }, async (rt) => {
        // An ordered key: three keyed events, the first retried once in its child delivery
        // workflow, then the key's workflow waits idle (recorded while it waits).
        behaviours.set('ordered', (n) => (n === 1 ? 503 : 200));
        const type = 'history.ordered';
        const subscriber = await rt.repos.subscribers.create({ url: `${base}/ordered`, secret: 'whsec_aGlzdG9yaWVzLXNlY3JldA==', events: [type], orderedDelivery: true });
        for (let n = 0; n < 3; n++) await rt.dispatcher.dispatch({ source: 'api', type, data: { n }, orderingKey: 'customer-1' });
        await waitFor(async () => (await rt.repos.deliveries.list({ subscriberId: subscriber.id, status: 'succeeded' })).length === 3, 120_000);
        const keyWorkflowId = orderedKeyWorkflowId(subscriber.id, 'customer-1');
        await waitFor(async () => (await rt.client.workflow.getHandle(keyWorkflowId).describe()).raw.pendingChildren?.length === 0);
        written.push(await save(rt, 'ordered-key', keyWorkflowId));
      });
    }
    console.log(`recorded ${written.length} histories into ${path.relative(process.cwd(), OUT)}:\n  ${written.join('\n  ')}`);
  } finally {
    receiver.close();
    await temporal.stop();
  }
}

/**
 * A delivery handed over waiting for capacity (`waitFirst`, session 6): it sleeps until its turn
 * in the workflow (a wait under a second is not a delayed start), then makes its first attempt.
 */
async function recordWaiting(address: string, base: string, written: string[]): Promise<void> {
  await withRuntime(address, { WEBHOOK_FAST_PATH: 'true', WEBHOOK_RETRY_SCHEDULE: '3s' }, async (rt) => {
    const type = 'history.waiting';
    // Subscribed to another type: the fan-out leaves it alone, and its delivery is handed over here.
    const subscriber = await rt.repos.subscribers.create({ url: `${base}/waiting`, secret: 'whsec_aGlzdG9yaWVzLXNlY3JldA==', events: [`${type}.none`] });
    const { event } = await rt.dispatch(type, { recorded: true });
    await waitFor(async () => (await rt.client.workflow.getHandle(event.workflowId).describe()).status.name !== 'RUNNING');
    const deliveryId = `dlv_waiting_${event.id}`;
    const workflowId = `${event.workflowId}/waiting`;
    await rt.repos.deliveries.createMany([{ id: deliveryId, eventId: event.id, subscriberId: subscriber.id, eventType: type, workflowId }]);
    const waitFirst = { until: Date.now() + 800, reason: 'waiting for a POST slot: recorded by record-histories' };
    await rt.driver.startDelivery(
      { deliveryId, eventId: event.id, eventType: type, subscriberId: subscriber.id, target: '127.0.0.1', retryDelaysMs: [3_000], searchAttributes: true, adminUrl: null, attemptTimeoutMs: 10_000, firstAttempt: null, waitFirst },
      workflowId,
    );
    written.push(await save(rt, 'waiting-delivery', await finished(rt, workflowId)));
  });
}

/** The fast path on and off, a dead letter, a replay and a retryNow signal. */
async function recordCore(address: string, base: string, written: string[]): Promise<void> {
  await withRuntime(address, { WEBHOOK_FAST_PATH: 'true', WEBHOOK_RETRY_SCHEDULE: '3s,3s' }, async (rt) => {
    // Fast path: a first attempt fails in the fan-out, the delivery workflow retries after a durable timer.
    behaviours.set('flaky', (n) => (n === 1 ? 503 : 200));
    const flaky = await scenario(rt, `${base}/flaky`, 'history.fast');
    written.push(await save(rt, 'fast-path-event', flaky.eventWorkflowId), await save(rt, 'fast-path-delivery', await finished(rt, flaky.deliveryWorkflowId)));

    // Dead letter: every attempt fails; the workflow finishes dead and announces it.
    behaviours.set('dead', () => 500);
    const dead = await scenario(rt, `${base}/dead`, 'history.dead');
    written.push(await save(rt, 'dead-letter-delivery', await finished(rt, dead.deliveryWorkflowId)));

    // Replay of that dead delivery, now answered.
    behaviours.set('dead', () => 200);
    const replay = await rt.control.replay([dead.deliveryId]);
    written.push(await save(rt, 'replay-delivery', await finished(rt, replay.replayed[0].workflow_id)));
  });
  await withRuntime(address, { WEBHOOK_FAST_PATH: 'true', WEBHOOK_RETRY_SCHEDULE: '1h' }, async (rt) => {
    // retryNow skips an hour's backoff.
    behaviours.set('later', (n) => (n === 1 ? 503 : 200));
    const later = await scenario(rt, `${base}/later`, 'history.later');
    await waitFor(async () => (await rt.repos.deliveries.get(later.deliveryId))?.attempts === 1);
    await rt.control.retryNow(later.deliveryId);
    written.push(await save(rt, 'retry-now-delivery', await finished(rt, later.deliveryWorkflowId)));
  });
  await withRuntime(address, { WEBHOOK_FAST_PATH: 'false', WEBHOOK_RETRY_SCHEDULE: '3s' }, async (rt) => {
    behaviours.set('child', (n) => (n === 1 ? 503 : 200));
    const child = await scenario(rt, `${base}/child`, 'history.child');
    written.push(await save(rt, 'fast-path-off-event', child.eventWorkflowId), await save(rt, 'fast-path-off-delivery', await finished(rt, child.deliveryWorkflowId)));
  });
}

async function withRuntime(address: string, env: Record<string, string>, run: (rt: Runtime) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hookyard-histories-'));
  const config = parseConfig({ ADMIN_TOKEN: 'record-histories-token', WEBHOOK_VALIDATE_SIGNATURE: 'false', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', TEMPORAL_TASK_QUEUE: `histories-${path.basename(dir)}`, LOG_LEVEL: 'warn', DATA_DIR: dir, ...env });
  const database = await openDatabase({ dataDir: path.join(dir, 'pglite') });
  const rt = await startRuntime({ config, database, logger: createLogger('warn'), temporalAddress: address, api: true, worker: true });
  try {
    await run(rt);
  } finally {
    await rt.stop();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scenario(rt: Runtime, url: string, type: string) {
  const subscriber = await rt.repos.subscribers.create({ url, secret: 'whsec_aGlzdG9yaWVzLXNlY3JldA==', events: [type] });
  const { event } = await rt.dispatch(type, { recorded: true });
  const delivery = await waitFor(async () => (await rt.repos.deliveries.listForEvent(event.id)).find((d) => d.subscriberId === subscriber.id));
  await waitFor(async () => (await rt.client.workflow.getHandle(event.workflowId).describe()).status.name !== 'RUNNING');
  return { eventWorkflowId: event.workflowId, deliveryWorkflowId: delivery.workflowId, deliveryId: delivery.id };
}

async function finished(rt: Runtime, workflowId: string): Promise<string> {
  await waitFor(async () => {
    try {
      return (await rt.client.workflow.getHandle(workflowId).describe()).status.name !== 'RUNNING';
    } catch {
      return false;
    }
  }, 120_000);
  return workflowId;
}

/**
 * The history as protobuf bytes (base64): exact, and free of the SDK's proto-JSON path, which
 * breaks when npm installs two copies of protobufjs. `events` lists the event types for readers.
 */
async function save(rt: Runtime, name: string, workflowId: string): Promise<string> {
  const history = await rt.client.workflow.getHandle(workflowId).fetchHistory();
  const bytes = proto.api.history.v1.History.encode(history).finish();
  const events = (history.events ?? []).map((e) => proto.api.enums.v1.EventType[e.eventType ?? 0]);
  const file = path.join(OUT, `${VERSION}-${name}.json`);
  writeFileSync(file, JSON.stringify({ workflowId, events, encoding: 'protobuf-base64', history: Buffer.from(bytes).toString('base64') }, null, 1) + '\n');
  return path.basename(file);
}

async function waitFor<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error('a scenario did not finish in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
