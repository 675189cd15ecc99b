import { Command, CommanderError, Option } from 'commander';
import { CliError } from './cli-error';
import { registerDeliveries } from './commands/deliveries';
import { registerEmit } from './commands/emit';
import { registerEvents } from './commands/events';
import { registerListen } from './commands/listen';
import { registerReceive } from './commands/receive';
import { registerReplay } from './commands/replay';
import { registerSend } from './commands/send';
import { registerSignatures } from './commands/signatures';
import { registerSubscribers } from './commands/subscribers';
import { DEFAULT_API } from './global-options';
import { withExamples } from './help';

// webhookctl: build and debug an integration from the terminal, against a local hookyard.

export function buildProgram(): Command {
  const program = new Command('webhookctl')
    .description('Build and debug webhook integrations against hookyard: send, emit, inspect, replay, sign, verify, receive and listen.')
    .addOption(new Option('--api <url>', 'the hookyard API').env('WEBHOOKCTL_API').default(DEFAULT_API))
    .addOption(new Option('--token <token>', 'the admin token (default: .data/credentials.json in the project folder)').env('WEBHOOKCTL_TOKEN'))
    .addOption(new Option('-o, --output <format>', 'table for people, json for scripts').choices(['table', 'json']).default('table'))
    .showSuggestionAfterError()
    // Commander prints its one-line errors; main sets the exit code (subcommands inherit this).
    .exitOverride();
  registerSend(program);
  registerEmit(program);
  registerSubscribers(program);
  registerDeliveries(program);
  registerEvents(program);
  registerReplay(program);
  registerSignatures(program);
  registerReceive(program);
  registerListen(program);
  return withExamples(
    program,
    'webhookctl receive --secret whsec_... &   # a receiver on :4000',
    'webhookctl send order.created --data \'{"id":1}\'',
    'webhookctl deliveries ls --status dead',
  );
}

async function main(argv: string[]): Promise<void> {
  // `webhookctl … | head` closes stdout early; that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its one line (or the help); keep its exit code.
      process.exitCode = err.exitCode;
      return;
    }
    const message = err instanceof CliError ? err.message : `unexpected error: ${(err as Error)?.message ?? String(err)}`;
    process.stderr.write(`webhookctl: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  }
}

void main(process.argv);
