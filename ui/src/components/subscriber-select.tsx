import { useApi } from '../use-api';
import type { Subscriber } from '../types';

/** A labelled select of the subscribers, "any" first. */
export function SubscriberSelect({ id, value, onChange, required = false }: { id: string; value: string; onChange: (v: string) => void; required?: boolean }) {
  const subs = useApi<{ data: Subscriber[] }>('/subscribers');
  return (
    <select id={id} value={value} required={required} onChange={(e) => onChange(e.currentTarget.value)}>
      <option value="">{required ? 'Choose a subscriber' : 'Any subscriber'}</option>
      {(subs.data?.data ?? []).map((s) => (
        <option key={s.id} value={s.id}>
          {s.name || s.url}
        </option>
      ))}
    </select>
  );
}

/** A subscriber's display name from the loaded list, or its id. */
export function subscriberName(subs: Subscriber[] | undefined, id: string): string {
  const s = subs?.find((x) => x.id === id);
  return s ? s.name || s.url : id;
}
