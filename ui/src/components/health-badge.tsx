import { percent, when } from '../format';
import { useApi } from '../use-api';
import type { Subscriber } from '../types';

interface Health {
  success_rate?: number | null;
  consecutive_failures?: number;
  last_failure_at?: string | null;
  disabled_reason?: string | null;
}

/** Healthy, failing or disabled, from GET /subscribers/:id/health; the details are in its title and text. */
export function HealthBadge({ sub }: { sub: Subscriber }) {
  const h = useApi<Health>(`/subscribers/${encodeURIComponent(sub.id)}/health`);
  if (!sub.active) {
    return (
      <span class="badge s-dead" title={sub.disabled_reason ?? ''}>
        disabled{sub.disabled_reason ? `: ${sub.disabled_reason}` : ''}
      </span>
    );
  }
  if (h.error) return <span class="badge">health unknown</span>;
  if (!h.data) return <span class="badge">…</span>;
  const failing = (h.data.consecutive_failures ?? 0) > 0;
  const rate = h.data.success_rate;
  const detail = `success ${percent(rate)}${failing ? `, ${h.data.consecutive_failures} failing in a row, last failure ${when(h.data.last_failure_at)}` : ''}`;
  return (
    <span class={`badge ${failing ? 's-failed' : 's-succeeded'}`} title={detail}>
      {failing ? 'failing' : 'healthy'} <span class="muted">({percent(rate)})</span>
    </span>
  );
}
