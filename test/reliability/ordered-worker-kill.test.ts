import type { Database } from '../../src/db/database';
import { createRepositories } from '../../src/db/repositories';
import { freshDatabase } from '../helpers/database';
import { startFaultStack, type FaultStack } from '../helpers/fault-stack';
import { ADMIN_TOKEN, eventually } from '../helpers/harness';
import { keySwitches, startOrderedReceiver, type OrderedReceiver } from '../helpers/ordered-receiver';
import { readTestRuntime } from '../helpers/runtime-file';
import { tearDown } from '../helpers/service-process';

// Ordered delivery per key survives a worker that dies mid-run (SIGKILL): another worker takes
// over the keys' workflows and their children, and every key is still applied strictly in
// sequence with no gaps. A POST cut off by the kill may arrive twice (at least once); a repeat
// of an applied event changes nothing, and no event ever arrives ahead of its turn.

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4'];
const PER_KEY = 60;

describe('ordered delivery with a worker killed mid-run', () => {
  let database: Database | undefined;
  let receiver: OrderedReceiver | undefined;
  let stack: FaultStack | undefined;

  afterAll(() =>
    tearDown(
      () => stack?.stop(),
      () => receiver?.close(),
      () => database?.close(),
    ),
  );

  it('applies 300 events over 5 keys strictly in sequence per key through 30 % random 500s and a SIGKILLed worker', async () => {
    database = await freshDatabase();
    receiver = await startOrderedReceiver({ seed: 1919, failRate: 0.3, maxRandomFailures: 3 });
    const event = `ordered.kill.${Date.now()}`;
    stack = await startFaultStack({
      temporalAddress: readTestRuntime().temporalAddress,
      databaseUrl: (database as Database & { url: string }).url,
      env: { WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,300ms,400ms,500ms,600ms', WEBHOOK_TIMEOUT: '2' },
    });
    const repos = createRepositories(database.db);
    await repos.subscribers.create({ url: receiver.receiver.url, secret: 'ordered-kill-secret', events: [event], orderedDelivery: true });

    const dispatch = async (key: string, n: number) => {
      const res = await fetch(`${stack!.apiUrl}/admin/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ event, ordering_key: key, data: { key, n } }),
      });
      expect(res.status).toBe(202);
    };
    const sending = Promise.all(
      KEYS.map(async (key) => {
        for (let n = 0; n < PER_KEY; n++) await dispatch(key, n);
      }),
    );

    const applied = () => [...receiver!.applied.values()].reduce((sum, n) => sum + n + 1, 0);
    await eventually(async () => applied() >= 60, 120_000, 50);
    stack.worker.kill('SIGKILL');
    const killedAt = applied();
    await stack.startWorker();
    await sending;

    await eventually(async () => KEYS.every((k) => receiver!.applied.get(k) === PER_KEY - 1), 240_000, 250);
    console.log(`[ordered worker-kill] worker killed after ${killedAt} of 300 applied; ${receiver.failures} answers were 500; ${receiver.receiver.requests.length} requests in all`);
    expect(killedAt).toBeLessThan(300);
    expect(receiver.early).toEqual([]);
    expect(keySwitches(receiver.appliedOrder)).toBeGreaterThan(50);
  }, 300_000);
});
