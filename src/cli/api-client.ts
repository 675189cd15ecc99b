import { CliError } from './cli-error';

// The admin API over HTTP. Every failure becomes one CliError line that names the cause.

export interface ApiClient {
  readonly baseUrl: string;
  get<T>(path: string, query?: Record<string, string | number | boolean | undefined>): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  delete(path: string): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 30_000;

export function createApiClient(baseUrl: string, token: string): ApiClient {
  const base = baseUrl.replace(/\/+$/, '');
  try {
    new URL(base);
  } catch {
    throw new CliError(`--api ${baseUrl} is not a URL; use one such as http://127.0.0.1:3000`);
  }

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${base}/admin/api${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new CliError(`cannot reach the API at ${base}: ${networkReason(err)} (is it running? pass --api or set WEBHOOKCTL_API)`);
    }
    const text = await res.text();
    const json = parseJson(text);
    if (res.status === 401 || res.status === 403) {
      throw new CliError(`the API at ${base} refused the admin token (${res.status}); pass --token or set WEBHOOKCTL_TOKEN`);
    }
    if (!res.ok) throw new CliError(`${method} ${path} failed: ${describeError(res.status, json, text)}`);
    return json as T;
  }

  return {
    baseUrl: base,
    get: (path, query) => call('GET', path + queryString(query)),
    post: (path, body) => call('POST', path, body ?? {}),
    delete: async (path) => {
      await call('DELETE', path);
    },
  };
}

/** `?a=1&b=2` from the defined values, or ''. */
export function queryString(query: Record<string, string | number | boolean | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** `404 not_found: delivery x` from the API's `{error, message, details?}` body. */
export function describeError(status: number, json: unknown, text: string): string {
  const body = json as { error?: string; message?: string; details?: unknown } | null;
  if (body && typeof body === 'object' && (body.error || body.message)) {
    // The message already names each failing field (`details` repeats it for programs).
    return `${status} ${body.error ?? ''}: ${body.message ?? ''}`.replace(/\s+/g, ' ').trim();
  }
  return `${status} ${text.slice(0, 200)}`.replace(/\s+/g, ' ').trim();
}

export function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
