import { Option, type Command } from 'commander';
import { CliError } from '../cli-error';
import { globalOptions } from '../global-options';
import { adminClient, withExamples } from '../help';
import { collect, integer, jsonObject } from '../input';
import { formatFields, printJson, printList, type Column } from '../output';
import { runJob, type ReplayJob } from './replay';

export interface SubscriberView {
  id: string;
  name: string | null;
  url: string;
  events: string[];
  active: boolean;
  signature_version: string;
  secret: string;
  disabled_reason: string | null;
  [key: string]: unknown;
}

const columns: Column<SubscriberView>[] = [
  { header: 'id', value: (s) => s.id },
  { header: 'active', value: (s) => (s.active ? 'yes' : `no${s.disabled_reason ? ` (${s.disabled_reason})` : ''}`) },
  { header: 'events', value: (s) => s.events },
  { header: 'url', value: (s) => s.url },
  { header: 'name', value: (s) => s.name },
];

function printSubscriber(command: Command, s: SubscriberView, note?: string): void {
  if (globalOptions(command).output === 'json') return printJson(s);
  const fields: [string, unknown][] = [
    ['id', s.id],
    ['name', s.name],
    ['url', s.url],
    ['events', s.events],
    ['active', s.active],
    ['signature', s.signature_version],
    ['secret', s.secret],
  ];
  if (s.disabled_reason) fields.push(['disabled', s.disabled_reason]);
  process.stdout.write(`${formatFields(fields)}\n${note ? `${note}\n` : ''}`);
}

/** `name=value` header options into a record. */
function headerRecord(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`--header ${pair}: use name=value`);
    out[pair.slice(0, at).trim()] = pair.slice(at + 1);
  }
  return out;
}

