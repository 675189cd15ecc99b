import { Option, type Command } from 'commander';
import { DELIVERY_STATUS_CHOICES } from '../statuses';
import { globalOptions } from '../global-options';
import { adminClient, withExamples } from '../help';
import { formatFields, formatTable, printJson, type Column } from '../output';
import { addPageOptions, pageQuery, printPage, type Page, type PageOptions } from '../paged-list';

export interface DeliveryView {
  id: string;
  event_id: string;
  event: string;
  subscriber_id: string;
  status: string;
  attempts: number;
  last_response_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  replay_of: string | null;
  workflow_id: string;
  temporal_url: string | null;
  /** Null while the delivery has no workflow of its own (settled at its first attempt, in its event workflow). */
  workflow_started_at?: string | null;
  event_workflow_id?: string;
  event_temporal_url?: string | null;
  created_at: string;
  completed_at: string | null;
}

interface AttemptView {
  attempt: number;
  outcome: string;
  response_code: number | null;
  duration_ms: number | null;
  error: string | null;
  next_retry_at: string | null;
  created_at: string;
}

export const deliveryColumns: Column<DeliveryView>[] = [
  { header: 'id', value: (d) => d.id },
  { header: 'status', value: (d) => d.status },
  { header: 'event', value: (d) => d.event },
  { header: 'subscriber', value: (d) => d.subscriber_id },
  { header: 'attempts', value: (d) => d.attempts },
  { header: 'last', value: (d) => d.last_response_code ?? d.last_error },
  { header: 'created', value: (d) => d.created_at },
];

const attemptColumns: Column<AttemptView>[] = [
  { header: '#', value: (a) => a.attempt },
  { header: 'at', value: (a) => a.created_at },
  { header: 'outcome', value: (a) => a.outcome },
  { header: 'code', value: (a) => a.response_code },
  { header: 'took', value: (a) => (a.duration_ms === null ? null : `${a.duration_ms} ms`) },
  { header: 'next retry', value: (a) => a.next_retry_at },
  { header: 'error', value: (a) => a.error },
];

interface ListOptions extends PageOptions {
  subscriber?: string;
  eventId?: string;
  event?: string;
  status?: string;
}

export function registerDeliveries(program: Command): void {
  const group = program.command('deliveries').description('list deliveries and show one with its attempts');
  withExamples(group, 'webhookctl deliveries ls --status dead', 'webhookctl deliveries show <id>');

  withExamples(
    addPageOptions(
      group
        .command('ls')
        .alias('list')
        .description("list deliveries, newest first, with the API's filters")
        .option('--subscriber <id>', 'one subscriber')
        .option('--event-id <id>', 'one event')
        .option('--event <type>', 'one event type')
        .addOption(new Option('--status <status>', 'one status').choices(DELIVERY_STATUS_CHOICES)),
      'created',
    ).action(async (options: ListOptions, cmd: Command) => {
      const page = await adminClient(cmd).get<Page<DeliveryView>>('/deliveries', {
        subscriber_id: options.subscriber,
        event_id: options.eventId,
        event: options.event,
        status: options.status,
        ...pageQuery(options),
      });
      printPage(cmd, page, deliveryColumns);
    }),
    'webhookctl deliveries ls --subscriber <id> --status dead --since 2h',
    'webhookctl deliveries ls --event order.created --output json',
  );

  withExamples(
    group
      .command('show')
      .alias('get')
      .description('show a delivery: its attempts timeline and its Temporal UI link')
      .argument('<id>', 'delivery id')
      .action(async (id: string, _options: unknown, cmd: Command) => {
        const d = await adminClient(cmd).get<DeliveryView & { attempts: AttemptView[]; attempt_count?: number; live?: unknown }>(`/deliveries/${encodeURIComponent(id)}`);
        if (globalOptions(cmd).output === 'json') return printJson(d);
        const attempts = Array.isArray(d.attempts) ? d.attempts : [];
        // A delivery settled at its first attempt ran in its event workflow: that is the one to open.
        const ownWorkflow = d.workflow_started_at !== null || !d.event_workflow_id;
        process.stdout.write(
          `${formatFields([
            ['delivery', d.id],
            ['status', d.status],
            ['event', `${d.event} (${d.event_id})`],
            ['subscriber', d.subscriber_id],
            ['replay of', d.replay_of],
            ['next attempt', d.next_attempt_at],
            ['workflow', ownWorkflow ? d.workflow_id : `${d.event_workflow_id} (its event's: the delivery has no workflow of its own)`],
            ['temporal', ownWorkflow ? d.temporal_url : (d.event_temporal_url ?? null)],
          ])}\n\n${attempts.length ? formatTable(attempts, attemptColumns) : '(no attempts yet)'}\n`,
        );
      }),
    'webhookctl deliveries show <id>',
  );
}
