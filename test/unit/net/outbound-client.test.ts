import { createServer, type Server } from 'node:http';
import { createAddressPolicy } from '../../../src/net/address-policy';
import { createOutboundClient } from '../../../src/net/outbound-client';

// WEBHOOK_TIMEOUT bounds a whole attempt. The receiver-chaos fault test showed dripped bodies
// read to the end once a garbage collection had taken the weakly held AbortSignal.timeout().

describe('outbound client timeout', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // Answers at once, then drips ten bytes, one every 150 ms: each gap is inside the timeout, the whole is not.
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-length': '10' });
        let sent = 0;
        const timer = setInterval(() => {
          if (res.destroyed) return clearInterval(timer);
          res.write('.');
          if (++sent === 10) {
            clearInterval(timer);
            res.end();
          }
        }, 150);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('bounds the whole attempt, the body included, with or without the caller\'s own signal', async () => {
    const client = createOutboundClient(createAddressPolicy(true, []), 4);
    try {
      const started = Date.now();
      const outcomes = await Promise.all(
        [0, 1, 2, 3].map((i) =>
          client
            .post({ url, body: '{}', headers: { 'content-type': 'application/json' }, timeoutMs: 500, signal: i % 2 ? new AbortController().signal : undefined })
            .then(
              (res) => `answered ${res.body}`,
              (err: Error) => err.name,
            ),
        ),
      );
      expect(outcomes).toEqual(['TimeoutError', 'TimeoutError', 'TimeoutError', 'TimeoutError']);
      expect(Date.now() - started).toBeLessThan(1_400);
    } finally {
      await client.close();
    }
  });
});
