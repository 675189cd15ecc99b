import { Option, type Command } from 'commander';
import { EVENT_STATUS_CHOICES } from '../statuses';
import { globalOptions } from '../global-options';
import { adminClient, withExamples } from '../help';
import { formatFields, formatTable, printJson, type Column } from '../output';
import { addPageOptions, pageQuery, printPage, type Page, type PageOptions } from '../paged-list';

interface EventView {
  id: string;
  event: string;
  source: string;
  status: string;
  received_at: string;
  workflow_id: string;
}

const columns: Column<EventView>[] = [
  { header: 'id', value: (e) => e.id },
  { header: 'event', value: (e) => e.event },
  { header: 'source', value: (e) => e.source },
  { header: 'status', value: (e) => e.status },
  { header: 'received', value: (e) => e.received_at },
];

type Row = Record<string, unknown>;

/** A field of an API record in either spelling (`received_at` or `receivedAt`). */
const field = (row: Row, snake: string): unknown => row[snake] ?? row[snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];

export function registerEvents(program: Command): void {
  const group = program.command('events').description('list events and show one with its deliveries');
  withExamples(group, 'webhookctl events ls --event order.created', 'webhookctl events show <id>');

  withExamples(
    addPageOptions(
      group
        .command('ls')
        .alias('list')
        .description('list events, newest first (without payloads)')
        .option('--event <type>', 'one event type')
        .option('--source <name>', 'one source (api, default, or a named source)')
        .addOption(new Option('--status <status>', 'one status').choices(EVENT_STATUS_CHOICES)),
      'received',
    ).action(async (options: PageOptions & { event?: string; source?: string; status?: string }, cmd: Command) => {
      const page = await adminClient(cmd).get<Page<EventView>>('/events', {
        event: options.event,
        source: options.source,
        status: options.status,
        ...pageQuery(options),
      });
      printPage(cmd, page, columns);
    }),
    'webhookctl events ls --source api --since 1h --output json',
  );

  withExamples(
    group
      .command('show')
      .alias('get')
      .description('show an event: its payload and its deliveries')
      .argument('<id>', 'event id')
      .action(async (id: string, _options: unknown, cmd: Command) => {
        const event = await adminClient(cmd).get<Row & { deliveries?: Row[] }>(`/events/${encodeURIComponent(id)}`);
        if (globalOptions(cmd).output === 'json') return printJson(event);
        const deliveries = Array.isArray(event.deliveries) ? event.deliveries : [];
        const summary = formatFields([
          ['event', field(event, 'id')],
          ['type', field(event, 'type') ?? field(event, 'event')],
          ['source', field(event, 'source')],
          ['status', field(event, 'status')],
          ['received', field(event, 'received_at')],
          ['workflow', field(event, 'workflow_id')],
        ]);
        // An expired payload reads as expired, not as a null one.
        const payload =
          field(event, 'payload_expired') === true ? ' expired (removed by retention or an expunge)' : `\n${JSON.stringify(field(event, 'payload') ?? field(event, 'data') ?? null, null, 2)}`;
        const table = deliveries.length
          ? formatTable(deliveries, [
              { header: 'delivery', value: (d) => field(d, 'id') },
              { header: 'subscriber', value: (d) => field(d, 'subscriber_id') },
              { header: 'status', value: (d) => field(d, 'status') },
              { header: 'attempts', value: (d) => field(d, 'attempts') },
              { header: 'last', value: (d) => field(d, 'last_response_code') ?? field(d, 'last_error') },
            ])
          : '(no deliveries)';
        process.stdout.write(`${summary}\n\npayload:${payload}\n\n${table}\n`);
      }),
    'webhookctl events show <id> --output json',
  );
}
