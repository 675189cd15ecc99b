import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from '../../src/db/database';
import { createRepositories } from '../../src/db/repositories';
import { findTemporalCli } from '../../src/temporal/cli-path';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { freshDatabase } from '../helpers/database';
import { resendRefused, startFaultStack, startSender, type FaultStack } from '../helpers/fault-stack';
import { eventually } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { tearDown } from '../helpers/service-process';

// The Temporal server dies (SIGKILL) while events arrive, and comes back on the same port with
// the same SQLite file. With the default acknowledgement the gateway answers 200 only once an
// event's workflow has started, so while Temporal is away it refuses with 503 and Retry-After,
// quickly. Acknowledging on commit, it keeps accepting into PostgreSQL and the sweeper starts
// those workflows after the restart. Either way every acknowledged event, and every refused one
// the sender retries, is delivered.

// Longer than the gateway's 5 s start deadline with room to spare, so some requests start and end inside it.
const OUTAGE_MS = 8_000;
const SUBSCRIBERS = 2;

describe.each([{ ack: 'start' }, { ack: 'commit' }] as const)('Temporal server restarted mid-run (WEBHOOK_ACK_AFTER=$ack)', ({ ack }) => {
  let dir: string | undefined;
  let temporal: DevServer | undefined;
  let database: Database | undefined;
  let receiver: Receiver | undefined;
  let stack: FaultStack | undefined;

  afterAll(() =>
    tearDown(
      () => stack?.client.connection.close(),
      () => temporal?.stop(),
      () => receiver?.close(),
      () => database?.close(),
      () => dir && rmSync(dir, { recursive: true, force: true }),
    ),
  );

  it(ack === 'start' ? 'answers 503 with Retry-After while Temporal is down, acknowledges only started events, and delivers every one after the restart' : 'keeps acknowledging into PostgreSQL while Temporal is down, and starts and delivers every one after the restart', async () => {
    const cliPath = findTemporalCli(undefined, process.env.PATH);
    if (!cliPath) throw new Error('no temporal CLI: run `bash scripts/setup.sh --test`');
    dir = mkdtempSync(path.join(os.tmpdir(), 'hookyard-temporal-restart-'));
    const serverOptions = { cliPath, dbFile: path.join(dir, 'temporal.db'), port: await freePort(), uiPort: null };
    temporal = await startDevServer(serverOptions);

    database = await freshDatabase();
    receiver = await startReceiver();
    const event = `fault.temporal.${Date.now()}`;
    const repos = createRepositories(database.db);
    for (let i = 0; i < SUBSCRIBERS; i++) await repos.subscribers.create({ url: `${receiver.url}/${i}`, secret: `secret-${i}`, events: [event] });

    stack = await startFaultStack({
      temporalAddress: temporal.address,
      databaseUrl: (database as Database & { url: string }).url,
      env: { WEBHOOK_SWEEP_INTERVAL: '2s', WEBHOOK_ACK_AFTER: ack },
    });
    const sender = startSender(stack.apiUrl, event, { lanes: 4, intervalMs: 50 });
    try {
      await eventually(async () => sender.results.filter((r) => r.status === 200).length >= 20, 30_000, 50);

      const downAt = Date.now();
      temporal.process.kill('SIGKILL');
      await new Promise((resolve) => (temporal!.process.exitCode !== null || temporal!.process.signalCode !== null ? resolve(null) : temporal!.process.once('exit', resolve)));
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      const upAt = Date.now();
      temporal = await startDevServer(serverOptions);
      // The api's client reconnects by itself.
      await eventually(async () => sender.results.some((r) => r.startedAt > upAt && r.status === 200), 60_000, 100);
      await new Promise((r) => setTimeout(r, 1_000));
      await sender.stop();

      const results = sender.results;
      const refused = results.filter((r) => r.status !== 200);
      const during = results.filter((r) => r.startedAt >= downAt && r.startedAt + r.ms < upAt);
      const slowest = Math.max(...results.map((r) => r.ms));
      console.log(
        `[temporal-restart ack=${ack}] ${results.length} events sent: ${results.length - refused.length} acknowledged, ${refused.length} refused ` +
          `(statuses ${JSON.stringify(countBy(results.map((r) => r.status)))}); slowest answer ${slowest} ms; ` +
          `outage ${upAt - downAt} ms plus the restart`,
      );
      expect(during.length).toBeGreaterThan(0);
      if (ack === 'start') {
        // Refusals are clean 503s with Retry-After, never a 500 or a hang.
        expect(refused.length).toBeGreaterThan(0);
        for (const r of refused) {
          expect({ status: r.status, retryAfter: r.retryAfter, error: r.body?.error }).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/), error: 'unavailable' });
        }
        // Nothing that started and ended while the server was down was acknowledged.
        expect(during.filter((r) => r.status === 200)).toEqual([]);
        // The gateway does not sit on a request while Temporal is away.
        expect(slowest).toBeLessThan(12_000);
        // Each acknowledgement names a workflow that survived the restart.
        for (const r of results.filter((r) => r.status === 200)) expect(r.body).toMatchObject({ status: 'received', workflow_id: expect.any(String) });
        for (const r of results.filter((r) => r.status === 200)) await stack.client.workflow.getHandle(r.body.workflow_id).describe();
      } else {
        // The event row is the durable record: Temporal's absence neither refuses nor slows a sender.
        expect(refused).toEqual([]);
        expect(during.every((r) => r.status === 200 && r.body.status === 'received')).toBe(true);
        expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(3_000);
      }

      // The sender retries what was refused; then every event reaches every subscriber.
      const retried = await resendRefused(stack.apiUrl, event, refused);
      expect(retried.every((r) => r.body.status === 'received' || r.body.status === 'duplicate')).toBe(true);
      const expected = new Set(results.map((r) => r.seq));
      await eventually(
        async () => {
          const got = new Set(receiver!.requests.map((q) => `${JSON.parse(q.body).data.seq}@${q.url}`));
          return got.size === expected.size * SUBSCRIBERS;
        },
        90_000,
        250,
      ).catch((err: Error) => {
        const seen = new Set(receiver!.requests.map((q) => JSON.parse(q.body).data.seq as number));
        throw new Error(`${err.message}; never delivered: ${[...expected].filter((s) => !seen.has(s)).join(', ')}`);
      });
      for (const q of receiver.requests) expect(expected.has(JSON.parse(q.body).data.seq)).toBe(true);
    } finally {
      await sender.stop();
    }
    await stack.stop();
  }, 240_000);
});

function countBy(values: (string | number)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
