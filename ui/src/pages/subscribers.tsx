import { useEffect, useState } from 'preact/hooks';
import { api, query, type ApiError } from '../api';
import { CopyButton } from '../components/copy-button';
import { HealthBadge } from '../components/health-badge';
import { Link } from '../components/link';
import { Empty, ErrorBox, Loading, Notice } from '../components/states';
import { to } from '../router';
import type { Subscriber } from '../types';
import { useApi } from '../use-api';

/** The most subscribers the list answers with (the API's cap): beyond it, the search finds them. */
const LIST_CAP = 500;

export function Subscribers() {
  const [search, setSearch] = useState('');
  const [active, setActive] = useState('');
  // The server searches every subscriber, a moment after the typing stops; meanwhile the rows
  // on screen are filtered at once.
  const [searched, setSearched] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setSearched(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);
  const list = useApi<{ data: Subscriber[] }>(`/subscribers${query({ active, search: searched })}`, { view: 'subscribers' });
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);

  const act = async (label: string, fn: () => Promise<unknown>) => {
    setError(null);
    setMessage(null);
    try {
      await fn();
      setMessage(label);
      list.reload();
    } catch (e) {
      setError(e as ApiError);
    }
  };

  const needle = search.trim().toLowerCase();
  const rows = (list.data?.data ?? []).filter(
    (s) => !needle || [s.name ?? '', s.url, s.id, s.events.join(' '), s.description ?? ''].some((v) => v.toLowerCase().includes(needle)),
  );

  return (
    <>
      <div class="toolbar">
        <div class="field">
          <label for="sub-search">Search</label>
          <input id="sub-search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} placeholder="name, URL, event" />
        </div>
        <div class="field">
          <label for="sub-active">Active</label>
          <select id="sub-active" value={active} onChange={(e) => setActive(e.currentTarget.value)}>
            <option value="">All</option>
            <option value="true">Active</option>
            <option value="false">Inactive</option>
          </select>
        </div>
        <Link href="/subscribers/new" class="button">
          New subscriber
        </Link>
      </div>
      <Notice text={message} />
      <ErrorBox error={error} />
      {secret && (
        <div class="secret" role="region" aria-label="New secret">
          <p>
            The new secret of this subscriber. It is shown <strong>once</strong>: copy it now.
          </p>
          <code class="wrap">{secret.secret}</code> <CopyButton text={secret.secret} label="Copy secret" />{' '}
          <button type="button" class="link" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      )}
      <ErrorBox error={list.error} retry={list.reload} />
      {list.loading && !list.data && <Loading what="Loading subscribers" />}
      {list.data && list.data.data.length >= LIST_CAP && <Notice text={`Showing the newest ${LIST_CAP} subscribers that match: search to find the others.`} />}
      {list.data && rows.length === 0 && <Empty>{needle || active ? 'No subscriber matches.' : 'No subscribers yet. Create one to start delivering.'}</Empty>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Subscribers</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Health</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.id}>
                  <td data-label="Name">
                    <Link href={to('subscribers', s.id)}>{s.name || '(no name)'}</Link>
                  </td>
                  <td data-label="URL" class="wrap">
                    {s.url}
                  </td>
                  <td data-label="Events" class="wrap">
                    {s.events.join(', ')}
                  </td>
                  <td data-label="Health">
                    <HealthBadge sub={s} />
                  </td>
                  <td data-label="Actions" class="actions">
                    {s.active ? (
                      <button type="button" onClick={() => act(`Deactivated ${s.name || s.url}.`, () => api('POST', `/subscribers/${s.id}/deactivate`, {}))}>
                        Deactivate
                      </button>
                    ) : (
                      <button type="button" onClick={() => act(`Activated ${s.name || s.url}.`, () => api('POST', `/subscribers/${s.id}/activate`))}>
                        Activate
                      </button>
                    )}
                    <button
                      type="button"
                      onClick={() =>
                        act('Secret rotated.', async () => {
                          const r = await api<Subscriber>('POST', `/subscribers/${s.id}/rotate-secret`, {});
                          setSecret({ id: s.id, secret: r.secret });
                        })
                      }
                    >
                      Rotate secret
                    </button>
                    <button type="button" onClick={() => act(`Test event sent to ${s.name || s.url}; see Deliveries.`, () => api('POST', `/subscribers/${s.id}/test`, {}))}>
                      Send test
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
