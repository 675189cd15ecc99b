import { Option, type Command } from 'commander';
import type { SourceVerifier } from '../../db/schema';
import { describeError, networkReason } from '../api-client';
import { CliError } from '../cli-error';
import { globalOptions, inboundSecret } from '../global-options';
import { withExamples } from '../help';
import { integer, jsonValue } from '../input';
import { printJson } from '../output';
import { SEND_FORMATS, buildInbound } from '../provider-formats';

interface SendOptions {
  data?: unknown;
  id?: string;
  format: SourceVerifier;
  source?: string;
  path?: string;
  secret?: string;
  timestamp?: number;
  wait?: number;
}

export function registerSend(program: Command): void {
  const command = program
    .command('send')
    .description("sign an event and POST it to the inbound gateway, in our generic format or a provider's; prints the gateway's answer")
    .argument('<event>', 'the event type, such as order.created (GitHub: the X-GitHub-Event; Meta: object.field)')
    .option('-d, --data <json>', 'the payload: a JSON object or @file.json', jsonValue)
    .option('--id <key>', 'idempotency key (generic id, GitHub delivery, Stripe evt_ id, webhook-id)')
    .addOption(new Option('-f, --format <format>', 'how to build and sign the request').choices(SEND_FORMATS).default('generic'))
    .option('--source <name>', 'the named source to post to (/webhook/inbound/<name>); defaults to the format name for provider formats')
    .option('--path <path>', 'the full inbound path, overriding --source (default /webhook/inbound)')
    .addOption(new Option('--secret <secret>', "the source's secret (default: the project's WEBHOOK_INBOUND_SECRET)").env('WEBHOOKCTL_SECRET'))
    .option('--timestamp <unix>', 'the signed time in Unix seconds (default now)', integer(1))
    .option('--wait <seconds>', 'ask the gateway to wait for the fan-out (Prefer: wait=<seconds>)', integer(1, 300))
    .action(async (event: string, options: SendOptions, cmd: Command) => {
      const { api, output } = globalOptions(cmd);
      const data = options.data;
      if (data !== undefined && (data === null || typeof data !== 'object')) throw new CliError('--data must be a JSON object or array');
      const request = buildInbound(options.format, {
        event,
        data: data as Record<string, unknown> | unknown[] | undefined,
        id: options.id,
        timestampSeconds: options.timestamp ?? Math.floor(Date.now() / 1000),
        secret: inboundSecret(options.secret),
      });
      const source = options.source ?? (options.format === 'generic' ? undefined : options.format);
      const path = options.path ?? (source ? `/webhook/inbound/${encodeURIComponent(source)}` : '/webhook/inbound');
      const url = `${api.replace(/\/+$/, '')}${path}`;
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { ...request.headers, ...(options.wait ? { prefer: `wait=${options.wait}` } : {}) },
          body: request.body,
          signal: AbortSignal.timeout(((options.wait ?? 0) + 30) * 1000),
        });
      } catch (err) {
        throw new CliError(`cannot reach the gateway at ${url}: ${networkReason(err)} (is it running? pass --api or set WEBHOOKCTL_API)`);
      }
      const text = await res.text();
      let answer: unknown = text;
      try {
        answer = JSON.parse(text);
      } catch {
        // Not JSON: print it as text.
      }
      if (!res.ok) throw new CliError(`the gateway refused the event: ${describeError(res.status, answer, text)}`);
      if (output === 'json') printJson({ status: res.status, body: answer });
      else process.stdout.write(`${res.status} ${typeof answer === 'string' ? answer : JSON.stringify(answer, null, 2)}\n`);
    });
  withExamples(
    command,
    'webhookctl send order.created --data \'{"id":42}\'',
    'webhookctl send push --format github --secret "$GITHUB_SECRET" --data @push.json',
    'webhookctl send invoice.paid --format stripe --source stripe --secret whsec_... --data \'{"id":"in_1"}\'',
  );
}
