import { useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { useApi } from '../use-api';
import { ErrorBox, StatusBadge } from './states';

export interface ReplayJob {
  id: string;
  status: string;
  total: number | null;
  processed: number;
  replayed: number;
  skipped: number;
}

const RUNNING = new Set(['pending', 'queued', 'running', 'cancelling']);

/** A replay job's progress, refreshed while it runs, with its cancel button. */
export function ReplayJobProgress({ id, onDone }: { id: string; onDone?: () => void }) {
  const job = useApi<ReplayJob>(`/replays/${encodeURIComponent(id)}`, { poll: (j) => RUNNING.has(j.status), pollMs: 1000 });
  const [error, setError] = useState<ApiError | null>(null);
  const [notified, setNotified] = useState(false);
  const j = job.data;
  if (j && !RUNNING.has(j.status) && !notified) {
    setNotified(true);
    onDone?.();
  }
  return (
    <section class="job" aria-label="Replay job" aria-live="polite">
      <ErrorBox error={job.error ?? error} />
      {j && (
        <>
          <p>
            Replay job <span class="wrap">{j.id}</span>: <StatusBadge status={j.status} /> {j.processed} of {j.total ?? '?'} processed, {j.replayed} replayed, {j.skipped} skipped.
          </p>
          <label for={`job-${j.id}`} class="sr-only">
            Replay progress
          </label>
          <progress id={`job-${j.id}`} max={Math.max(j.total ?? 0, 1)} value={j.processed} />
          {RUNNING.has(j.status) && (
            <button
              type="button"
              class="danger"
              onClick={async () => {
                try {
                  await api('POST', `/replays/${encodeURIComponent(j.id)}/cancel`, {});
                  job.reload();
                } catch (e) {
                  setError(e as ApiError);
                }
              }}
            >
              Cancel replay
            </button>
          )}
        </>
      )}
    </section>
  );
}