export function registerSubscribers(program: Command): void {
  const group = program.command('subscribers').alias('subs').description('list, add, show, remove, rotate and test subscribers');
  withExamples(group, 'webhookctl subscribers ls', 'webhookctl subscribers add --url https://example.com/hook --events "order.*"');

  withExamples(
    group
      .command('ls')
      .alias('list')
      .description('list subscribers (secrets masked)')
      .addOption(new Option('--active <bool>', 'only active or inactive ones').choices(['true', 'false']))
      .option('--event <name>', 'only those subscribed to this event')
      .action(async (options: { active?: string; event?: string }, cmd: Command) => {
        const page = await adminClient(cmd).get<{ data: SubscriberView[] }>('/subscribers', options);
        printList(globalOptions(cmd).output, page.data, columns, page);
      }),
    'webhookctl subscribers ls --active true --output json',
  );

  withExamples(
    group
      .command('add')
      .description('create a subscriber; its secret is shown once')
      .requiredOption('--url <url>', 'where deliveries are POSTed')
      .requiredOption('-e, --events <patterns...>', 'event patterns: names, prefix wildcards such as order.*, or *')
      .option('--name <name>', 'a name for people')
      .option('--description <text>', 'what it is for')
      .option('--secret <secret>', 'the signing secret (default: a generated whsec_ secret)')
      .addOption(new Option('--signature <version>', 'which signatures it gets').choices(['v1', 'v2', 'both']))
      .option('--header <name=value>', 'an extra header on every delivery (repeatable)', collect, [])
      .option('--inactive', 'create it deactivated')
      .action(async (options: { url: string; events: string[]; name?: string; description?: string; secret?: string; signature?: string; header: string[]; inactive?: boolean }, cmd: Command) => {
        const created = await adminClient(cmd).post<SubscriberView>('/subscribers', {
          url: options.url,
          events: options.events.flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean),
          name: options.name,
          description: options.description,
          secret: options.secret,
          signature_version: options.signature,
          headers: options.header.length ? headerRecord(options.header) : undefined,
          active: options.inactive ? false : undefined,
        });
        printSubscriber(cmd, created, 'The secret is shown only now: keep it for your receiver.');
      }),
    'webhookctl subscribers add --url http://127.0.0.1:4000/hook --events "order.*" "invoice.paid" --name shop',
  );

  withExamples(
    group
      .command('show')
      .alias('get')
      .description('show one subscriber')
      .argument('<id>', 'subscriber id')
      .action(async (id: string, _options: unknown, cmd: Command) => {
        printSubscriber(cmd, await adminClient(cmd).get<SubscriberView>(`/subscribers/${encodeURIComponent(id)}`));
      }),
    'webhookctl subscribers show 0b6f…',
  );

  withExamples(
    group
      .command('rm')
      .alias('remove')
      .description('delete a subscriber')
      .argument('<id>', 'subscriber id')
      .action(async (id: string, _options: unknown, cmd: Command) => {
        await adminClient(cmd).delete(`/subscribers/${encodeURIComponent(id)}`);
        if (globalOptions(cmd).output === 'json') printJson({ deleted: id });
        else process.stdout.write(`deleted subscriber ${id}\n`);
      }),
    'webhookctl subscribers rm 0b6f…',
  );

  withExamples(
    group
      .command('rotate')
      .description('rotate the signing secret; the old one keeps signing for the grace period')
      .argument('<id>', 'subscriber id')
      .option('--secret <secret>', 'the new secret (default: generated)')
      .option('--grace <seconds>', 'how long the old secret keeps signing (default: WEBHOOK_SECRET_GRACE)', integer(0, 30 * 86400))
      .action(async (id: string, options: { secret?: string; grace?: number }, cmd: Command) => {
        const rotated = await adminClient(cmd).post<SubscriberView>(`/subscribers/${encodeURIComponent(id)}/rotate-secret`, {
          secret: options.secret,
          grace_seconds: options.grace,
        });
        printSubscriber(cmd, rotated, 'The new secret is shown only now.');
      }),
    'webhookctl subscribers rotate 0b6f… --grace 3600',
  );

  withExamples(
    group
      .command('test')
      .description('send a test event to one subscriber')
      .argument('<id>', 'subscriber id')
      .option('--event <name>', 'the event type', 'webhook.test')
      .option('-d, --data <json>', 'the payload: a JSON object or @file.json', jsonObject)
      .action(async (id: string, options: { event: string; data?: Record<string, unknown> }, cmd: Command) => {
        const sent = await adminClient(cmd).post<{ delivery_id: string; event_id: string }>(`/subscribers/${encodeURIComponent(id)}/test`, { event: options.event, data: options.data });
        if (globalOptions(cmd).output === 'json') printJson(sent);
        else process.stdout.write(`test delivery ${sent.delivery_id} started (event ${sent.event_id}); follow it: webhookctl deliveries show ${sent.delivery_id}\n`);
      }),
    'webhookctl subscribers test 0b6f… --event order.created --data \'{"id":1}\'',
  );

  withExamples(
    group
      .command('enable')
      .description('re-enable a disabled subscriber (its circuit closes); with --replay-held, replay what was held for it as a job with progress')
      .argument('<id>', 'subscriber id')
      .option('--replay-held', 'replay every delivery held while it was disabled')
      .action(async (id: string, options: { replayHeld?: boolean }, cmd: Command) => {
        const api = adminClient(cmd);
        const res = await api.post<{ subscriber: SubscriberView; replay_job: ReplayJob | null }>(`/subscribers/${encodeURIComponent(id)}/enable`, { replay_held: Boolean(options.replayHeld) });
        const job = res.replay_job && (await runJob(api, res.replay_job));
        if (globalOptions(cmd).output === 'json') printJson({ subscriber: res.subscriber, replay_job: job });
        else printSubscriber(cmd, res.subscriber, job ? `replay ${job.id} ${job.status}: ${job.replayed} replayed, ${job.skipped} skipped of ${job.total}` : undefined);
        if (job && job.status !== 'completed') throw new CliError(`replay ${job.id} ended ${job.status}${job.error ? `: ${job.error}` : ''}`);
      }),
    'webhookctl subscribers enable 0b6f… --replay-held',
  );
}
