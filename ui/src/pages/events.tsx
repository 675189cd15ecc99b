import { useState } from 'preact/hooks';
import { query, type Page } from '../api';
import { Link } from '../components/link';
import { Pager, useCursor } from '../components/pager';
import { Empty, ErrorBox, Loading, StatusBadge } from '../components/states';
import { when } from '../format';
import { navigate, to, useLocation } from '../router';
import { EVENT_STATUSES, type EventRow } from '../types';
import { useApi } from '../use-api';
import { EVENT_TYPES_LIST } from '../components/event-types';

export function Events() {
  const loc = useLocation();
  const event = loc.search.get('event') ?? '';
  const status = loc.search.get('status') ?? '';
  const [draft, setDraft] = useState({ event, status });
  const q = query({ event, status });
  const pages = useCursor(q);
  const list = useApi<Page<EventRow>>(`/events${query({ event, status, limit: 25, cursor: pages.cursor })}`, {
    poll: (p) => p.data.some((e) => e.status !== 'processed'),
  });

  return (
    <>
      <form
        class="toolbar filters"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/events${query({ event: draft.event.trim(), status: draft.status })}`);
        }}
      >
        <div class="field">
          <label for="evt-type">Event type</label>
          <input id="evt-type" list={EVENT_TYPES_LIST} value={draft.event} onInput={(e) => setDraft({ ...draft, event: e.currentTarget.value })} placeholder="order.created" />
        </div>
        <div class="field">
          <label for="evt-status">Status</label>
          <select id="evt-status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value })}>
            <option value="">Any</option>
            {EVENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="buttons">
          <button type="submit">Apply filters</button>
        </div>
      </form>
      <ErrorBox error={list.error} retry={list.reload} />
      {list.loading && !list.data && <Loading what="Loading events" />}
      {list.data && list.data.data.length === 0 && <Empty>No event matches.</Empty>}
      {list.data && list.data.data.length > 0 && (
        <>
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Events</caption>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Type</th>
                  <th scope="col">Source</th>
                  <th scope="col">Status</th>
                  <th scope="col">Received</th>
                </tr>
              </thead>
              <tbody>
                {list.data.data.map((e) => (
                  <tr key={e.id}>
                    <td data-label="Event" class="wrap">
                      <Link href={to('events', e.id)}>{e.id}</Link>
                    </td>
                    <td data-label="Type" class="wrap">
                      {e.event}
                    </td>
                    <td data-label="Source">{e.source}</td>
                    <td data-label="Status">
                      <StatusBadge status={e.status} />
                    </td>
                    <td data-label="Received">{when(e.received_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={pages.page} nextCursor={list.data.next_cursor} onNext={pages.next} onPrev={pages.prev} />
        </>
      )}
    </>
  );
}
