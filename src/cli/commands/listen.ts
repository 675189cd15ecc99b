import type { Command } from 'commander';
import { globalOptions } from '../global-options';
import { adminClient, withExamples } from '../help';
import { startMockReceiver } from '../mock-receiver';
import { addReceiverOptions, behaviourFrom, deliveryPrinter, untilStopped, type ReceiverOptions } from './receive';
import type { SubscriberView } from './subscribers';

export function registerListen(program: Command): void {
  const command = addReceiverOptions(
    program
      .command('listen')
      .description('receive events locally: a temporary subscriber pointed at a receive server started here, removed on Ctrl-C')
      .argument('[patterns...]', 'event patterns to subscribe to', ['*'])
      .option('--url <url>', 'the URL the worker should deliver to (default: the receiver\'s own address)')
      .option('--name <name>', "the temporary subscriber's name", 'webhookctl listen'),
    0,
  ).action(async (patterns: string[], options: ReceiverOptions & { url?: string; name: string }, cmd: Command) => {
    const api = adminClient(cmd);
    const behaviour = behaviourFrom(options);
    const receiver = await startMockReceiver({ host: options.host, port: options.port, behaviour, onDelivery: deliveryPrinter(globalOptions(cmd).output) });
    let subscriber: SubscriberView;
    try {
      subscriber = await api.post<SubscriberView>('/subscribers', {
        url: options.url ?? receiver.url,
        events: patterns,
        name: options.name,
        ...(options.secret ? { secret: options.secret } : {}),
      });
    } catch (err) {
      await receiver.close();
      throw err;
    }
    // The subscriber's secret, revealed at creation, verifies what arrives.
    behaviour.secret = subscriber.secret;
    process.stderr.write(`listening for ${patterns.join(', ')} on ${receiver.url} through temporary subscriber ${subscriber.id}; Ctrl-C removes it\n`);
    await untilStopped(receiver, async () => {
      await api.delete(`/subscribers/${encodeURIComponent(subscriber.id)}`);
      process.stderr.write(`removed subscriber ${subscriber.id}\n`);
    });
  });
  withExamples(
    command,
    'webhookctl listen "order.*"',
    'webhookctl listen invoice.paid --fail-first 1 --record invoices.jsonl',
  );
  command.addHelpText('after', '\nThe worker delivers to a loopback address only with WEBHOOK_ALLOW_PRIVATE_TARGETS=true (development).\n');
}
