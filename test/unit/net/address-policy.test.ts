import { createAddressPolicy, refusalReason } from '../../../src/net/address-policy';

describe('outbound address policy (SSRF guard)', () => {
  const closed = createAddressPolicy(false, []);

  it.each([
    '127.0.0.1', '::1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::7f00:1', 'fd00::1', 'fe80::1', '224.0.0.1', '255.255.255.255',
    '192.0.2.1', '198.18.0.1',
  ])('refuses %s', (addr) => {
    expect(refusalReason(closed, addr)).toEqual(expect.any(String));
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '64:ff9b::808:808'])('allows the public address %s', (addr) => {
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
