import { when } from '../format';
import { to } from '../router';
import type { Delivery, Subscriber } from '../types';
import { Link } from './link';
import { StatusBadge } from './states';
import { subscriberName } from './subscriber-select';

/** Deliveries as a table; with `selection`, each row has a labelled checkbox. */
export function DeliveryTable({
  rows,
  subs,
  caption,
  selection,
}: {
  rows: Delivery[];
  subs?: Subscriber[];
  caption: string;
  selection?: { selected: Set<string>; toggle: (id: string) => void; toggleAll: () => void };
}) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {selection && (
              <th scope="col">
                <input type="checkbox" aria-label="Select all on this page" checked={rows.length > 0 && rows.every((r) => selection.selected.has(r.id))} onChange={selection.toggleAll} />
              </th>
            )}
            <th scope="col">Delivery</th>
            <th scope="col">Event</th>
            <th scope="col">Subscriber</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last response</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.id}>
              {selection && (
                <td data-label="Select">
                  <input type="checkbox" aria-label={`Select delivery ${d.id}`} checked={selection.selected.has(d.id)} onChange={() => selection.toggle(d.id)} />
                </td>
              )}
              <td data-label="Delivery" class="wrap">
                <Link href={to('deliveries', d.id)}>{d.id}</Link>
              </td>
              <td data-label="Event" class="wrap">
                {d.event}
              </td>
              <td data-label="Subscriber" class="wrap">
                {subscriberName(subs, d.subscriber_id)}
              </td>
              <td data-label="Status">
                <StatusBadge status={d.status} />
              </td>
              <td data-label="Attempts">{d.attempts}</td>
              <td data-label="Last response" class="wrap">
                {d.last_response_code ?? d.last_error ?? '—'}
              </td>
              <td data-label="Created">{when(d.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
