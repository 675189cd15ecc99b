import type { Command } from 'commander';
import { globalOptions } from '../global-options';
import { withExamples } from '../help';
import { durationMs, fraction, integer } from '../input';
import { startMockReceiver, type MockReceiver, type ReceivedDelivery, type ReceiverBehaviour, type ReceiverCounts } from '../mock-receiver';
import type { OutputFormat } from '../output';
import { DEFAULT_TOLERANCE_SECONDS } from '../signature-versions';

export interface ReceiverOptions {
  port: number;
  host: string;
  secret?: string;
  status: number;
  latency: number;
  failRate: number;
  failFirst: number;
  failStatus?: number;
  retryAfter?: number;
  record?: string;
  tolerance: number;
}

/** The options `receive` and `listen` share. */
export function addReceiverOptions(command: Command, defaultPort: number): Command {
  return command
    .option('-p, --port <port>', 'the port to listen on (0: any free port)', integer(0, 65535), defaultPort)
    .option('--host <address>', 'the address to listen on', '127.0.0.1')
    .option('--secret <secret>', "verify each delivery's signatures with the subscriber's secret")
    .option('--status <code>', 'the status to answer', integer(100, 599), 200)
    .option('--latency <duration>', 'wait this long before answering (250ms, 2s)', durationMs, 0)
    .option('--fail-rate <share>', 'answer this share of deliveries (0..1) with --fail-status', fraction, 0)
    .option('--fail-first <n>', 'answer the first N deliveries with --fail-status', integer(0), 0)
    .option('--fail-status <code>', 'the failure status (default 500, or 503 with --retry-after)', integer(100, 599))
    .option('--retry-after <seconds>', 'send Retry-After on every failure answer', integer(0))
    .option('--record <file>', 'append each delivery to this file as a JSON line')
    .option('--tolerance <seconds>', 'how old a v2 signed timestamp may be', integer(0), DEFAULT_TOLERANCE_SECONDS);
}

export function behaviourFrom(options: ReceiverOptions): ReceiverBehaviour {
  return {
    status: options.status,
    latencyMs: options.latency,
    failRate: options.failRate,
    failFirst: options.failFirst,
    failStatus: options.failStatus ?? (options.retryAfter !== undefined ? 503 : 500),
    retryAfter: options.retryAfter,
    secret: options.secret,
    toleranceSeconds: options.tolerance,
    record: options.record,
  };
}

export function countsLine(c: ReceiverCounts): string {
  return `[received ${c.received} | verified ${c.verified} | failed ${c.failed} | rejected ${c.rejected}]`;
}

/** Prints a delivery: a JSON line with --output json, else headers, the pretty body and the verdicts. */
export function deliveryPrinter(format: OutputFormat): (d: ReceivedDelivery, counts: ReceiverCounts) => void {
  return (d, counts) => {
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify({ ...d, counts })}\n`);
      return;
    }
    let body = d.body;
    try {
      body = JSON.stringify(JSON.parse(d.body), null, 2);
    } catch {
      // Not JSON: print it as it came.
    }
    const headers = Object.entries(d.headers).map(([k, v]) => `  ${k}: ${v}`);
    const verdicts = d.verdicts ? d.verdicts.map((v) => `  ${v.ok ? '✓' : '✗'} ${v.version}: ${v.message}`) : ['  (signatures not checked: pass --secret)'];
    process.stdout.write(
      [`── #${d.n} ${d.method} ${d.url} at ${d.at} → answered ${d.status}`, ...headers, '', body, '', ...verdicts, countsLine(counts), ''].join('\n') + '\n',
    );
  };
}

/** Runs until SIGINT or SIGTERM, then runs `cleanup`, prints the counts and exits 0. */
export function untilStopped(receiver: MockReceiver, cleanup: () => Promise<void> = async () => {}): Promise<never> {
  return new Promise<never>(() => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      void (async () => {
        let code = 0;
        try {
          await cleanup();
        } catch (err) {
          process.stderr.write(`webhookctl: ${(err as Error).message}\n`);
          code = 1;
        }
        await receiver.close();
        process.stderr.write(`stopped (${signal}) ${countsLine(receiver.counts)}\n`);
        process.exit(code);
      })();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

export function registerReceive(program: Command): void {
  const command = addReceiverOptions(
    program.command('receive').description('run a mock receiver: prints each delivery, verifies its signatures with --secret, answers as told, keeps counts'),
    4000,
  ).action(async (options: ReceiverOptions, cmd: Command) => {
    const receiver = await startMockReceiver({ host: options.host, port: options.port, behaviour: behaviourFrom(options), onDelivery: deliveryPrinter(globalOptions(cmd).output) });
    process.stderr.write(`receiving on ${receiver.url} (signatures ${options.secret ? 'verified' : 'not checked'}); Ctrl-C stops\n`);
    await untilStopped(receiver);
  });
  withExamples(
    command,
    'webhookctl receive --secret whsec_... --port 4000',
    'webhookctl receive --fail-first 2 --retry-after 5 --record deliveries.jsonl',
    'webhookctl receive --fail-rate 0.3 --latency 800ms --output json',
  );
}
