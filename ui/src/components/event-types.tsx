import { useApi } from '../use-api';

export interface EventType {
  event: string;
  count: number;
  last_seen_at: string;
  sample: { event_id: string; payload: unknown };
}

/** The event catalog (GET /event-types): the types seen, with a sample payload each. */
export const useEventTypes = () => useApi<{ data: EventType[] }>('/event-types');

export const EVENT_TYPES_LIST = 'event-types';

/** Suggestions for every event-type input (`list={EVENT_TYPES_LIST}`), rendered once by the app. */
export function EventTypeList() {
  const types = useEventTypes();
  return (
    <datalist id={EVENT_TYPES_LIST}>
      {(types.data?.data ?? []).map((t) => (
        <option key={t.event} value={t.event}>
          {`${t.count} seen`}
        </option>
      ))}
    </datalist>
  );
}
