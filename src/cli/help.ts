import type { Command } from 'commander';
import { createApiClient, type ApiClient } from './api-client';
import { adminToken, globalOptions } from './global-options';

/** Adds an "Examples" section to a command's --help. */
export function withExamples<C extends Command>(command: C, ...examples: string[]): C {
  command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  return command;
}

/** The admin API client for a command, from the global --api and --token. */
export function adminClient(command: Command): ApiClient {
  const options = globalOptions(command);
  return createApiClient(options.api, adminToken(options));
}
