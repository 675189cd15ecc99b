import { clearToken, getToken } from './session';

/** A field-level validation message from the server's 400 `details`. */
export interface FieldError {
  field: string;
  message: string;
}

/** Thrown when the admin API answers with an error body `{error, message, details?}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldError[] = [],
  ) {
    super(message);
  }

  /** The messages for one form field: `events.0` belongs to `events`. */
  forField(name: string): string | undefined {
    const hits = this.details.filter((d) => d.field === name || d.field.startsWith(`${name}.`));
    return hits.length ? hits.map((d) => d.message).join('; ') : undefined;
  }
}

let onUnauthorized: () => void = () => undefined;
/** The app signs out when the server stops accepting the token. */
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Calls the admin API with the session's token. */
export async function api<T>(method: string, path: string, body?: unknown, token = getToken()): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/admin/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token ?? ''}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError(0, 'network_error', 'the server cannot be reached');
  }
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    if (res.status === 401 && token === getToken()) {
      clearToken();
      onUnauthorized();
    }
    const details = Array.isArray(json?.details) ? (json.details as FieldError[]).filter((d) => typeof d?.field === 'string') : [];
    throw new ApiError(res.status, String(json?.error ?? 'http_error'), String(json?.message ?? `HTTP ${res.status}`), details);
  }
  return json as T;
}

/** A query string from the set values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
