import { EventDeliveries } from '../components/event-deliveries';
import { ErrorBox, Json, Loading, StatusBadge } from '../components/states';
import { when } from '../format';
import type { EventDetail as Detail, Subscriber } from '../types';
import { useApi, useEvent } from '../use-api';

export function EventDetail({ id }: { id: string }) {
  const e = useEvent<Detail>(id, 1500);
  const subs = useApi<{ data: Subscriber[] }>('/subscribers');
  if (e.error && !e.data) return <ErrorBox error={e.error} retry={e.reload} />;
  if (!e.data) return <Loading what="Loading the event" />;
  const x = e.data;
  return (
    <>
      <dl class="facts summary">
        <dt>Event</dt>
        <dd class="wrap">{x.id}</dd>
        <dt>Type</dt>
        <dd class="wrap">{x.type}</dd>
        <dt>Source</dt>
        <dd>{x.source}</dd>
        <dt>External id</dt>
        <dd class="wrap">{x.externalId ?? '—'}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={x.status} />
        </dd>
        <dt>Received</dt>
        <dd>{when(x.receivedAt)}</dd>
        <dt>Workflow</dt>
        <dd class="wrap">{x.workflowId}</dd>
      </dl>
      <h2>Payload</h2>
      {x.payload_expired ? <p class="state empty">Expired: retention or an expunge removed this payload.</p> : <Json label="Event payload" value={x.payload} />}
      <h2>Deliveries</h2>
      <EventDeliveries event={x} subs={subs.data?.data} />
    </>
  );
}
