import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../config';

// How the TEMPORAL_TLS_* and TEMPORAL_API_KEY settings become SDK connection options. The client
// (`Connection.connect`) and the worker (`NativeConnection.connect`) both spread this object, so
// the two can never disagree about how to reach the cluster. config.ts has already checked that
// the files are readable PEM and that the settings fit together.

export type TemporalConnectionSettings = Pick<
  Config,
  'TEMPORAL_TLS' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_TLS_CA' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY'
>;

export interface TemporalConnectionOptions {
  /** Absent: plaintext gRPC (a local server). `true`: TLS with the system roots. */
  tls?: TLSConfig | true;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
}

/** The SDK options for reaching the configured Temporal cluster; `{}` for a plaintext server. */
export function temporalConnectionOptions(settings: TemporalConnectionSettings): TemporalConnectionOptions {
  const options: TemporalConnectionOptions = {};
  if (settings.TEMPORAL_API_KEY) options.apiKey = settings.TEMPORAL_API_KEY;
  const tls: TLSConfig = {};
  if (settings.TEMPORAL_TLS_CERT && settings.TEMPORAL_TLS_KEY) {
    tls.clientCertPair = { crt: readFileSync(settings.TEMPORAL_TLS_CERT), key: readFileSync(settings.TEMPORAL_TLS_KEY) };
  }
  if (settings.TEMPORAL_TLS_CA) tls.serverRootCACertificate = readFileSync(settings.TEMPORAL_TLS_CA);
  if (settings.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = settings.TEMPORAL_TLS_SERVER_NAME;
  const customised = Object.keys(tls).length > 0;
  // An API key implies TLS (Temporal Cloud); TEMPORAL_TLS=true asks for it with the system roots.
  if (settings.TEMPORAL_TLS !== false && (customised || settings.TEMPORAL_TLS === true || options.apiKey)) {
    options.tls = customised ? tls : true;
  }
  return options;
}
