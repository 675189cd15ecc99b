import { readFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';

// An operator-supplied IP-to-ASN table: TSV lines of range start, range end, ASN.
// Ranges are kept sorted per family and searched by binary search.

interface Range {
  start: bigint;
  end: bigint;
  asn: number;
}

export interface AsnTable {
  lookup(ip: string): number | null;
  size: number;
}

export function ipToBigInt(ip: string): { family: 4 | 6; value: bigint } {
  const addr = ipaddr.process(ip);
  const bytes = addr.toByteArray();
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return { family: addr.kind() === 'ipv4' ? 4 : 6, value };
}

/** Parses the TSV; `#` comments and blank lines are skipped, and a bad line names its number. */
export function parseAsnTable(text: string): AsnTable {
  const families: Record<4 | 6, Range[]> = { 4: [], 6: [] };
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const [from, to, asnField] = trimmed.split(/\t|\s+/);
    const asn = Number(String(asnField ?? '').replace(/^AS/i, ''));
    if (!from || !to || !Number.isInteger(asn) || !ipaddr.isValid(from) || !ipaddr.isValid(to)) {
      throw new Error(`ASN table line ${index + 1} is not "range_start<TAB>range_end<TAB>asn": ${trimmed.slice(0, 80)}`);
    }
    const start = ipToBigInt(from);
    const end = ipToBigInt(to);
    if (start.family !== end.family) throw new Error(`ASN table line ${index + 1} mixes IPv4 and IPv6`);
    families[start.family].push({ start: start.value, end: end.value, asn });
  });
  for (const ranges of Object.values(families)) ranges.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return {
    size: families[4].length + families[6].length,
    lookup(ip) {
      if (!ipaddr.isValid(ip)) return null;
      const { family, value } = ipToBigInt(ip);
      const ranges = families[family];
      let lo = 0;
      let hi = ranges.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (ranges[mid].start <= value) lo = mid + 1;
        else hi = mid - 1;
      }
      const candidate = ranges[hi];
      return candidate && candidate.end >= value ? candidate.asn : null;
    },
  };
}

export function loadAsnTable(path: string): AsnTable {
  return parseAsnTable(readFileSync(path, 'utf8'));
}
