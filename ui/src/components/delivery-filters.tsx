import { useState } from 'preact/hooks';
import { SubscriberSelect } from './subscriber-select';
import { EVENT_TYPES_LIST } from './event-types';

export interface Filters {
  subscriber_id: string;
  event: string;
  status: string;
  from: string;
  to: string;
}

export const filtersFrom = (q: URLSearchParams): Filters => ({
  subscriber_id: q.get('subscriber_id') ?? '',
  event: q.get('event') ?? '',
  status: q.get('status') ?? '',
  from: q.get('from') ?? '',
  to: q.get('to') ?? '',
});

/** The filter form of the deliveries and dead-letter pages; `statuses` empty hides the status. */
export function DeliveryFilters({ value, statuses, onApply, idPrefix }: { value: Filters; statuses: readonly string[]; onApply: (f: Filters) => void; idPrefix: string }) {
  const [f, setF] = useState(value);
  const id = (n: string) => `${idPrefix}-${n}`;
  return (
    <form
      class="toolbar filters"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(f);
      }}
    >
      <div class="field">
        <label for={id('subscriber')}>Subscriber</label>
        <SubscriberSelect id={id('subscriber')} value={f.subscriber_id} onChange={(v) => setF({ ...f, subscriber_id: v })} />
      </div>
      <div class="field">
        <label for={id('event')}>Event type</label>
        <input id={id('event')} list={EVENT_TYPES_LIST} value={f.event} onInput={(e) => setF({ ...f, event: e.currentTarget.value })} placeholder="order.created" />
      </div>
      {statuses.length > 0 && (
        <div class="field">
          <label for={id('status')}>Status</label>
          <select id={id('status')} value={f.status} onChange={(e) => setF({ ...f, status: e.currentTarget.value })}>
            <option value="">Any</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      )}
      <div class="field">
        <label for={id('from')}>From</label>
        <input id={id('from')} type="datetime-local" value={f.from} onInput={(e) => setF({ ...f, from: e.currentTarget.value })} />
      </div>
      <div class="field">
        <label for={id('to')}>To</label>
        <input id={id('to')} type="datetime-local" value={f.to} onInput={(e) => setF({ ...f, to: e.currentTarget.value })} />
      </div>
      <div class="buttons">
        <button type="submit">Apply filters</button>
        <button
          type="button"
          class="link"
          onClick={() => {
            const empty = { subscriber_id: '', event: '', status: '', from: '', to: '' };
            setF(empty);
            onApply(empty);
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}
