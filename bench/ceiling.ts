import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Stack } from './lib/stack';
import { cpuPer, cpuSnapshot, cpuSplitText } from './lib/cpu';
import { table } from './lib/stats';

// The ceiling of the Temporal dev server here: bare workflows per second, and children per
// second for a parent that starts many. Every other figure reads against these.

/** Runs `op` `count` times with `inFlight` at once; resolves with the seconds it took. */
async function timed(count: number, inFlight: number, op: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        next++;
        await op();
      }
    }),
  );
  return (Date.now() - started) / 1000;
}

export async function benchCeiling(stack: Stack, count = 1000) {
  const taskQueue = `ceiling-${randomUUID().slice(0, 8)}`;
  const nativeConnection = await NativeConnection.connect({ address: stack.temporal.address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: path.join(__dirname, 'lib/ceiling-workflows.ts'),
    maxConcurrentWorkflowTaskExecutions: 200,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  const rows = [];
  try {
    // Starts alone, to a task queue no worker polls: the most a gateway in `start` mode could acknowledge.
    const startSeconds = await timed(count, 64, () => client.workflow.start('bareWorkflow', { taskQueue: `${taskQueue}-unpolled`, workflowId: `start-only-${randomUUID()}` }));
    rows.push({ workload: `${count} workflow starts, no worker (64 in flight)`, seconds: +startSeconds.toFixed(1), workflows_per_s: Math.round(count / startSeconds) });

    // Bare workflows, started and awaited with 50 in flight. Their CPU: the Temporal server, and
    // this process, which runs their worker and client.
    const cpuSources = { pids: { temporal: stack.temporal.process.pid }, self: 'worker' };
    const cpuBefore = cpuSnapshot(cpuSources);
    const bareSeconds = await timed(count, 50, () => client.workflow.execute('bareWorkflow', { taskQueue, workflowId: `bare-${randomUUID()}` }));
    const cpu = cpuPer(cpuBefore, cpuSnapshot(cpuSources), count);
    rows.push({ workload: `${count} bare workflows (start → complete)`, seconds: +bareSeconds.toFixed(1), workflows_per_s: Math.round(count / bareSeconds), cpu_ms_per_workflow: cpu.total, cpu_split_ms: cpuSplitText(cpu.split) });

    const t0 = Date.now();
    const parentId = `parent-${randomUUID()}`;
    await client.workflow.execute('parentWorkflow', { taskQueue, workflowId: parentId, args: [count] });
    // Children are abandoned: wait until they have all completed.
    for (;;) {
      const { count: done } = await client.workflow.count(`WorkflowId STARTS_WITH "${parentId}/child/" AND ExecutionStatus = "Completed"`);
      if (done >= count) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const parentSeconds = (Date.now() - t0) / 1000;
    rows.push({ workload: `1 parent starting ${count} children`, seconds: +parentSeconds.toFixed(1), workflows_per_s: Math.round(count / parentSeconds) });
  } finally {
    worker.shutdown();
    await running;
    await nativeConnection.close();
    await connection.close();
  }
  table('Temporal dev server ceiling on this machine', rows);
  return rows;
}
