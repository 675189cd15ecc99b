import { createServer, type Server } from 'node:http';
import { isStorableText } from '../../../src/domain/storable-text';
import { createAddressPolicy } from '../../../src/net/address-policy';
import { createOutboundClient } from '../../../src/net/outbound-client';

// A receiver's answer is logged as text: bytes PostgreSQL cannot store (NUL) must not make the
// attempt's log row, and so the attempt, fail.

describe('outbound client response text', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(Buffer.from([0x6f, 0x6b, 0x00, 0x21, 0xff, 0xfe])));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns a body the database can store, with NUL bytes replaced', async () => {
    const client = createOutboundClient(createAddressPolicy(true, []), 2);
    try {
      const res = await client.post({ url, body: '{}', headers: { 'content-type': 'application/json' }, timeoutMs: 2_000 });
      expect(res.statusCode).toBe(200);
      expect(isStorableText(res.body)).toBe(true);
      expect(res.body.startsWith('ok\ufffd!')).toBe(true);
    } finally {
      await client.close();
    }
  });
});
