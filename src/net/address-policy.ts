import ipaddr from 'ipaddr.js';

// Which IP addresses outbound deliveries may reach. Only globally routable unicast is allowed
// unless an operator opens private targets up, wholesale or by CIDR.

export interface AddressPolicy {
  allowPrivate: boolean;
  allowlist: [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

export function createAddressPolicy(allowPrivate: boolean, allowlist: string[]): AddressPolicy {
  return { allowPrivate, allowlist: allowlist.map((cidr) => parseCidr(cidr)) };
}

export function parseCidr(entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (entry.includes('/')) return ipaddr.parseCIDR(entry);
  const addr = ipaddr.parse(entry);
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
}

const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/** IPv6 blocks refused whole, whatever they carry (ipaddr.js counts them as unicast or decodes them wrongly). */
const EXTRA_V6_BLOCKS: [ipaddr.IPv6, number, string][] = [
  // Deprecated (RFC 4291); ::7f00:1 is ::127.0.0.1 written as URLs normalise it.
  ['::/96', 'the deprecated IPv4-compatible block'],
  // RFC 8215: an operator's own translator, not the well-known /96 prefix: no global meaning.
  ['64:ff9b:1::/48', 'the NAT64 local-use block'],
].map(([cidr, label]) => {
  const [net, bits] = ipaddr.IPv6.parseCIDR(cidr);
  return [net, bits, label];
});

/** The IPv4 address hidden in an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 IPv6 address. */
function embeddedIPv4(addr: ipaddr.IPv6): ipaddr.IPv4 | null {
  if (addr.isIPv4MappedAddress()) return addr.toIPv4Address();
  const range = addr.range();
  const bytes = addr.toByteArray();
  if ((range === 'rfc6052' && addr.match(NAT64_WELL_KNOWN)) || range === 'rfc6145') return new ipaddr.IPv4(bytes.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  if (range === 'teredo') return new ipaddr.IPv4(bytes.slice(12, 16).map((b) => b ^ 0xff));
  return null;
}

/** Why the address is not a public unicast address, or null when it is. */
export function nonGlobalReason(address: string): string | null {
  if (!ipaddr.isValid(address)) return `"${address}" is not an IP address`;
  const addr = ipaddr.process(canonical(address));
  if (addr.kind() === 'ipv6') {
    for (const [net, bits, label] of EXTRA_V6_BLOCKS) {
      if ((addr as ipaddr.IPv6).match(net, bits)) return `${address} is in ${label}`;
    }
    const inner = embeddedIPv4(addr as ipaddr.IPv6);
    if (inner) {
      const reason = nonGlobalReason(inner.toString());
      return reason ? `${reason} (embedded in ${address})` : null;
    }
    const range = addr.range();
    return range === 'unicast' ? null : `${address} is a ${range} address`;
  }
  const range = addr.range();
  if (range !== 'unicast') return `${address} is a ${range} address`;
  // Ranges ipaddr.js counts as unicast that are still not global targets.
  for (const [net, bits, label] of EXTRA_V4_BLOCKS) {
    if ((addr as ipaddr.IPv4).match(net, bits)) return `${address} is in ${label}`;
  }
  return null;
}

const EXTRA_V4_BLOCKS: [ipaddr.IPv4, number, string][] = [
  ['192.0.0.0/24', 'the IETF protocol assignments block'],
  ['192.0.2.0/24', 'TEST-NET-1'],
  ['198.51.100.0/24', 'TEST-NET-2'],
  ['203.0.113.0/24', 'TEST-NET-3'],
  ['198.18.0.0/15', 'the benchmarking block'],
  ['100.100.100.200/32', 'a cloud metadata address'],
  ['168.63.129.16/32', 'a cloud metadata address (Azure)'],
].map(([cidr, label]) => {
  const [net, bits] = ipaddr.IPv4.parseCIDR(cidr);
  return [net, bits, label];
});

/**
 * IPv6 with a dotted IPv4 tail in the hex form URLs and DNS give: ipaddr.js reads any `::a.b.c.d`
 * as IPv4-mapped (`::ffff:a.b.c.d`), which would hide an IPv4-compatible address.
 */
function canonical(address: string): string {
  if (!address.includes(':') || !address.includes('.')) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}

/** Null when the policy lets deliveries reach this address, else the reason it does not. */
export function refusalReason(policy: AddressPolicy, address: string): string | null {
  const reason = nonGlobalReason(address);
  if (!reason || policy.allowPrivate) return null;
  const addr = ipaddr.process(canonical(address));
  for (const [net, bits] of policy.allowlist) {
    if (net.kind() === addr.kind() && addr.match(net, bits)) return null;
  }
  return reason;
}
