import { percent, when } from '../format';
import type { Subscriber } from '../types';
import { useApi } from '../use-api';
import { ErrorBox, Loading } from './states';

/** Below this recent success rate an endpoint is "failing"; below 1, "degraded". */
const FAILING_BELOW = 0.5;

/** Healthy, degraded, failing, idle or disabled, from the list's 24-hour summary. */
export function HealthBadge({ sub }: { sub: Subscriber }) {
  if (!sub.active) {
    return (
      <span class="badge s-dead" title={sub.disabled_reason ?? ''}>
        disabled{sub.disabled_reason ? `: ${sub.disabled_reason}` : ''}
      </span>
    );
  }
  const h = sub.health;
  if (h?.circuit && h.circuit !== 'closed') {
    return (
      <span class="badge s-failed" title="Deliveries are held; only probes are sent until one succeeds">
        circuit open
      </span>
    );
  }
  const lowered = h?.effective_max_in_flight != null ? ` · ${h.effective_max_in_flight} at once` : '';
  if (!h || h.attempts === 0 || h.success_rate === null) return <span class="badge">idle{lowered}</span>;
  const [label, cls] = h.success_rate >= 1 ? ['healthy', 's-succeeded'] : h.success_rate >= FAILING_BELOW ? ['degraded', 's-pending'] : ['failing', 's-failed'];
  return (
    <span class={`badge ${cls}`} title={`${h.attempts} attempts in ${h.hours} h`}>
      {label} {percent(h.success_rate)}
      {lowered}
    </span>
  );
}

interface Health {
  window: { hours: number };
  attempts: number;
  success_rate: number | null;
  consecutive_failures: number;
  last_success_at: string | null;
  last_failure: { at: string; outcome: string; response_code: number | null; error: string | null } | null;
  disabled_reason: string | null;
}

/** The endpoint's health in full: GET /subscribers/:id/health. */
export function HealthPanel({ id }: { id: string }) {
  const h = useApi<Health>(`/subscribers/${encodeURIComponent(id)}/health`);
  if (h.error) return <ErrorBox error={h.error} retry={h.reload} />;
  if (!h.data) return <Loading what="Loading its health" />;
  const x = h.data;
  return (
    <dl class="facts">
      <dt>Success rate ({x.window.hours} h)</dt>
      <dd>
        {percent(x.success_rate)} of {x.attempts} attempts
      </dd>
      <dt>Failures in a row</dt>
      <dd>{x.consecutive_failures}</dd>
      <dt>Last success</dt>
      <dd>{when(x.last_success_at)}</dd>
      <dt>Last failure</dt>
      <dd class="wrap">{x.last_failure ? `${when(x.last_failure.at)}: ${x.last_failure.outcome}${x.last_failure.response_code ? ` ${x.last_failure.response_code}` : ''}${x.last_failure.error ? `, ${x.last_failure.error}` : ''}` : '—'}</dd>
      {x.disabled_reason && (
        <>
          <dt>Disabled because</dt>
          <dd class="wrap">{x.disabled_reason}</dd>
        </>
      )}
    </dl>
  );
}
