import type * as CliProgress from 'cli-progress';

/** Progress of a long operation: a bar on a terminal, otherwise a line each time the percentage moves. */
export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    // Loaded only for a terminal, to keep the CLI's start fast.
    const { Presets, SingleBar } = require('cli-progress') as typeof CliProgress;
    const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total}`, stream, hideCursor: true }, Presets.shades_classic);
    let started = false;
    return {
      update(done, total) {
        if (!started) bar.start(total, done);
        else bar.setTotal(total);
        started = true;
        bar.update(done);
      },
      stop: () => bar.stop(),
    };
  }
  let last = -1;
  return {
    update(done, total) {
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      if (percent === last) return;
      last = percent;
      stream.write(`${label}: ${done}/${total} (${percent}%)\n`);
    },
    stop() {},
  };
}
