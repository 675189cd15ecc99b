import { buildTestGateway, envelope, ASN_SAMPLE, type TestGateway } from '../../helpers/inbound-app';

// The whitelist through HTTP: the address Fastify sees (or a trusted proxy forwards) decides.

describe('inbound gateway: IP whitelist', () => {
  const gateways: TestGateway[] = [];
  afterAll(() => Promise.all(gateways.map((g) => g.close())));

  async function gatewayWith(env: Record<string, string>) {
    const gw = await buildTestGateway({ WEBHOOK_ASN_DB: ASN_SAMPLE, ...env });
    gateways.push(gw);
    let n = 0;
    return async (remoteAddress: string, headers: Record<string, string> = {}) => {
      const res = await gw.send(envelope({ id: `wl-${n++}` }), { remoteAddress, headers });
      return res.status === 200 ? 200 : `${res.status} ${res.json.error}`;
    };
  }

  it('allows everyone when the list is empty', async () => {
    const from = await gatewayWith({});
    expect(await from('198.51.100.1')).toBe(200);
    expect(await from('2001:db8::1')).toBe(200);
  });

  it('matches an exact IPv4 address and nothing next to it', async () => {
    const from = await gatewayWith({ WEBHOOK_IP_WHITELIST: '203.0.113.7' });
    expect(await from('203.0.113.7')).toBe(200);
    expect(await from('::ffff:203.0.113.7')).toBe(200);
    expect(await from('203.0.113.8')).toBe('403 ip_not_whitelisted');
  });

  it('matches an exact IPv6 address in any spelling and nothing next to it', async () => {
    const from = await gatewayWith({ WEBHOOK_IP_WHITELIST: '2001:db8::7' });
    expect(await from('2001:db8::7')).toBe(200);
    expect(await from('2001:0db8:0000:0000:0000:0000:0000:0007')).toBe(200);
    expect(await from('2001:db8::8')).toBe('403 ip_not_whitelisted');
  });

  it('matches an IPv4 CIDR range, and refuses an address just outside it', async () => {
    const from = await gatewayWith({ WEBHOOK_IP_WHITELIST: '198.51.100.0/24' });
    expect(await from('198.51.100.0')).toBe(200);
    expect(await from('198.51.100.255')).toBe(200);
    expect(await from('198.51.101.0')).toBe('403 ip_not_whitelisted');
  });

  it('matches an IPv6 CIDR range, and refuses an address just outside it', async () => {
    const from = await gatewayWith({ WEBHOOK_IP_WHITELIST: '2001:db8:abcd::/48' });
    expect(await from('2001:db8:abcd:12::1')).toBe(200);
    expect(await from('2001:db8:abce::1')).toBe('403 ip_not_whitelisted');
    expect(await from('198.51.100.1')).toBe('403 ip_not_whitelisted');
  });

  it('matches an AS<number> entry through the ASN table, and refuses an address of another ASN', async () => {
    const from = await gatewayWith({ WEBHOOK_IP_WHITELIST: '203.0.113.7,AS36459' });
    expect(await from('140.82.115.4')).toBe(200);
    expect(await from('2606:50c0:8000::153')).toBe(200);
    expect(await from('31.13.64.1')).toBe('403 ip_not_whitelisted');
  });

  it('works with a list of only ASNs, in both families, and refuses addresses the table does not know', async () => {
    const from = await gatewayWith({ WEBHOOK_IP_WHITELIST: 'AS32934' });
    expect(await from('157.240.1.1')).toBe(200);
    expect(await from('2a03:2880:f003:c07:face:b00c::2')).toBe(200);
    expect(await from('140.82.115.4')).toBe('403 ip_not_whitelisted');
    expect(await from('192.0.2.1')).toBe('403 ip_not_whitelisted');
  });

  it('ignores a spoofed X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const from = await gatewayWith({ WEBHOOK_IP_WHITELIST: '203.0.113.7', WEBHOOK_TRUST_PROXY: '10.0.0.1' });
    expect(await from('198.51.100.9', { 'x-forwarded-for': '203.0.113.7' })).toBe('403 ip_not_whitelisted');
    expect(await from('10.0.0.1', { 'x-forwarded-for': '203.0.113.7' })).toBe(200);
    // Behind the trusted proxy, the forwarded client address is what is judged.
    expect(await from('10.0.0.1', { 'x-forwarded-for': '198.51.100.9' })).toBe('403 ip_not_whitelisted');
  });

  it('ignores X-Forwarded-For entirely when no proxy is trusted', async () => {
    const from = await gatewayWith({ WEBHOOK_IP_WHITELIST: '203.0.113.7' });
    expect(await from('198.51.100.9', { 'x-forwarded-for': '203.0.113.7' })).toBe('403 ip_not_whitelisted');
  });

  it('refuses to start with an entry that is not an address, a range or an ASN', async () => {
    await expect(buildTestGateway({ WEBHOOK_IP_WHITELIST: '10.0.0.0/33' })).rejects.toThrow(/10\.0\.0\.0\/33/);
    await expect(buildTestGateway({ WEBHOOK_IP_WHITELIST: 'example.com' })).rejects.toThrow(/example\.com/);
  });

  it('refuses to start with an AS entry and no ASN table', async () => {
    await expect(buildTestGateway({ WEBHOOK_IP_WHITELIST: 'AS36459', WEBHOOK_ASN_DB: '' })).rejects.toThrow(/WEBHOOK_ASN_DB/);
  });
});
