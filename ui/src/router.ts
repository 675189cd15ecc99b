import { useEffect, useState } from 'preact/hooks';

// A small history router: every page has a real URL under /admin, so a reload or a link from
// the Temporal UI opens it directly.

export const BASE = '/admin';

export interface Location {
  path: string; // without the /admin prefix, always starting with '/'
  search: URLSearchParams;
}

function current(): Location {
  const raw = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : window.location.pathname;
  return { path: raw.replace(/\/+$/, '') || '/', search: new URLSearchParams(window.location.search) };
}

const listeners = new Set<() => void>();

export function navigate(to: string, replace = false): void {
  const url = `${BASE}${to === '/' ? '' : to}`;
  if (replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  listeners.forEach((l) => l());
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => setLoc(current());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return loc;
}

/** Matches `/deliveries/:id` style patterns; params are decoded. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) {
      try {
        params[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
      } catch {
        return null;
      }
    } else if (p[i] !== s[i]) return null;
  }
  return params;
}

/** A path to a page, with each dynamic segment encoded. */
export const to = (...segments: string[]): string => `/${segments.map(encodeURIComponent).join('/')}`;
