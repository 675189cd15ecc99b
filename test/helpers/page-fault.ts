import { startHarness, type Harness } from './harness';
import { startReceiver, type Receiver } from './receiver';
import { readTestRuntime } from './runtime-file';
import { baseServiceEnv, spawnService, waitForWorker, type ServiceProcess } from './service-process';

// The set-up of the fan-out fault tests (a worker killed or stalled mid-page): a harness without
// a worker of its own, a receiver slow enough (300 ms) that a page's first attempts take a few
// seconds, `subscribers` subscribers of one event, a worker process, and the event dispatched.

export interface PageFault {
  h: Harness;
  receiver: Receiver;
  /** The worker process's environment, to start another like it. */
  env: Record<string, string>;
  worker: ServiceProcess;
  eventId: string;
  /** The subscribers' ids, each with its index (its receiver path is `/<index>`). */
  subscriberIds: Map<string, number>;
}

export async function startPageFault(options: { name: string; subscribers: number; localFanOut: boolean }): Promise<PageFault> {
  const rt = readTestRuntime();
  const h = await startHarness({ WEBHOOK_LOCAL_FANOUT: String(options.localFanOut) }, { worker: false });
  const receiver = await startReceiver(() => ({ status: 200, body: 'ok', delayMs: 300 }));
  const event = `fault.${options.name}.${Date.now()}`;
  const subscriberIds = new Map<string, number>();
  for (let i = 0; i < options.subscribers; i++) {
    const s = await h.runtime.repos.subscribers.create({ url: `${receiver.url}/${i}`, secret: `secret-${i}`, events: [event] });
    subscriberIds.set(s.id, i);
  }
  const env = baseServiceEnv({
    DATABASE_URL: h.database.url,
    TEMPORAL_ADDRESS: rt.temporalAddress,
    TEMPORAL_TASK_QUEUE: h.config.TEMPORAL_TASK_QUEUE,
    WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s',
    WEBHOOK_TIMEOUT: '5',
  });
  const worker = spawnService('worker', env);
  await waitForWorker(h.runtime.client, h.config.TEMPORAL_TASK_QUEUE, worker);
  const dispatched = await h.admin('POST', '/events', { event, data: { [options.name]: true } });
  if (dispatched.status !== 202) throw new Error(`dispatch answered ${dispatched.status}`);
  return { h, receiver, env, worker, eventId: dispatched.json.event_id as string, subscriberIds };
}
