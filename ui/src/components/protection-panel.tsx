import { useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { when } from '../format';
import { ReplayJobProgress, type ReplayJob } from './replay-job';
import { ErrorBox, Loading } from './states';

/** GET /subscribers/:id/protection (src/routes/admin-protection.ts). */
interface Protection {
  state: 'normal' | 'paused' | 'circuit_open' | 'disabled';
  health: 'healthy' | 'degraded' | 'open' | 'disabled';
  disabled_reason: string | null;
  max_in_flight: number;
  effective_max_in_flight: number;
  rate_limit: { per_second: number; burst: number } | null;
  /** The rate in force, below rate_limit while overload lowers it. */
  effective_rate_per_second: number | null;
  in_flight: number;
  paused_until: string | null;
  pause_reason: string | null;
  circuit: { state: string; opened_at: string | null; next_probe_at: string | null; probe_failures: number; first_failure_at: string | null; last_error: string | null };
  backlog: { pending: number; held: number };
}

const BADGE: Record<Protection['state'], [string, string]> = {
  normal: ['normal', 's-healthy'],
  paused: ['paused', 's-pending'],
  circuit_open: ['circuit open', 's-failed'],
  disabled: ['disabled', 's-dead'],
};

/**
 * The endpoint-protection badge of one subscriber: its state (circuit, pause, disabled), its
 * effective concurrency and rate, and its held backlog; a disabled subscriber offers to be
 * re-enabled with its held deliveries replayed, in one action.
 */
export function ProtectionPanel({ id, onEnabled }: { id: string; onEnabled?: () => void }) {
  const [p, setP] = useState<Protection | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [job, setJob] = useState<ReplayJob | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `/subscribers/${encodeURIComponent(id)}/protection`;
  const load = () =>
    api<Protection>('GET', path).then(setP, (e: ApiError) => setError(e));
  if (!p && !error) {
    void load();
    return <Loading what="Loading its protection" />;
  }
  if (!p) return <ErrorBox error={error} retry={() => void load()} />;
  const [label, cls] = BADGE[p.state];
  const enable = async (replay: boolean) => {
    setBusy(true);
    try {
      const res = await api<{ replay_job: ReplayJob | null }>('POST', `/subscribers/${encodeURIComponent(id)}/enable`, { replay_held: replay });
      setJob(res.replay_job);
      await load();
      onEnabled?.();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div aria-label="Endpoint protection">
      <ErrorBox error={error} />
      <p>
        <span class={`badge ${cls}`} title={p.disabled_reason ?? p.pause_reason ?? p.circuit.last_error ?? ''}>
          {label}
        </span>{' '}
        {p.health === 'degraded' && <span class="badge s-pending">degraded</span>}
      </p>
      <dl class="facts">
        <dt>Concurrency</dt>
        <dd>
          {p.effective_max_in_flight} of {p.max_in_flight} POSTs at once ({p.in_flight} in flight)
        </dd>
        <dt>Rate limit</dt>
        <dd>
          {p.rate_limit ? `${p.rate_limit.per_second}/s, burst ${p.rate_limit.burst}` : 'none'}
          {p.rate_limit && p.effective_rate_per_second !== null && p.effective_rate_per_second < p.rate_limit.per_second
            ? ` (lowered to ${Number(p.effective_rate_per_second.toFixed(2))}/s by overload)`
            : ''}
        </dd>
        <dt>Backlog</dt>
        <dd>
          {p.backlog.pending} waiting, {p.backlog.held} held
        </dd>
        {p.circuit.state !== 'closed' && (
          <>
            <dt>Circuit</dt>
            <dd class="wrap">
              open since {when(p.circuit.opened_at)}; next probe {when(p.circuit.next_probe_at)} ({p.circuit.probe_failures} failed probes)
            </dd>
          </>
        )}
        {p.paused_until && (
          <>
            <dt>Paused until</dt>
            <dd class="wrap">
              {when(p.paused_until)}: {p.pause_reason}
            </dd>
          </>
        )}
        {p.circuit.last_error && (
          <>
            <dt>Last error</dt>
            <dd class="wrap">{p.circuit.last_error}</dd>
          </>
        )}
      </dl>
      {p.state === 'disabled' && (
        <p>
          <button type="button" disabled={busy} onClick={() => void enable(true)}>
            Enable and replay {p.backlog.held} held
          </button>{' '}
          <button type="button" class="link" disabled={busy} onClick={() => void enable(false)}>
            Enable without replay
          </button>
        </p>
      )}
      {job && <ReplayJobProgress id={job.id} onDone={() => void load()} />}
    </div>
  );
}
