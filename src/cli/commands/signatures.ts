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
  type SigningKeys,
} from '../signature-versions';
import { isSigningKey } from '../../domain/signature';

/** The combinations a subscriber's `signature_version` names, as its deliveries carry them. */
const COMBINED: Record<string, string[]> = { both: ['v1', 'v2'], 'v2+v1a': ['v2', 'v1a'], all: ['v1', 'v2', 'v1a'] };
const SIGN_CHOICES = [...VERSION_NAMES, ...Object.keys(COMBINED)];

/** One version or a combination; without one, `both` (as subscribers get), or v1a when only a signing key is given. */
function versionsNamed(name: string | undefined, keys: SigningKeys): SignatureVersion[] {
  const chosen = name ?? (keys.signingKey && !keys.secret ? 'v1a' : 'both');
  return (COMBINED[chosen] ?? [chosen]).map((v) => SIGNATURE_VERSIONS[v]);
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
      .description('sign a body offline, as hookyard signs deliveries (v1 X-Agent-Signature, v2 Standard Webhooks HMAC, v1a Standard Webhooks ed25519); prints the headers')
      .option('--secret <secret>', "the subscriber's secret (v1, v2)")
      .option('--signing-key <whsk_key>', "the subscriber's whsk_ ed25519 signing key (v1a)")
      .addOption(new Option('--version <version>', 'which signature (default: both, or v1a when only --signing-key is given)').choices(SIGN_CHOICES))
      .option('--body <text>', 'the body (default: --file, else stdin)')
      .option('--file <path>', 'read the body from a file')
      .option('--id <id>', 'the webhook-id (v2, v1a; default: a new msg_ id)')
      .option('--timestamp <unix>', 'the signed time in Unix seconds (v2, v1a; default now)', integer(1))
      .action((options: { secret?: string; signingKey?: string; version?: string; body?: string; file?: string; id?: string; timestamp?: number }, cmd: Command) => {
        const keys = { secret: options.secret, signingKey: options.signingKey };
        if (!keys.secret && !keys.signingKey) throw new CliError('give --secret (v1, v2) or --signing-key (v1a)');
        if (keys.signingKey && !isSigningKey(keys.signingKey)) throw new CliError('--signing-key must be whsk_ followed by base64 of a 32-byte ed25519 seed');
        const headers = signAll(versionsNamed(options.version, keys), {
          id: options.id ?? `msg_${randomBytes(12).toString('hex')}`,
          timestampSeconds: options.timestamp ?? Math.floor(Date.now() / 1000),
          body: readBody(options),
          keys,
        });
        if (globalOptions(cmd).output === 'json') printJson(headers);
        else process.stdout.write(Object.entries(headers).map(([k, v]) => `${k}: ${v}\n`).join(''));
      }),
    'webhookctl sign --secret whsec_... --body \'{"event":"order.created"}\'',
    'webhookctl sign --secret whsec_... --version v1 --file body.json --output json',
    'webhookctl sign --signing-key whsk_... --version v1a --file body.json',
  );

  withExamples(
    program
      .command('verify')
      .description('verify a request offline, as a receiver saw it; names the failed check: wrong secret or key, stale timestamp or changed body')
      .option('--secret <secret>', "the subscriber's secret (v1, v2)")
      .option('--public-key <whpk_key>', "the subscriber's whpk_ public key (v1a; shown by `webhookctl subscribers show`)")
      .option('-H, --header <line>', 'a received header, "Name: value" (repeatable)', collect, [])
      .option('--headers <json>', 'received headers as a JSON object or @file.json (such as a receive --record line\'s headers)', jsonObject)
      .option('--body <text>', 'the body exactly as received (default: --file, else stdin)')
      .option('--file <path>', 'read the body from a file')
      .addOption(new Option('--version <version>', 'check only this version (default: every one present)').choices(VERSION_NAMES))
      .option('--tolerance <seconds>', 'how old a signed timestamp may be', integer(0), DEFAULT_TOLERANCE_SECONDS)
      .action(
        (options: { secret?: string; publicKey?: string; header: string[]; headers?: Record<string, unknown>; body?: string; file?: string; version?: string; tolerance: number }, cmd: Command) => {
          if (!options.secret && !options.publicKey) throw new CliError('give --secret (v1, v2) or --public-key (v1a)');
          if (options.publicKey && !/^wh(pk|sk)_[A-Za-z0-9+/]+={0,2}$/.test(options.publicKey)) throw new CliError('--public-key must be whpk_ followed by base64 of a 32-byte ed25519 public key');
          const headers = headersFrom(options.header, options.headers);
          const verdicts = verifyAll(headers, readBody(options), { secret: options.secret, publicKey: options.publicKey }, {
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
    'webhookctl verify --public-key whpk_... -H "webhook-id: msg_1" -H "webhook-timestamp: 1767225600" -H "webhook-signature: v1a,…" --file body.json',
  );
}
