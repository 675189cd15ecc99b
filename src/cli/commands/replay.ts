import { createInterface } from 'node:readline/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Option, type Command } from 'commander';
import type { ApiClient } from '../api-client';
import { CliError } from '../cli-error';
import { globalOptions } from '../global-options';
import { adminClient, withExamples } from '../help';
import { pointInTime } from '../input';
import { printJson } from '../output';
import { createProgress } from '../progress';

/** A bulk replay job of the admin API (POST /admin/api/replays). */
export interface ReplayJob {
  id: string;
  status: string;
  total: number;
  processed: number;
  replayed: number;
  skipped: number;
  error?: string | null;
}

interface ReplayOptions {
  subscriber?: string;
  event?: string;
  status: string;
  since?: Date;
  until?: Date;
  dryRun?: boolean;
  yes?: boolean;
}

const POLL_MS = 500;

export function registerReplay(program: Command): void {
  const command = program
    .command('replay')
    .description('replay deliveries by id, or every one matching a filter (dead ones by default), as a job with progress')
    .argument('[ids...]', 'delivery ids to replay')
    .option('--subscriber <id>', "one subscriber's deliveries")
    .option('--event <type>', 'one event type')
    .addOption(new Option('--status <status>', 'which deliveries to replay').choices(['dead', 'failed']).default('dead'))
    .option('--since <time>', 'created at or after: ISO date, Unix seconds, or a duration ago (2h)', pointInTime)
    .option('--until <time>', 'created before', pointInTime)
    .option('--dry-run', 'only count what would be replayed')
    .option('-y, --yes', 'skip the confirmation')
    .action(async (ids: string[], options: ReplayOptions, cmd: Command) => {
      const { output } = globalOptions(cmd);
      const filtered = Boolean(options.subscriber || options.event || options.since || options.until);
      if (ids.length && filtered) throw new CliError('pass delivery ids or a filter (--subscriber, --event, --since, --until), not both');
      if (!ids.length && !filtered) throw new CliError('name what to replay: delivery ids, or a filter such as --subscriber <id> --since 2h');
      const selection = ids.length
        ? { ids }
        : {
            filter: {
              subscriber_id: options.subscriber,
              event: options.event,
              status: options.status,
              from: options.since?.toISOString(),
              to: options.until?.toISOString(),
            },
          };
      const api = adminClient(cmd);
      const { matched } = await api.post<{ matched: number }>('/replays', { ...selection, dry_run: true });
      if (options.dryRun || matched === 0) {
        if (output === 'json') printJson({ matched, dry_run: Boolean(options.dryRun) });
        else process.stdout.write(matched === 0 ? 'nothing to replay: no delivery matches\n' : `${matched} deliver${matched === 1 ? 'y' : 'ies'} would be replayed\n`);
        return;
      }
      if (!options.yes) await confirm(matched);
      const job = await runJob(api, await api.post<ReplayJob>('/replays', selection));
      if (output === 'json') printJson(job);
      else process.stdout.write(`replay ${job.id} ${job.status}: ${job.replayed} replayed, ${job.skipped} skipped of ${job.total}\n`);
      if (job.status !== 'completed') throw new CliError(`replay ${job.id} ended ${job.status}${job.error ? `: ${job.error}` : ''}`);
    });
  withExamples(
    command,
    'webhookctl replay <delivery-id> <delivery-id>',
    'webhookctl replay --subscriber <id> --since 24h --dry-run',
    'webhookctl replay --subscriber <id> --since 2026-01-31T00:00:00Z --until 2026-02-01T00:00:00Z --yes',
  );
}

async function confirm(matched: number): Promise<void> {
  const what = `${matched} deliver${matched === 1 ? 'y' : 'ies'}`;
  if (!process.stdin.isTTY) throw new CliError(`replaying ${what} needs confirmation: pass --yes (stdin is not a terminal)`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`Replay ${what}? [y/N] `);
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('replay not confirmed; nothing was replayed');
}

/** Follows a job to its end, with a progress bar on a terminal and percentage lines otherwise. */
export async function runJob(api: ApiClient, started: ReplayJob): Promise<ReplayJob> {
  const progress = createProgress(`replay ${started.id}`);
  let job = started;
  try {
    for (;;) {
      progress.update(job.processed, job.total);
      if (job.status !== 'running' && job.status !== 'pending') return job;
      await sleep(POLL_MS);
      job = await api.get<ReplayJob>(`/replays/${encodeURIComponent(job.id)}`);
    }
  } finally {
    progress.stop();
  }
}
