import { randomBytes } from 'node:crypto';
import { Option, type Command } from 'commander';
import { CliError } from '../cli-error';
import { globalOptions } from '../global-options';
import { withExamples } from '../help';
import { collect, integer, jsonObject, readBody } from '../input';
import { printJson } from '../output';
import {
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_VERSIONS,
  VERSION_NAMES,
  normalizeHeaders,
  signAll,
  verifyAll,
  type HeaderMap,
  type SignatureVersion,
} from '../signature-versions';

/** `both` (the default, as subscribers get) or one version. */
function versionsNamed(name: string): SignatureVersion[] {
  return name === 'both' ? [SIGNATURE_VERSIONS.v1, SIGNATURE_VERSIONS.v2] : [SIGNATURE_VERSIONS[name]];
}

/** Headers from `--header "Name: value"` lines and `--headers` (a JSON object, or @file of JSON or of `Name: value` lines). */
function headersFrom(lines: string[], json?: Record<string, unknown>): HeaderMap {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(json ?? {})) if (typeof value === 'string' || typeof value === 'number') headers[name] = String(value);
  for (const line of lines) {
    const at = line.indexOf(':');
    if (at <= 0) throw new CliError(`--header "${line}": use "Name: value"`);
    headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return normalizeHeaders(headers);
}

export function registerSignatures(program: Command): void {
  withExamples(
    program
      .command('sign')
      .description('sign a body offline, as hookyard signs deliveries (v1 X-Agent-Signature, v2 Standard Webhooks); prints the headers')
      .requiredOption('--secret <secret>', "the subscriber's secret")
      .addOption(new Option('--version <version>', 'which signature').choices([...VERSION_NAMES, 'both']).default('both'))
      .option('--body <text>', 'the body (default: --file, else stdin)')
      .option('--file <path>', 'read the body from a file')
      .option('--id <id>', 'the webhook-id (v2; default: a new msg_ id)')
      .option('--timestamp <unix>', 'the signed time in Unix seconds (v2; default now)', integer(1))
      .action((options: { secret: string; version: string; body?: string; file?: string; id?: string; timestamp?: number }, cmd: Command) => {
        const headers = signAll(versionsNamed(options.version), {
          id: options.id ?? `msg_${randomBytes(12).toString('hex')}`,
          timestampSeconds: options.timestamp ?? Math.floor(Date.now() / 1000),
          body: readBody(options),
          secret: options.secret,
        });
        if (globalOptions(cmd).output === 'json') printJson(headers);
        else process.stdout.write(Object.entries(headers).map(([k, v]) => `${k}: ${v}\n`).join(''));
      }),
    'webhookctl sign --secret whsec_... --body \'{"event":"order.created"}\'',
    'webhookctl sign --secret whsec_... --version v1 --file body.json --output json',
  );

  withExamples(
    program
      .command('verify')
      .description('verify a request offline, as a receiver saw it; names the failed check: wrong secret, stale timestamp or changed body')
      .requiredOption('--secret <secret>', "the subscriber's secret")
      .option('-H, --header <line>', 'a received header, "Name: value" (repeatable)', collect, [])
      .option('--headers <json>', 'received headers as a JSON object or @file.json (such as a receive --record line\'s headers)', jsonObject)
      .option('--body <text>', 'the body exactly as received (default: --file, else stdin)')
      .option('--file <path>', 'read the body from a file')
      .addOption(new Option('--version <version>', 'check only this version (default: every one present)').choices(VERSION_NAMES))
      .option('--tolerance <seconds>', 'how old a signed timestamp may be', integer(0), DEFAULT_TOLERANCE_SECONDS)
      .action(
        (options: { secret: string; header: string[]; headers?: Record<string, unknown>; body?: string; file?: string; version?: string; tolerance: number }, cmd: Command) => {
          const headers = headersFrom(options.header, options.headers);
          const verdicts = verifyAll(headers, readBody(options), options.secret, {
            nowSeconds: Math.floor(Date.now() / 1000),
            toleranceSeconds: options.tolerance,
          }, options.version ? [SIGNATURE_VERSIONS[options.version]] : undefined);
          if (globalOptions(cmd).output === 'json') printJson({ ok: verdicts.every((v) => v.ok), verdicts });
          else for (const v of verdicts.filter((v) => v.ok)) process.stdout.write(`${v.version}: ${v.message}\n`);
          const failed = verdicts.filter((v) => !v.ok);
          if (failed.length) throw new CliError(failed.map((v) => `${v.version}: ${v.message}`).join('; '));
        },
      ),
    'webhookctl verify --secret whsec_... -H "x-agent-signature: sha256=…" --file body.json',
    'webhookctl verify --secret whsec_... -H "webhook-id: msg_1" -H "webhook-timestamp: 1767225600" -H "webhook-signature: v1,…" --body \'{"a":1}\'',
  );
}
