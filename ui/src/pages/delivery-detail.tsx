import { useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { Link } from '../components/link';
import { ErrorBox, Json, Loading, Notice, StatusBadge } from '../components/states';
import { bodyText, ms, pretty, safeHref, when } from '../format';
import { to } from '../router';
import { subscriberName } from '../components/subscriber-select';
import { isPending, type Attempt, type DeliveryDetail as Detail, type EventDetail, type Subscriber } from '../types';
import { useApi } from '../use-api';

function AttemptItem({ a, expired }: { a: Attempt; expired: boolean }) {
  return (
    <li class="attempt">
      <h3>
        Attempt {a.attempt} <StatusBadge status={a.outcome} /> <span class="muted">{when(a.created_at)}</span>
      </h3>
      <dl class="facts">
        <dt>Response</dt>
        <dd>{a.response_code ?? 'none'}</dd>
        <dt>Latency</dt>
        <dd>{ms(a.duration_ms)}</dd>
        {a.error && (
          <>
            <dt>Error</dt>
            <dd class="wrap">{a.error}</dd>
          </>
        )}
        {a.next_retry_at && (
          <>
            <dt>Next retry</dt>
            <dd>{when(a.next_retry_at)}</dd>
          </>
        )}
      </dl>
      <details>
        <summary>Request headers (secrets masked)</summary>
        {a.request_headers ? (
          <div class="table-wrap">
            <table class="kv">
              <caption class="sr-only">Request headers of attempt {a.attempt}</caption>
              <tbody>
                {Object.entries(a.request_headers).map(([k, v]) => (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    <td class="wrap">{v}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">Not sent.</p>
        )}
      </details>
      <details>
        <summary>Request body</summary>
        <Json label={`Request body of attempt ${a.attempt}`} value={bodyText(a.request_body, expired)} />
      </details>
      <details open={!!a.response_body}>
        <summary>Response body</summary>
        <Json label={`Response body of attempt ${a.attempt}`} value={pretty(a.response_body) || '(empty)'} />
      </details>
    </li>
  );
}

export function DeliveryDetail({ id }: { id: string }) {
  const d = useApi<Detail>(`/deliveries/${encodeURIComponent(id)}`, { poll: (x) => isPending(x.status), pollMs: 1500 });
  const subs = useApi<{ data: Subscriber[] }>('/subscribers');
  // Whether the event's payload expired (its attempts' bodies then read as expired).
  const event = useApi<EventDetail>(d.data ? `/events/${encodeURIComponent(d.data.event_id)}` : null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  if (d.error && !d.data) return <ErrorBox error={d.error} retry={d.reload} />;
  if (!d.data) return <Loading what="Loading the delivery" />;
  const x = d.data;
  // A delivery settled at its first attempt never had a workflow of its own (the attempt ran in
  // its event workflow's fan-out): the one link then opens the event workflow.
  const ownWorkflow = x.workflow_started_at !== null;
  const eventTemporal = safeHref(x.event_temporal_url);
  const temporal = ownWorkflow ? safeHref(x.temporal_url) : eventTemporal;

  const control = async (what: 'retry' | 'cancel') => {
    setError(null);
    setNote(null);
    try {
      await api('POST', `/deliveries/${encodeURIComponent(x.id)}/${what}`, {});
      setNote(what === 'retry' ? 'Retry requested: the next attempt runs now.' : 'Cancel requested.');
      d.reload();
    } catch (e) {
      setError(e as ApiError);
    }
  };

  return (
    <>
      <dl class="facts summary">
        <dt>Delivery</dt>
        <dd class="wrap">{x.id}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={x.status} /> {isPending(x.status) && <span class="muted">(refreshing)</span>}
        </dd>
        <dt>Event</dt>
        <dd class="wrap">
          <Link href={to('events', x.event_id)}>{x.event}</Link> <span class="muted">{x.event_id}</span>
        </dd>
        <dt>Subscriber</dt>
        <dd class="wrap">
          <Link href={to('subscribers', x.subscriber_id)}>{subscriberName(subs.data?.data, x.subscriber_id)}</Link>
        </dd>
        <dt>Attempts</dt>
        <dd>{x.attempts.length}</dd>
        {x.next_attempt_at && isPending(x.status) && (
          <>
            <dt>Next attempt</dt>
            <dd>{when(x.next_attempt_at)}</dd>
          </>
        )}
        <dt>Created</dt>
        <dd>{when(x.created_at)}</dd>
        <dt>Workflow</dt>
        <dd class="wrap">
          {temporal ? (
            <a href={temporal} target="_blank" rel="noopener noreferrer">
              Open in the Temporal UI
            </a>
          ) : (
            <span class="muted">{ownWorkflow ? x.workflow_id : x.event_workflow_id} (no Temporal UI address configured)</span>
          )}
          {ownWorkflow && eventTemporal && (
            <>
              {' · '}
              <a href={eventTemporal} target="_blank" rel="noopener noreferrer">
                its event workflow
              </a>
            </>
          )}
          {!ownWorkflow && (
            <>
              <br />
              <span class="muted">
                It has no workflow of its own{isPending(x.status) ? ' yet' : ''}: its attempts ran in its event workflow{temporal ? ', which the link opens' : ''}.
              </span>
            </>
          )}
        </dd>
      </dl>
      <div class="buttons">
        <button type="button" disabled={!isPending(x.status)} onClick={() => control('retry')}>
          Retry now
        </button>
        <button type="button" class="danger" disabled={!isPending(x.status)} onClick={() => control('cancel')}>
          Cancel delivery
        </button>
      </div>
      <Notice text={note} />
      <ErrorBox error={error} />
      <ErrorBox error={d.error} />
      <h2>Attempts</h2>
      {x.attempts.length === 0 && <p class="state empty">No attempt yet.</p>}
      <ol class="timeline">
        {x.attempts.map((a) => (
          <AttemptItem key={`${a.attempt}-${a.created_at}`} a={a} expired={event.data?.payload_expired === true} />
        ))}
      </ol>
    </>
  );
}
