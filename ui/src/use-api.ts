import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError } from './api';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/**
 * GETs `path` (null: nothing to load) and reloads it every `pollMs` while `poll(data)` says
 * there is pending work; the last good data stays on screen while a refresh runs. `view` names
 * what the data shows when the path alone does not (a window that ends now moves its `to` at
 * each refresh): a new path of the same view is a refresh, not a new page.
 */
export function useApi<T>(path: string | null, options: { pollMs?: number; poll?: (data: T) => boolean; view?: string } = {}): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const pollRef = useRef(options.poll);
  pollRef.current = options.poll;
  const lastView = useRef<string | null>(null);
  const view = options.view ?? path;

  useEffect(() => {
    if (path === null) return;
    let live = true;
    if (lastView.current !== view) {
      setData(null);
      lastView.current = view;
    }
    setLoading(true);
    api<T>('GET', path)
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(null);
      })
      .catch((e: ApiError) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [path, tick]);

  const pollMs = options.pollMs ?? 2000;
  const pending = data !== null && pollRef.current ? pollRef.current(data) : false;
  useEffect(() => {
    if (!pending) return;
    const t = setInterval(() => {
      if (!document.hidden) setTick((n) => n + 1);
    }, pollMs);
    return () => clearInterval(t);
  }, [pending, pollMs]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

/** An event with its deliveries, refreshed until it is processed and no delivery is pending. */
export function useEvent<T extends { status: string; deliveries: { status: string }[] }>(id: string, pollMs = 1500): Loaded<T> {
  return useApi<T>(`/events/${encodeURIComponent(id)}`, { poll: (x) => x.status !== 'processed' || x.deliveries.some((d) => d.status === 'pending'), pollMs });
}
