import { createServer } from 'node:http';

// A fast loopback receiver in a process of its own: `node --import tsx bench/lib/receiver.ts <port> <mode>`.
// mode `ok` answers 204, `fail` answers 500, `flaky` fails each delivery's first attempt. GET /__stats returns counts and latencies
// (receipt time minus data.sentAt, which the load generator stamps), POST /__reset clears them.

const port = Number(process.argv[2] ?? 0);
let mode = process.argv[3] ?? 'ok';
let count = 0;
let latencies: number[] = [];
const deliveries = new Map<string, number>();
const attemptsAt = new Map<string, number[]>();
let last = 0;

const server = createServer((req, res) => {
  if (req.url === '/__stats') {
    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
    let duplicates = 0;
    for (const n of deliveries.values()) duplicates += n - 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ count, unique: deliveries.size, duplicates, last, p50: pct(50), p99: pct(99), max: sorted.at(-1) ?? null, attempts: Object.fromEntries(attemptsAt) }));
    return;
  }
  if (req.url?.startsWith('/__reset')) {
    mode = new URL(req.url, 'http://x').searchParams.get('mode') ?? mode;
    count = 0;
    latencies = [];
    deliveries.clear();
    attemptsAt.clear();
    res.end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    last = now;
    count++;
    const id = String(req.headers['x-webhook-delivery'] ?? '');
    deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
    if (mode === 'fail') {
      const list = attemptsAt.get(id) ?? [];
      list.push(now);
      attemptsAt.set(id, list);
    }
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const sentAt = body?.data?.sentAt;
      if (typeof sentAt === 'number' && Number(req.headers['x-webhook-attempt']) === 1) latencies.push(now - sentAt);
    } catch {
      /* not ours */
    }
    // `flaky`: the first attempt of each delivery fails, the next succeeds.
    res.statusCode = mode === 'fail' || (mode === 'flaky' && deliveries.get(id) === 1) ? 500 : 204;
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as { port: number }).port });
});
