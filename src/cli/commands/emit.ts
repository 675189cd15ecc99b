import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { globalOptions } from '../global-options';
import { adminClient, withExamples } from '../help';
import { durationMs, jsonValue } from '../input';
import { printJson } from '../output';
import type { Page } from '../paged-list';
import type { DeliveryView } from './deliveries';

const FINAL = new Set(['succeeded', 'failed', 'dead', 'cancelled', 'held']);
const POLL_MS = 500;

interface EmitOptions {
  data?: unknown;
  agentId?: string;
  id?: string;
  orderingKey?: string;
  wait?: boolean;
  timeout: number;
}

export function registerEmit(program: Command): void {
  const command = program
    .command('emit')
    .description('dispatch an outbound event through the admin API; --wait follows it until every delivery has finished')
    .argument('<event>', 'the event type, such as order.created')
    .option('-d, --data <json>', 'the payload: a JSON object or array, or @file.json', jsonValue)
    .option('--agent-id <id>', 'the X-Agent-ID of the deliveries')
    .option('--id <key>', 'idempotency key: a repeat is answered "duplicate"')
    .option('--ordering-key <key>', 'deliver in order with the other events of this key, to subscribers with ordered_delivery')
    .option('-w, --wait', 'follow the deliveries and print each outcome; exits 1 unless all succeed')
    .option('--timeout <duration>', 'how long --wait follows (retries can take 40 minutes on the default schedule)', durationMs, 10 * 60_000)
    .action(async (event: string, options: EmitOptions, cmd: Command) => {
      const { output } = globalOptions(cmd);
      if (options.data !== undefined && (options.data === null || typeof options.data !== 'object')) throw new CliError('--data must be a JSON object or array');
      const api = adminClient(cmd);
      const sent = await api.post<{ status: string; event_id: string; workflow_id: string }>('/events', {
        event,
        data: options.data,
        agent_id: options.agentId,
        id: options.id,
        ordering_key: options.orderingKey,
      });
      if (!options.wait) {
        if (output === 'json') printJson(sent);
        else process.stdout.write(`event ${sent.event_id} ${sent.status} (workflow ${sent.workflow_id})\n`);
        return;
      }
      if (output === 'table') process.stdout.write(`event ${sent.event_id} ${sent.status}; following its deliveries…\n`);
      const deliveries = await follow(api, sent.event_id, options.timeout, (d) => {
        if (output === 'table') process.stdout.write(`${outcomeLine(d)}\n`);
      });
      if (output === 'json') printJson({ ...sent, deliveries });
      else if (deliveries.length === 0) process.stdout.write('no subscriber matched the event\n');
      const bad = deliveries.filter((d) => d.status !== 'succeeded');
      if (bad.length) throw new CliError(`${bad.length} of ${deliveries.length} deliveries did not succeed (${bad.map((d) => d.status).join(', ')})`);
    });
  withExamples(command, 'webhookctl emit order.created --data \'{"id":42}\'', 'webhookctl emit order.updated --data \'{"id":42}\' --ordering-key order-42', 'webhookctl emit invoice.paid --data @invoice.json --wait --timeout 2m');
}

function outcomeLine(d: DeliveryView): string {
  const last = d.last_response_code ?? d.last_error ?? 'no answer';
  return `${d.status.padEnd(9)} subscriber ${d.subscriber_id} after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'} (last: ${last}) delivery ${d.id}`;
}

/** Polls the event until its fan-out is done and every delivery is final, reporting each as it ends. */
async function follow(api: ReturnType<typeof adminClient>, eventId: string, timeoutMs: number, onFinal: (d: DeliveryView) => void): Promise<DeliveryView[]> {
  const deadline = Date.now() + timeoutMs;
  const reported = new Set<string>();
  for (;;) {
    const event = await api.get<{ status: string }>(`/events/${encodeURIComponent(eventId)}`);
    const deliveries: DeliveryView[] = [];
    for (let cursor: string | undefined, page: Page<DeliveryView> | undefined; !page || cursor; ) {
      page = await api.get<Page<DeliveryView>>('/deliveries', { event_id: eventId, limit: 500, cursor });
      deliveries.push(...page.data);
      cursor = page.next_cursor ?? undefined;
    }
    for (const d of deliveries) {
      if (FINAL.has(d.status) && !reported.has(d.id)) {
        reported.add(d.id);
        onFinal(d);
      }
    }
    if (event.status === 'processed' && deliveries.every((d) => FINAL.has(d.status))) return deliveries;
    if (Date.now() > deadline) {
      const pending = deliveries.filter((d) => !FINAL.has(d.status)).length;
      throw new CliError(`gave up after --timeout: the event is ${event.status} and ${pending} of ${deliveries.length} deliveries are still pending`);
    }
    await sleep(POLL_MS);
  }
}
