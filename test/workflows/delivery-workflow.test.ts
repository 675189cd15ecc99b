import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { findTestServer } from '../../src/temporal/cli-path';
import type { AttemptDeferred, AttemptInput, AttemptResult, DeliveryWorkflowInput, EventWorkflowInput, FanOutPage, FinishDeliveryInput } from '../../workflows/types';
import { readTestRuntime } from '../helpers/runtime-file';

// The workflows alone, on the time-skipping test server, with fake activities: the real
// schedule (43 minutes) runs in seconds.

const SCHEDULE = [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000];
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  const path = findTestServer();
  if (!path) throw new Error('no temporal-test-server: run `bash scripts/setup.sh --test`');
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
});
afterAll(async () => {
  await env?.teardown();
});

async function run<T>(activities: Record<string, (...args: any[]) => Promise<unknown>>, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `tq-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: readTestRuntime().workflowBundlePath }, activities });
  return worker.runUntil(fn(taskQueue));
}

const deliveryInput = (extra: Partial<DeliveryWorkflowInput> = {}): DeliveryWorkflowInput => ({
  deliveryId: `dlv_${randomUUID()}`,
  eventId: 'evt_1',
  eventType: 'order.created',
  subscriberId: 'sub_1',
  target: 'example.com',
  retryDelaysMs: SCHEDULE,
  searchAttributes: false,
  adminUrl: null,
  attemptTimeoutMs: 20_000,
  ...extra,
});

/** When each attempt was due, in workflow time: its activity's scheduled time, or the short wait it was handed. */
function fakeReceiver(statusFor: (attempt: number) => number) {
  const due: number[] = [];
  const finished: FinishDeliveryInput[] = [];
  const activities = {
    async attemptDelivery(input: AttemptInput): Promise<AttemptResult> {
      const scheduled = Context.current().info.currentAttemptScheduledTimestampMs;
      const at = Math.max(scheduled, input.notBefore ?? 0);
      due.push(at);
      const statusCode = statusFor(input.attempt);
      const ok = statusCode < 300;
      return { attempt: input.attempt, outcome: ok ? 'success' : 'failure', statusCode, durationMs: 0, error: ok ? null : `HTTP ${statusCode}`, retryAfterMs: null, logged: true, at };
    },
    async recordAttempt() {},
    async finishDelivery(input: FinishDeliveryInput) {
      finished.push(input);
      return { deadLetterEvent: null };
    },
  };
  return { due, finished, activities };
}

describe('delivery workflow (time-skipping)', () => {
  it('retries on the exact schedule 1s, 5s, 30s, 2m, 10m, 30m and ends dead after seven attempts, announced once', async () => {
    const f = fakeReceiver(() => 503);
    const result = await run(f.activities, (taskQueue) => env.client.workflow.execute('deliveryWorkflow', { taskQueue, workflowId: `d-${randomUUID()}`, args: [deliveryInput()] }));
    expect(result).toMatchObject({ status: 'dead', attempts: 7 });
    const gaps = f.due.slice(1).map((t, i) => t - f.due[i]);
    gaps.forEach((gap, i) => {
      // ±1 s, or ±2 % for long steps; never early.
      expect(gap).toBeGreaterThanOrEqual(SCHEDULE[i]);
      expect(gap - SCHEDULE[i]).toBeLessThanOrEqual(Math.max(1_000, SCHEDULE[i] * 0.02));
    });
    expect(f.finished).toEqual([expect.objectContaining({ status: 'dead', announce: true })]);
  });

  it('shows an attempt’s error in its details inside one code span, within 200 bytes (a transform’s message is any text)', async () => {
    const hostile = `boom)\n\n[open in the admin UI](https://evil.example/)\n${'订'.repeat(120)}`;
    const activities = {
      async attemptDelivery(input: AttemptInput): Promise<AttemptResult> {
        return { attempt: input.attempt, outcome: 'failure', statusCode: null, durationMs: 0, error: hostile, retryAfterMs: null, logged: true, at: Date.now() };
      },
      async recordAttempt() {},
      async finishDelivery() {
        return { deadLetterEvent: null };
      },
    };
    const details = await run(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start('deliveryWorkflow', { taskQueue, workflowId: `d-${randomUUID()}`, args: [deliveryInput({ retryDelaysMs: [3_600_000] })] });
      // After the first attempt the workflow waits an hour for the second: read its details then.
      for (;;) {
        const meta = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
        if (meta.currentDetails?.includes('last:')) {
          await handle.terminate();
          return meta.currentDetails;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    const last = details.split('\n\n').find((block) => block.startsWith('last:'))!;
    expect(last).toMatch(/^last: failure (`+)(?!`)[^\n]+(?<!`)\1 in 0 ms$/);
    expect(details).not.toMatch(/^\[open/m);
    expect(Buffer.byteLength(last.replace(/^last: failure | in 0 ms$/g, ''), 'utf8')).toBeLessThanOrEqual(200);
  });

  it('continues after a first attempt made by the fan-out, and records nothing for a success', async () => {
    const f = fakeReceiver((n) => (n < 3 ? 500 : 200));
    const first: AttemptResult = { attempt: 1, outcome: 'failure', statusCode: 500, durationMs: 5, error: 'HTTP 500', retryAfterMs: null, logged: true, at: Date.now() };
    const result = await run(f.activities, (taskQueue) => env.client.workflow.execute('deliveryWorkflow', { taskQueue, workflowId: `d-${randomUUID()}`, args: [deliveryInput({ firstAttempt: first })] }));
    expect(result).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(f.due).toHaveLength(2);
    expect(f.finished).toEqual([]);
  });

  it('records a first attempt the fan-out could not log, once, even when it succeeded', async () => {
    const recorded: unknown[] = [];
    const f = fakeReceiver(() => 200);
    const activities = { ...f.activities, recordAttempt: async (input: unknown) => void recorded.push(input) };
    const first: AttemptResult = { attempt: 1, outcome: 'success', statusCode: 200, durationMs: 5, error: null, retryAfterMs: null, logged: false, at: Date.now(), requestBody: '{"a":1}' };
    const input = deliveryInput({ firstAttempt: first });
    const result = await run(activities, (taskQueue) => env.client.workflow.execute('deliveryWorkflow', { taskQueue, workflowId: `d-${randomUUID()}`, args: [input] }));
    expect(result).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(recorded).toEqual([{ deliveryId: input.deliveryId, result: first }]);
    expect(f.due).toHaveLength(0);
  });

  it('waits durably while the worker has no POST slot, without counting an attempt', async () => {
    let asked = 0;
    const attemptsSeen: number[] = [];
    const activities = {
      async attemptDelivery(input: AttemptInput): Promise<AttemptResult | AttemptDeferred> {
        asked++;
        attemptsSeen.push(input.attempt);
        if (asked <= 3) return { deferred: true, reason: 'waiting for a POST slot', retryAt: Date.now() + 1_000 };
        return { attempt: input.attempt, outcome: 'success', statusCode: 200, durationMs: 1, error: null, retryAfterMs: null, logged: true, at: Date.now() };
      },
      async recordAttempt() {},
      async finishDelivery() {
        return { deadLetterEvent: null };
      },
    };
    const result = await run(activities, (taskQueue) => env.client.workflow.execute('deliveryWorkflow', { taskQueue, workflowId: `d-${randomUUID()}`, args: [deliveryInput()] }));
    expect(result).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(attemptsSeen).toEqual([1, 1, 1, 1]);
  });
});

describe('event workflow (time-skipping)', () => {
  it('fans out page by page, continues as new past two pages, and starts a child per delivery with the fast path off', async () => {
    const pages = [0, 1, 2].map((p) => ({ p, next: p < 2 ? `cursor-${p}` : null }));
    const cursors: (string | null)[] = [];
    const f = fakeReceiver(() => 200);
    const activities = {
      ...f.activities,
      async fanOutBatch(input: { cursor: string | null }): Promise<FanOutPage> {
        cursors.push(input.cursor);
        const page = pages[cursors.length - 1];
        return {
          deliveries: [{ deliveryId: `dlv_${page.p}`, subscriberId: `sub_${page.p}`, target: 'example.com', firstAttempt: null }],
          firstAttempts: { succeeded: 0, failed: 0 },
          nextCursor: page.next,
          attemptTimeoutMs: 20_000,
          retryDelaysMs: SCHEDULE,
          adminUrl: null,
        };
      },
    };
    const eventId = `evt_${randomUUID()}`;
    const input: EventWorkflowInput = { eventId, eventType: 'order.created', searchAttributes: false };
    const result = await run(activities, async (taskQueue) => {
      const out = await env.client.workflow.execute('eventWorkflow', { taskQueue, workflowId: `event/${eventId}`, args: [input] });
      // The children were abandoned to run on their own; wait for them here.
      for (const p of [0, 1, 2]) await env.client.workflow.getHandle(`event/${eventId}/sub/sub_${p}`).result();
      return out;
    });
    expect(cursors).toEqual([null, 'cursor-0', 'cursor-1']);
    expect(result).toMatchObject({ deliveries: 3, workflows: 3 });
    expect(f.due).toHaveLength(3);
  });
});
