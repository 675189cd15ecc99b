import ipaddr from 'ipaddr.js';
import type { AsnTable } from './asn-table';
import { parseCidr } from '../net/address-policy';

/** Thrown when a whitelist entry is neither an address, a CIDR range nor `AS<number>`. */
export class InvalidWhitelistEntryError extends Error {
  constructor(readonly entry: string) {
    super(`"${entry}" is not an IP address, a CIDR range or an AS<number> entry`);
  }
}

export interface IpWhitelist {
  /** True when the list is empty or the address matches an entry. */
  allows(ip: string): boolean;
  readonly empty: boolean;
}

/** Builds a whitelist of addresses, CIDR ranges and `AS<number>` entries (resolved through asnTable). */
export function createIpWhitelist(entries: string[], asnTable: AsnTable | null): IpWhitelist {
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  const asns = new Set<number>();
  for (const raw of entries.map((e) => e.trim()).filter(Boolean)) {
    const asn = /^AS(\d+)$/i.exec(raw);
    if (asn) {
      if (!asnTable) throw new Error(`whitelist entry ${raw} needs an ASN table (WEBHOOK_ASN_DB)`);
      asns.add(Number(asn[1]));
      continue;
    }
    try {
      ranges.push(parseCidr(raw));
    } catch {
      throw new InvalidWhitelistEntryError(raw);
    }
  }
  const empty = ranges.length === 0 && asns.size === 0;
  return {
    empty,
    allows(ip) {
      if (empty) return true;
      if (!ipaddr.isValid(ip)) return false;
      const addr = ipaddr.process(ip);
      for (const [net, bits] of ranges) {
        if (net.kind() === addr.kind() && addr.match(net, bits)) return true;
      }
      if (asns.size && asnTable) {
        const asn = asnTable.lookup(addr.toString());
        if (asn !== null && asns.has(asn)) return true;
      }
      return false;
    },
  };
}
