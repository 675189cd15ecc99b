import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { EmbeddedCredentials } from '../credentials';
import { CliError } from './cli-error';
import type { OutputFormat } from './output';

/** Where `npm start` listens with the default HOST and PORT. */
export const DEFAULT_API = 'http://127.0.0.1:3000';

export interface GlobalOptions {
  api: string;
  token?: string;
  output: OutputFormat;
}

/** The program-level options as seen from any subcommand. */
export function globalOptions(command: Command): GlobalOptions {
  const { api, token, output } = command.optsWithGlobals<GlobalOptions>();
  return { api, token, output };
}

/** What `npm start` generated into `.data/credentials.json`, when run in the project folder. */
export function projectCredentials(cwd = process.cwd()): Partial<EmbeddedCredentials> {
  try {
    return JSON.parse(readFileSync(path.join(cwd, '.data', 'credentials.json'), 'utf8')) as Partial<EmbeddedCredentials>;
  } catch {
    return {};
  }
}

/** The admin token: --token or WEBHOOKCTL_TOKEN, else the project's generated one. */
export function adminToken(options: GlobalOptions): string {
  const token = options.token ?? projectCredentials().ADMIN_TOKEN;
  if (!token) throw new CliError('no admin token: pass --token, set WEBHOOKCTL_TOKEN, or run in the project folder after `npm start` (.data/credentials.json)');
  return token;
}

/** The inbound gateway's secret: --secret or WEBHOOKCTL_SECRET, else the project's generated one. */
export function inboundSecret(explicit: string | undefined): string {
  const secret = explicit ?? projectCredentials().WEBHOOK_INBOUND_SECRET;
  if (!secret) throw new CliError('no signing secret: pass --secret, set WEBHOOKCTL_SECRET, or run in the project folder after `npm start` (.data/credentials.json)');
  return secret;
}
