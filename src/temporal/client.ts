import { Client, Connection } from '@temporalio/client';
import type { TemporalConnectionOptions } from './connection-options';

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** TLS and API key, from `temporalConnectionOptions(config)`; none for a plaintext server. */
  connection?: TemporalConnectionOptions;
}

/** Connects a client, retrying for `waitMs` while the server comes up. */
export async function connectClient(target: TemporalTarget, waitMs = 30_000): Promise<Client> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ ...target.connection, address: target.address, connectTimeout: 5_000 });
      // A listening port is not a ready namespace.
      await connection.workflowService.describeNamespace({ namespace: target.namespace });
      return new Client({ connection, namespace: target.namespace });
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`cannot reach Temporal at ${target.address}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The Temporal Web UI link for a workflow, when the UI's address is known. */
export function workflowUrl(uiUrl: string | undefined | null, namespace: string, workflowId: string): string | null {
  if (!uiUrl) return null;
  return `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
