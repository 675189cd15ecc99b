import { createAddressPolicy, refusalReason } from '../../../src/net/address-policy';

// Every range the SSRF guard refuses, with its first and last address (and, for IPv6, the
// IPv4 address it may carry), so a range that goes missing or shrinks fails here.

const REFUSED: [string, string[]][] = [
  ['0.0.0.0/8 (this network)', ['0.0.0.0', '0.255.255.255']],
  ['10.0.0.0/8', ['10.0.0.0', '10.255.255.255']],
  ['100.64.0.0/10 (CGNAT)', ['100.64.0.0', '100.127.255.255']],
  ['127.0.0.0/8', ['127.0.0.1', '127.255.255.255']],
  ['169.254.0.0/16 (link-local, metadata)', ['169.254.0.0', '169.254.169.254']],
  ['172.16.0.0/12', ['172.16.0.0', '172.31.255.255']],
  ['192.0.0.0/24 (IETF protocol assignments)', ['192.0.0.0', '192.0.0.255']],
  ['192.0.2.0/24 (TEST-NET-1)', ['192.0.2.1']],
  ['192.88.99.0/24 (6to4 relay anycast)', ['192.88.99.1']],
  ['192.168.0.0/16', ['192.168.0.0', '192.168.255.255']],
  ['198.18.0.0/15 (benchmarking)', ['198.18.0.1', '198.19.255.255']],
  ['198.51.100.0/24 (TEST-NET-2)', ['198.51.100.1']],
  ['203.0.113.0/24 (TEST-NET-3)', ['203.0.113.1']],
  ['224.0.0.0/4 (multicast)', ['224.0.0.1', '239.255.255.255']],
  ['240.0.0.0/4 (reserved) and broadcast', ['240.0.0.1', '255.255.255.255']],
  ['100.100.100.200 (Alibaba metadata)', ['100.100.100.200']],
  ['168.63.129.16 (Azure wireserver)', ['168.63.129.16']],
  ['::/128 and ::1/128', ['::', '::1']],
  ['::/96 (IPv4-compatible, deprecated)', ['::127.0.0.1', '::7f00:1', '::a00:1', '::8.8.8.8', '::ffff:ffff']],
  ['::ffff:0:0/96 (IPv4-mapped) of a private address', ['::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:a00:1']],
  ['64:ff9b::/96 (NAT64) of a private address', ['64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe']],
  ['64:ff9b:1::/48 (NAT64 local use), whatever it carries', ['64:ff9b:1::', '64:ff9b:1::808:808', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff', '64:ff9b:1:0:0:0:a00:1']],
  ['100::/64 (discard)', ['100::1']],
  ['2001::/32 (Teredo) of a private address', ['2001:0:4136:e378:8000:63bf:f5ff:fffe']],
  ['2001:db8::/32 (documentation)', ['2001:db8::1']],
  ['2002::/16 (6to4) of a private address', ['2002:a00:1::1', '2002:7f00:1::']],
  ['fc00::/7 (unique local)', ['fc00::1', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']],
  ['fe80::/10 (link-local)', ['fe80::1', 'febf::1']],
  ['fec0::/10 (site-local, deprecated)', ['fec0::1']],
  ['ff00::/8 (multicast)', ['ff02::1']],
];

const ALLOWED = ['8.8.8.8', '1.1.1.1', '168.63.129.15', '168.63.129.17', '100.128.0.1', '2606:4700:4700::1111', '64:ff9b::808:808', '::ffff:8.8.8.8', '2002:808:808::1'];

describe('outbound address policy (SSRF guard)', () => {
  const closed = createAddressPolicy(false, []);

  describe.each(REFUSED)('refuses %s', (_range, addresses) => {
    it.each(addresses)('%s', (addr) => {
      expect(refusalReason(closed, addr)).toEqual(expect.any(String));
    });
  });

  it.each(ALLOWED)('allows the public address %s', (addr) => {
    expect(refusalReason(closed, addr)).toBeNull();
  });

  it('opens up with WEBHOOK_ALLOW_PRIVATE_TARGETS or an allowlist of CIDRs', () => {
    expect(refusalReason(createAddressPolicy(true, []), '127.0.0.1')).toBeNull();
    const list = createAddressPolicy(false, ['10.0.0.0/8', '::1']);
    expect(refusalReason(list, '10.9.9.9')).toBeNull();
    expect(refusalReason(list, '::1')).toBeNull();
    expect(refusalReason(list, '127.0.0.1')).toEqual(expect.any(String));
  });
});
