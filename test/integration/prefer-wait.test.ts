import { randomUUID } from 'node:crypto';
import { eventually, nowSeconds, startHarness, type Harness } from '../helpers/harness';

// `Prefer: wait` (issue 11, item 10): when the wait ends before the fan-out, the gateway answers
// "received" and its long poll for the result ends with it, instead of running on until the
// workflow finishes (here: never, since no worker runs it).

describe.each(['temporal', 'pgboss'])('Prefer: wait on the %s driver', (driverName) => {
  let h: Harness;
  let polling = 0;

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent', QUEUE_DRIVER: driverName, WEBHOOK_SWEEP_INTERVAL: '0' }, { worker: false });
    // Count the result polls still running: the dispatcher calls the driver through this object.
    const driver = h.runtime.driver;
    const eventResult = driver.eventResult.bind(driver);
    driver.eventResult = async (workflowId, abort) => {
      polling++;
      try {
        return await eventResult(workflowId, abort);
      } finally {
        polling--;
      }
    };
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('ends its poll for the result when the wait ends', async () => {
    const started = Date.now();
    const res = await h.sendInbound({ event: 'wait.never', timestamp: nowSeconds(), data: {}, id: randomUUID() }, { headers: { prefer: 'wait=1' } });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('received');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // The workflow is still waiting for a worker, yet nothing polls for its result any more.
    await eventually(async () => polling === 0, 5_000, 50);
  });
});
