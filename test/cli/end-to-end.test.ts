import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ADMIN_TOKEN, INBOUND_SECRET, eventually, startHarness, type Harness } from '../helpers/harness';
import { runCli, startCli, type RunningCli } from './cli-process';

// webhookctl as a child process against the real app (listening on loopback) and a worker on
// the real Temporal and PostgreSQL: an integrator's flows from the terminal.

const SUB_SECRET = `whsec_${Buffer.from('cli-end-to-end-subscriber-key-01').toString('base64')}`;

describe('webhookctl against the running app', () => {
  let h: Harness;
  let env: Record<string, string>;
  const running: RunningCli[] = [];

  const receive = async (args: string[]) => {
    const rx = startCli(['receive', '--secret', SUB_SECRET, '--output', 'json', ...args]);
    running.push(rx);
    const [, url, port] = await rx.waitFor(/receiving on (http:\/\/127\.0\.0\.1:(\d+)\/)/);
    return { rx, url, port };
  };
  const cli = async (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { ...env, ...extraEnv });
  const json = async (args: string[]) => {
    const res = await cli([...args, '--output', 'json']);
    if (res.code !== 0) throw new Error(`webhookctl ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
    return JSON.parse(res.stdout);
  };
  const addSubscriber = async (url: string, events: string) => (await json(['subscribers', 'add', '--url', url, '--events', events, '--secret', SUB_SECRET])).id as string;
  /** Waits (in-process, to spare the machine a CLI start per poll) until the filtered delivery list is not empty. */
  const untilDelivery = (query: string) => eventually(async () => (await h.admin('GET', `/deliveries?${query}`)).json.data[0], 30_000, 200);
  /** The JSON lines a `receive --output json` printed. */
  const deliveriesOf = (rx: RunningCli) =>
    rx
      .output()
      .stdout.split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));

  beforeAll(async () => {
    h = await startHarness({}, { temporalUiUrl: 'http://127.0.0.1:8233' });
    const api = await h.app.listen({ port: 0, host: '127.0.0.1' });
    env = { WEBHOOKCTL_API: api, WEBHOOKCTL_TOKEN: ADMIN_TOKEN };
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((rx) => rx.stop('SIGTERM')));
  });
  afterAll(() => h.stop());

  it('send reaches a receive subscriber with both signatures verified, and deliveries ls shows it succeeded', async () => {
    const { rx, url } = await receive(['--port', '0']);
    const subscriberId = await addSubscriber(url, 'order.*');

    const sent = await cli(['send', 'order.created', '--data', '{"id":1}', '--secret', INBOUND_SECRET]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^200 \{\n {2}"status": "received",\n {2}"event": "order.created"/);

    await rx.waitFor(/"verdicts"/);
    const [delivery] = deliveriesOf(rx);
    expect(JSON.parse(delivery.body)).toMatchObject({ event: 'order.created', data: { id: 1 } });
    expect(delivery.verdicts).toEqual([
      { version: 'v1', ok: true, message: 'verified' },
      { version: 'v2', ok: true, message: 'verified' },
    ]);
    expect(delivery.counts).toEqual({ received: 1, verified: 1, failed: 0, rejected: 0 });

    await untilDelivery(`subscriber_id=${subscriberId}&status=succeeded`);
    const list = await json(['deliveries', 'ls', '--subscriber', subscriberId]);
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ event: 'order.created', subscriber_id: subscriberId, attempts: 1, last_response_code: 200 });
  });

  it('send --format signs like the provider, and receive answers, records and counts as told', async () => {
    const record = path.join(mkdtempSync(path.join(tmpdir(), 'webhookctl-record-')), 'deliveries.jsonl');
    const { rx, url } = await receive(['--port', '0', '--fail-first', '1', '--retry-after', '1', '--latency', '50ms', '--record', record]);
    await addSubscriber(url, 'push');
    const source = await h.admin('POST', '/sources', { name: 'gh', verifier: 'github', secrets: ['github-webhook-secret-0123'] });
    expect(source.status).toBe(201);

    const sent = await cli(['send', 'push', '--format', 'github', '--source', 'gh', '--secret', 'github-webhook-secret-0123', '--data', '{"ref":"refs/heads/main"}', '--output', 'json']);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ status: 200, body: { status: 'received', event: 'push' } });
    const wrong = await cli(['send', 'push', '--format', 'github', '--source', 'gh', '--secret', 'not-the-github-secret', '--data', '{}']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^webhookctl: the gateway refused the event: 401 invalid_signature: X-Hub-Signature-256 does not match the body/);

    await rx.waitFor(/"n":2/);
    const lines = readFileSync(record, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((d) => d.status)).toEqual([503, 200]);
    expect(lines.map((d) => d.headers['x-webhook-attempt'])).toEqual(['1', '2']);
    expect(JSON.parse(lines[1].body)).toMatchObject({ event: 'push', data: { ref: 'refs/heads/main' } });
    expect(deliveriesOf(rx)[1].counts).toEqual({ received: 2, verified: 2, failed: 0, rejected: 1 });
  });

  it('replays a dead letter once the receiver is healthy, with progress up to 100 %', async () => {
    const sick = await receive(['--port', '0', '--fail-rate', '1']);
    const subscriberId = await addSubscriber(sick.url, 'invoice.*');
    const since = new Date(Date.now() - 1000).toISOString();

    expect((await cli(['send', 'invoice.failed', '--data', '{"id":2}', '--secret', INBOUND_SECRET])).code).toBe(0);
    await untilDelivery(`subscriber_id=${subscriberId}&status=dead`);
    const [dead] = (await json(['deliveries', 'ls', '--subscriber', subscriberId, '--status', 'dead'])).data;
    expect(dead.attempts).toBe(7);
    expect(deliveriesOf(sick.rx).every((d) => d.status === 500)).toBe(true);

    await sick.rx.stop('SIGINT');
    const healthy = await receive(['--port', sick.port]);

    const dry = await cli(['replay', '--subscriber', subscriberId, '--since', since, '--dry-run']);
    expect(dry).toMatchObject({ code: 0, stdout: '1 delivery would be replayed\n' });
    expect(await json(['replay', dead.id, '--dry-run'])).toEqual({ matched: 1, dry_run: true });
    const refused = await cli(['replay', '--subscriber', subscriberId, '--since', since]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('webhookctl: replaying 1 delivery needs confirmation: pass --yes (stdin is not a terminal)\n');

    const replay = await cli(['replay', '--subscriber', subscriberId, '--since', since, '--yes']);
    expect(replay.stderr).toMatch(/^replay [0-9a-f-]{36}: 1\/1 \(100%\)$/m);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/completed: 1 replayed, 0 skipped of 1/);

    await healthy.rx.waitFor(/"verdicts"/);
    expect(deliveriesOf(healthy.rx)[0]).toMatchObject({ status: 200, counts: { received: 1, verified: 1 } });
    await untilDelivery(`subscriber_id=${subscriberId}&status=succeeded`);
    const [replayed] = (await json(['deliveries', 'ls', '--subscriber', subscriberId, '--status', 'succeeded'])).data;
    expect(replayed.replay_of).toBe(dead.id);
  });

  it('subscribers enable --replay-held re-enables a disabled subscriber and delivers what was held, with progress', async () => {
    const { rx, url } = await receive(['--port', '0']);
    const subscriberId = (await json(['subscribers', 'add', '--url', url, '--events', 'parcel.*', '--secret', SUB_SECRET, '--inactive'])).id as string;
    expect((await cli(['send', 'parcel.lost', '--data', '{"id":3}', '--secret', INBOUND_SECRET])).code).toBe(0);
    const held = await untilDelivery(`subscriber_id=${subscriberId}&status=held`);
    expect((await json(['deliveries', 'ls', '--subscriber', subscriberId, '--status', 'held'])).data[0].id).toBe(held.id);

    const enabled = await cli(['subscribers', 'enable', subscriberId, '--replay-held']);
    expect(enabled.stderr).toMatch(/^replay [0-9a-f-]{36}: 1\/1 \(100%\)$/m);
    expect(enabled.code).toBe(0);
    expect(enabled.stdout).toMatch(/completed: 1 replayed, 0 skipped of 1/);
    await rx.waitFor(/"verdicts"/);
    expect(deliveriesOf(rx)).toHaveLength(1);
    expect((await h.admin('GET', `/subscribers/${subscriberId}`)).json.active).toBe(true);
  });

  it('emit --ordering-key dispatches a keyed event (issue 19)', async () => {
    const emitted = await cli(['emit', 'ledger.posted', '--data', '{"n":1}', '--ordering-key', 'account-7', '--output', 'json']);
    expect(emitted.stderr).toBe('');
    expect(emitted.code).toBe(0);
    const { event_id } = JSON.parse(emitted.stdout) as { event_id: string };
    expect((await h.admin('GET', `/events/${event_id}`)).json).toMatchObject({ ordering_key: 'account-7' });
  });

  it('listen receives an emitted event and removes its subscriber on SIGINT; emit --wait prints the outcome', async () => {
    const listen = startCli(['listen', 'shipment.*', '--output', 'json'], env);
    running.push(listen);
    const [, subscriberId] = await listen.waitFor(/temporary subscriber ([0-9a-f-]{36});/);
    expect((await h.admin('GET', `/subscribers/${subscriberId}`)).json).toMatchObject({ name: 'webhookctl listen', events: ['shipment.*'] });

    const emitted = await cli(['emit', 'shipment.sent', '--data', '{"id":3}', '--wait', '--timeout', '60s']);
    expect(emitted.stderr).toBe('');
    expect(emitted.code).toBe(0);
    expect(emitted.stdout).toMatch(new RegExp(`^succeeded subscriber ${subscriberId} after 1 attempt \\(last: 200\\)`, 'm'));

    await listen.waitFor(/shipment\.sent/);
    expect(deliveriesOf(listen)[0]).toMatchObject({ verdicts: [{ version: 'v1', ok: true }, { version: 'v2', ok: true }] });

    const stopped = await listen.stop('SIGINT');
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toMatch(`removed subscriber ${subscriberId}`);
    expect((await h.admin('GET', '/subscribers')).json.data.filter((s: { id: string }) => s.id === subscriberId)).toEqual([]);
    expect((await h.admin('GET', `/subscribers/${subscriberId}`)).status).toBe(404);
  });

  it('manages a subscriber and inspects its events and deliveries', async () => {
    const { rx, url } = await receive(['--port', '0']);
    const subscriberId = await addSubscriber(url, 'audit.*');
    const rotated = await json(['subscribers', 'rotate', subscriberId, '--grace', '60']);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(SUB_SECRET);
    const shown = await cli(['subscribers', 'show', subscriberId]);
    expect(shown.stdout).toMatch(new RegExp(`^id +${subscriberId}\n(.*\n)*events +audit\.\*\n(.*\n)*secret +.{0,4}…\n`));
    // The v1a public key, for receivers that verify without a secret (issue 19).
    const { public_key: publicKey } = (await h.admin('GET', `/subscribers/${subscriberId}`)).json;
    expect(publicKey).toMatch(/^whpk_/);
    expect(shown.stdout).toMatch(new RegExp(`^public key +${publicKey.replace(/[+/]/g, '\\$&')}$`, 'm'));

    const test = await json(['subscribers', 'test', subscriberId, '--event', 'audit.test']);
    await rx.waitFor(/audit\.test/);
    // The receiver holds the old secret, which still signs during the grace period.
    expect(deliveriesOf(rx)[0].verdicts).toEqual([expect.objectContaining({ version: 'v1', ok: true }), expect.objectContaining({ version: 'v2', ok: true })]);
    await untilDelivery(`event_id=${test.event_id}&status=succeeded`);
    const delivery = await json(['deliveries', 'show', test.delivery_id]);
    expect(delivery.attempts).toEqual([expect.objectContaining({ attempt: 1, outcome: 'success', response_code: 200 })]);
    const timeline = await cli(['deliveries', 'show', test.delivery_id]);
    expect(timeline.stdout).toMatch(/^status +succeeded$/m);
    // Settled at its first attempt, it has no workflow of its own: the link is its event workflow's.
    expect(timeline.stdout).toMatch(new RegExp(`^temporal +http://127\\.0\\.0\\.1:8233/namespaces/default/workflows/${encodeURIComponent(`event/${test.event_id}`)}$`, 'm'));
    expect(timeline.stdout).toMatch(/^# +AT +OUTCOME +CODE +TOOK/m);
    expect(timeline.stdout).toMatch(/^1 +\S+ +success +200 +\d+ ms/m);

    const events = await json(['events', 'ls', '--event', 'audit.test']);
    expect(events.data).toEqual([expect.objectContaining({ id: test.event_id, event: 'audit.test' })]);
    const event = await cli(['events', 'show', test.event_id]);
    expect(event.stdout).toMatch(new RegExp(`^type +audit\.test$(.*\n)*payload:\n\{\n  "test": true\n\}(.*\n)*${test.delivery_id} +${subscriberId} +succeeded +1 +200`, 'm'));

    expect(await cli(['subscribers', 'rm', subscriberId])).toMatchObject({ code: 0, stdout: `deleted subscriber ${subscriberId}\n` });
    expect((await json(['subscribers', 'ls'])).data.map((s: { id: string }) => s.id)).not.toContain(subscriberId);
  });

  it('events show says a payload expired (retention or an expunge) instead of printing null', async () => {
    const dispatched = await h.admin('POST', '/events', { event: 'privacy.request', data: { email: 'someone@example.com' } });
    expect(dispatched.status).toBe(202);
    const eventId = dispatched.json.event_id as string;
    expect((await h.admin('DELETE', `/events/${eventId}/payload`)).status).toBe(200);
    const shown = await cli(['events', 'show', eventId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^payload: expired \(removed by retention or an expunge\)$/m);
    expect(shown.stdout).not.toMatch(/someone@example\.com|^null$/m);
  });

  it('exits non-zero with one line for a refused token, an unreachable API and an unknown delivery', async () => {
    const refused = await cli(['subscribers', 'ls', '--token', 'not-the-admin-token']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(`webhookctl: the API at ${env.WEBHOOKCTL_API} refused the admin token (401); pass --token or set WEBHOOKCTL_TOKEN\n`);

    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const unreachable = await cli(['deliveries', 'ls', '--api', `http://127.0.0.1:${closedPort}`]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(new RegExp(`^webhookctl: cannot reach the API at http://127.0.0.1:${closedPort}: ECONNREFUSED .*\\n$`));

    const missing = await cli(['deliveries', 'show', 'no-such-delivery']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('webhookctl: GET /deliveries/no-such-delivery failed: 404 not_found: delivery no-such-delivery was not found\n');
  });
});
