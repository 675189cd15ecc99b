import { useState } from 'preact/hooks';
import { api, type ApiError, type Page } from '../api';
import { DeliveryFilters, filtersFrom, type Filters } from '../components/delivery-filters';
import { DeliveryTable } from '../components/delivery-table';
import { Pager, useCursor } from '../components/pager';
import { ReplayJobProgress, type ReplayJob } from '../components/replay-job';
import { Empty, ErrorBox, Loading, Notice } from '../components/states';
import { isoFromLocal } from '../format';
import { navigate, useLocation } from '../router';
import type { Delivery, Subscriber } from '../types';
import { useApi } from '../use-api';
import { filterQuery } from './deliveries';

const replayFilter = (f: Filters) => ({
  status: 'dead',
  ...(f.subscriber_id ? { subscriber_id: f.subscriber_id } : {}),
  ...(f.event.trim() ? { event: f.event.trim() } : {}),
  ...(isoFromLocal(f.from) ? { from: isoFromLocal(f.from) } : {}),
  ...(isoFromLocal(f.to) ? { to: isoFromLocal(f.to) } : {}),
});

export function DeadLetters() {
  const loc = useLocation();
  const filters = { ...filtersFrom(loc.search), status: '' };
  const apiQuery = filterQuery(filters, true);
  const pages = useCursor(apiQuery);
  const sep = apiQuery ? '&' : '?';
  const list = useApi<Page<Delivery>>(`/dead-letters${apiQuery}${sep}limit=25${pages.cursor ? `&cursor=${encodeURIComponent(pages.cursor)}` : ''}`);
  const subs = useApi<{ data: Subscriber[] }>('/subscribers');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const rows = list.data?.data ?? [];

  const run = async (fn: () => Promise<void>) => {
    setError(null);
    setNote(null);
    try {
      await fn();
    } catch (e) {
      setError(e as ApiError);
    }
  };

  return (
    <>
      <DeliveryFilters key={apiQuery} idPrefix="dead" value={filters} statuses={[]} onApply={(f) => navigate(`/dead-letters${filterQuery(f, false)}`)} />
      <div class="buttons">
        <button
          type="button"
          disabled={selected.size === 0}
          onClick={() =>
            run(async () => {
              const ids = [...selected];
              await api('POST', '/dead-letters/replay', { ids });
              setNote(`Replaying ${ids.length} selected dead letter(s).`);
              setSelected(new Set());
              list.reload();
            })
          }
        >
          Replay selected ({selected.size})
        </button>
        <button
          type="button"
          onClick={() =>
            run(async () => {
              const r = await api<{ matched: number }>('POST', '/replays', { filter: replayFilter(filters), dry_run: true });
              setNote(`${r.matched} dead letter(s) match these filters.`);
            })
          }
        >
          Count matches
        </button>
        <button
          type="button"
          onClick={() =>
            run(async () => {
              const r = await api<ReplayJob>('POST', '/replays', { filter: replayFilter(filters) });
              setJobId(r.id);
            })
          }
        >
          Replay all that match
        </button>
      </div>
      <Notice text={note} />
      <ErrorBox error={error} />
      {jobId && <ReplayJobProgress key={jobId} id={jobId} onDone={list.reload} />}
      <ErrorBox error={list.error} retry={list.reload} />
      {list.loading && !list.data && <Loading what="Loading dead letters" />}
      {list.data && rows.length === 0 && <Empty>No dead letter matches. Deliveries that use up their retries land here.</Empty>}
      {rows.length > 0 && (
        <>
          <DeliveryTable
            rows={rows}
            subs={subs.data?.data}
            caption="Dead letters"
            selection={{
              selected,
              toggle: (id) => {
                const next = new Set(selected);
                if (next.has(id)) next.delete(id);
                else next.add(id);
                setSelected(next);
              },
              toggleAll: () => setSelected(rows.every((r) => selected.has(r.id)) ? new Set() : new Set(rows.map((r) => r.id))),
            }}
          />
          <Pager page={pages.page} nextCursor={list.data!.next_cursor} onNext={pages.next} onPrev={pages.prev} />
        </>
      )}
    </>
  );
}
