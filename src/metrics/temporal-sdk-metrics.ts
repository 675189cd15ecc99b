import type { MetricsExporterConfig } from '@temporalio/worker';
import { freePort } from '../temporal/dev-server';

/**
 * Where the Temporal SDK's own worker metrics (`temporal_*`: task slots, poll and
 * schedule-to-start latencies, sticky cache, request failures) are exported. The SDK's Rust core
 * can only export them from an HTTP server of its own, so it listens on a free loopback port and
 * /metrics appends its text: one scrape target per process.
 */
export interface SdkMetricsEndpoint {
  /** `127.0.0.1:<port>`, for the core's exporter. */
  bindAddress: string;
  /** The exporter's `/metrics` URL. */
  url: string;
}

export async function reserveSdkMetricsEndpoint(): Promise<SdkMetricsEndpoint> {
  const port = await freePort('127.0.0.1');
  return { bindAddress: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}/metrics` };
}

/** Prometheus naming conventions (`_total`, seconds, unit suffixes), as Temporal's SDK dashboards expect. */
export function sdkPrometheusExporter(bindAddress: string): MetricsExporterConfig {
  return { prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } };
}

/** Reads the exporter's text; a scrape must not hang on it. */
export function scrapeSdkMetrics(url: string, timeoutMs = 2000): () => Promise<string> {
  return async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`the Temporal SDK metrics exporter answered ${response.status}`);
    return response.text();
  };
}
