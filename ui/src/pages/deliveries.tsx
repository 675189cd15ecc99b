import { query, type Page } from '../api';
import { DeliveryFilters, filtersFrom, type Filters } from '../components/delivery-filters';
import { DeliveryTable } from '../components/delivery-table';
import { Pager, useCursor } from '../components/pager';
import { Empty, ErrorBox, Loading } from '../components/states';
import { isoFromLocal } from '../format';
import { navigate, useLocation } from '../router';
import { DELIVERY_STATUSES, isPending, type Delivery, type Subscriber } from '../types';
import { useApi } from '../use-api';

/** The query string of a filter set, for the address bar (shareable) and the API. */
export function filterQuery(f: Filters, forApi: boolean) {
  return query({
    subscriber_id: f.subscriber_id,
    event: f.event.trim(),
    status: f.status,
    from: forApi ? isoFromLocal(f.from) : f.from,
    to: forApi ? isoFromLocal(f.to) : f.to,
  });
}

export function Deliveries() {
  const loc = useLocation();
  const filters = filtersFrom(loc.search);
  const apiQuery = filterQuery(filters, true);
  const pages = useCursor(apiQuery);
  const sep = apiQuery ? '&' : '?';
  const list = useApi<Page<Delivery>>(`/deliveries${apiQuery}${sep}limit=25${pages.cursor ? `&cursor=${encodeURIComponent(pages.cursor)}` : ''}`, {
    poll: (p) => p.data.some((d) => isPending(d.status)),
  });
  const subs = useApi<{ data: Subscriber[] }>('/subscribers');

  return (
    <>
      <DeliveryFilters key={apiQuery} idPrefix="dlv" value={filters} statuses={DELIVERY_STATUSES} onApply={(f) => navigate(`/deliveries${filterQuery(f, false)}`)} />
      <ErrorBox error={list.error} retry={list.reload} />
      {list.loading && !list.data && <Loading what="Loading deliveries" />}
      {list.data && list.data.data.length === 0 && <Empty>No delivery matches these filters.</Empty>}
      {list.data && list.data.data.length > 0 && (
        <>
          <DeliveryTable rows={list.data.data} subs={subs.data?.data} caption="Deliveries" />
          <Pager page={pages.page} nextCursor={list.data.next_cursor} onNext={pages.next} onPrev={pages.prev} />
        </>
      )}
    </>
  );
}
