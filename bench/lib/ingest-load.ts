import { createHmac, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

// Load generator in a process of its own: signed inbound events with unique ids.
// argv: url secret rate(0 = max) seconds connections

const [url, secret, rateArg, secondsArg, connectionsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const body = () => {
  const text = JSON.stringify({ event: 'bench.ingest', timestamp: Math.floor(Date.now() / 1000), id: randomUUID(), data: { sentAt: Date.now() } });
  return { text, sig: `sha256=${createHmac('sha256', secret).update(text).digest('hex')}` };
};

const instance = autocannon(
  {
    url,
    method: 'POST',
    connections: Number(connectionsArg),
    duration: Number(secondsArg),
    ...(rate > 0 ? { overallRate: rate } : {}),
    requests: [
      {
        setupRequest: (req) => {
          const { text, sig } = body();
          return { ...req, body: text, headers: { 'content-type': 'application/json', 'x-signature': sig } };
        },
      },
    ],
  },
  (err, result) => {
    if (err) throw err;
    process.stdout.write(
      JSON.stringify({
        requests: result.requests.total,
        ok: result['2xx'],
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        seconds: result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
        max: result.latency.max,
      }),
    );
  },
);
process.on('SIGINT', () => instance.stop());
