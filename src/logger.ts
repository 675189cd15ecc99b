import pino, { type Logger } from 'pino';

/** Structured JSON logs; every line about a delivery carries its event, delivery and workflow ids. */
export function createLogger(level: string, name = 'hookyard'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
