import { useState } from 'preact/hooks';
import { bodyText, ms, when } from '../format';
import { to } from '../router';
import type { DeliveryDetail, EventDetail, Subscriber } from '../types';
import { useApi } from '../use-api';
import { Link } from './link';
import { ErrorBox, Json, Loading, StatusBadge } from './states';
import { subscriberName } from './subscriber-select';

/** What one subscriber received: the last attempt's request and its answer. */
function Received({ id, expired }: { id: string; expired: boolean }) {
  const d = useApi<DeliveryDetail>(`/deliveries/${encodeURIComponent(id)}`, { poll: (x) => x.status === 'pending', pollMs: 1500 });
  if (d.error) return <ErrorBox error={d.error} retry={d.reload} />;
  if (!d.data) return <Loading what="Loading what it received" />;
  const last = d.data.attempts[d.data.attempts.length - 1];
  if (!last) return <p class="muted">No attempt yet.</p>;
  return (
    <div class="received">
      <p>
        Attempt {last.attempt}: {last.response_code ?? 'no response'} in {ms(last.duration_ms)} {last.error && <span class="wrap">({last.error})</span>}
      </p>
      <Json label="Body the subscriber received" value={bodyText(last.request_body, expired)} />
      {last.request_headers && <Json label="Headers the subscriber received" value={last.request_headers} />}
    </div>
  );
}

/** An event's deliveries; each row opens what its subscriber received. */
export function EventDeliveries({ event, subs }: { event: EventDetail; subs?: Subscriber[] }) {
  const [open, setOpen] = useState<string | null>(null);
  if (event.deliveries.length === 0) return <p class="state empty">No delivery (yet): no active subscriber matched, or the fan-out has not run.</p>;
  return (
    <ul class="cards">
      {event.deliveries.map((d) => (
        <li key={d.id} class="card">
          <div class="card-head">
            <StatusBadge status={d.status} /> <span class="wrap">{subscriberName(subs, d.subscriberId)}</span>
            <span class="muted">
              {' '}
              {d.attempts} attempt(s), last {d.lastResponseCode ?? d.lastError ?? '—'}, {when(d.createdAt)}
            </span>
          </div>
          <div class="buttons">
            <button type="button" aria-expanded={open === d.id} onClick={() => setOpen(open === d.id ? null : d.id)}>
              {open === d.id ? 'Hide what it received' : 'What it received'}
            </button>
            <Link href={to('deliveries', d.id)}>Delivery details</Link>
          </div>
          {open === d.id && <Received id={d.id} expired={event.payload_expired} />}
        </li>
      ))}
    </ul>
  );
}
