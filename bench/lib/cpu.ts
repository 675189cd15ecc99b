import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

// CPU time per process, from /proc (Linux): what a delivery costs each part of the stack, in
// milliseconds of CPU. Unlike a rate, it hardly moves when other work shares the machine, so it
// says where a figure's limit lies: on a machine whose cores are busy, deliveries/s is at most
// (cores × 1,000) ÷ (CPU ms per delivery, all processes together).

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** User plus system time of one process, and of its waited-for children, in ms; 0 when it is gone. */
function processMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    // Fields after "(comm) ": state is 0, utime 11, stime 12, cutime 13, cstime 14.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Every PostgreSQL process of the server whose data directory is `dir`: the postmaster and its backends. */
function postgresMs(dir: string): number {
  let sum = 0;
  let postmaster: string | null = null;
  const parents = new Map<string, string>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) postmaster = pid;
      parents.set(pid, readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]!);
    } catch {
      // The process ended while it was read.
    }
  }
  for (const [pid, parent] of parents) if (pid === postmaster || parent === postmaster) sum += processMs(Number(pid));
  return sum;
}

export interface CpuSources {
  /** Named processes (the api, the worker, the Temporal server, the receiver). */
  pids: Record<string, number | undefined>;
  /** The data directory of a PostgreSQL server to count too. */
  postgresDir?: string;
  /** Count this process itself under this name (a worker or client running in the bench). */
  self?: string;
}

export type CpuSnapshot = Record<string, number>;

/** CPU ms used so far by each source. */
export function cpuSnapshot(sources: CpuSources): CpuSnapshot {
  const out: CpuSnapshot = {};
  for (const [name, pid] of Object.entries(sources.pids)) out[name] = processMs(pid);
  if (sources.postgresDir) out.postgres = postgresMs(sources.postgresDir);
  if (sources.self) {
    const usage = process.cpuUsage();
    out[sources.self] = (usage.user + usage.system) / 1000;
  }
  return out;
}

/** CPU ms per unit of work between two snapshots, per source and in total. */
export function cpuPer(before: CpuSnapshot, after: CpuSnapshot, units: number): { total: number; split: Record<string, number> } {
  const split: Record<string, number> = {};
  for (const name of Object.keys(after)) split[name] = +((after[name]! - (before[name] ?? 0)) / units).toFixed(2);
  return { total: +Object.values(split).reduce((a, b) => a + b, 0).toFixed(2), split };
}

/** "worker 1.61 · temporal 1.58 · …", largest first: one table cell. */
export function cpuSplitText(split: Record<string, number>): string {
  return Object.entries(split)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
    .join(' · ');
}

/** The most work per second these cores allow at `msPerUnit` of CPU each (every core busy, nothing else running). */
export function cpuBoundPerSecond(msPerUnit: number): number {
  return Math.round((os.cpus().length * 1000) / msPerUnit);
}
