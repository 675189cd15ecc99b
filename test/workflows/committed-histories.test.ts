import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { temporal as proto } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { readTestRuntime } from '../helpers/runtime-file';

// Workflows are a public API: a delivery lives about 43 minutes, longer while it waits. These
// histories were recorded from released workflow code (npm run record:histories) and must keep
// replaying against today's code; a change that breaks one goes behind patched() instead
// (workflows/README.md).

const DIR = path.resolve(__dirname, '../fixtures/histories');
const SCENARIOS = ['fast-path-event', 'fast-path-delivery', 'fast-path-off-event', 'fast-path-off-delivery', 'dead-letter-delivery', 'replay-delivery', 'retry-now-delivery'];

describe('committed workflow histories', () => {
  it('cover the fast path on and off, a dead letter, a replay and a retryNow signal, for every recorded version', () => {
    const names = readdirSync(DIR).map((f) => f.replace(/\.json$/, ''));
    const versions = [...new Set(names.map((n) => n.split('-')[0]))];
    expect(versions).toEqual(expect.arrayContaining(['v1', 'v2']));
    for (const v of versions) expect(names).toEqual(expect.arrayContaining(SCENARIOS.map((s) => `${v}-${s}`)));
    // An ordered key's workflow (one per subscriber and key), from the version that added it.
    expect(names).toContain('v2-ordered-key');
    // A delivery handed over waiting for capacity sleeps until its turn first (input.waitFirst).
    expect(names).toContain('v2-waiting-delivery');
    expect(JSON.parse(readFileSync(path.join(DIR, 'v2-waiting-delivery.json'), 'utf8')).events).toContain('EVENT_TYPE_TIMER_STARTED');
    const retryNow = readFileSync(path.join(DIR, 'v1-retry-now-delivery.json'), 'utf8');
    expect(JSON.parse(retryNow).events).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED');
  });

  it('replay against the current workflow code without a determinism error', async () => {
    const histories = readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => {
        const { workflowId, history } = JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as { workflowId: string; history: string };
        return { workflowId, history: proto.api.history.v1.History.decode(Buffer.from(history, 'base64')) };
      });
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: readTestRuntime().workflowBundlePath } }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
