import { useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { EventDeliveries } from '../components/event-deliveries';
import { Link } from '../components/link';
import { ErrorBox, Json, Loading } from '../components/states';
import { to } from '../router';
import type { EventDetail, Subscriber } from '../types';
import { useApi, useEvent } from '../use-api';
import { EVENT_TYPES_LIST, useEventTypes } from '../components/event-types';

interface SendResult {
  status: number;
  response: { event_id?: string; [k: string]: unknown } | string;
  body: string;
}

function Watch({ eventId }: { eventId: string }) {
  const e = useEvent<EventDetail>(eventId, 1000);
  const subs = useApi<{ data: Subscriber[] }>('/subscribers');
  if (e.error && !e.data) return <ErrorBox error={e.error} retry={e.reload} />;
  if (!e.data) return <Loading what="Waiting for the event" />;
  return (
    <section aria-label="Deliveries of the sandbox event">
      <h2>Deliveries</h2>
      <p>
        Event <Link href={to('events', eventId)}>{eventId}</Link> is <strong>{e.data.status}</strong>. This list refreshes until every delivery is done.
      </p>
      <EventDeliveries event={e.data} subs={subs.data?.data} />
    </section>
  );
}

export function Sandbox() {
  const [event, setEvent] = useState('sandbox.test');
  const [data, setData] = useState('{\n  "hello": "world"\n}');
  const [error, setError] = useState<ApiError | null>(null);
  const [dataError, setDataError] = useState<string | null>(null);
  const [result, setResult] = useState<SendResult | null>(null);
  const [busy, setBusy] = useState(false);
  const types = useEventTypes();
  const known = types.data?.data.find((t) => t.event === event.trim());

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDataError(null);
    let parsed: unknown;
    try {
      parsed = data.trim() ? JSON.parse(data) : {};
    } catch (err) {
      setDataError(`not valid JSON: ${(err as Error).message}`);
      return;
    }
    setBusy(true);
    try {
      setResult(await api<SendResult>('POST', '/sandbox/send', { event, data: parsed }));
    } catch (err) {
      const a = err as ApiError;
      setError(a);
      if (a.forField('data')) setDataError(a.forField('data')!);
    } finally {
      setBusy(false);
    }
  };

  const eventId = result && typeof result.response === 'object' ? result.response.event_id : undefined;
  return (
    <>
      <p>Compose an event; the server signs it with the inbound secret and sends it through the inbound gateway, like a real sender. Then watch each subscriber's delivery.</p>
      <form class="form" onSubmit={submit} noValidate>
        <div class="field">
          <label for="sb-event">Event type</label>
          <input id="sb-event" list={EVENT_TYPES_LIST} required value={event} onInput={(e) => setEvent(e.currentTarget.value)} aria-describedby={error?.forField('event') ? 'sb-event-error' : undefined} />
          {known && (
            <button type="button" class="link" onClick={() => setData(JSON.stringify(known.sample.payload ?? {}, null, 2))}>
              Use the last {known.event} payload as data
            </button>
          )}
          {error?.forField('event') && (
            <span class="field-error" id="sb-event-error">
              {error.forField('event')}
            </span>
          )}
        </div>
        <div class="field">
          <label for="sb-data">Data (JSON)</label>
          <textarea id="sb-data" rows={8} class="mono" value={data} onInput={(e) => setData(e.currentTarget.value)} aria-describedby={dataError ? 'sb-data-error' : undefined} />
          {dataError && (
            <span class="field-error" id="sb-data-error">
              {dataError}
            </span>
          )}
        </div>
        <div class="buttons">
          <button type="submit" disabled={busy}>
            {busy ? 'Sending…' : 'Sign and send'}
          </button>
        </div>
      </form>
      {error && !error.forField('event') && !error.forField('data') && <ErrorBox error={error} />}
      {result && (
        <section aria-label="Gateway answer">
          <h2>Gateway answer: {result.status}</h2>
          <Json label="Gateway answer" value={result.response} />
          <details>
            <summary>Signed body</summary>
            <Json label="Signed body" value={result.body} />
          </details>
        </section>
      )}
      {eventId && <Watch key={eventId} eventId={eventId} />}
    </>
  );
}
