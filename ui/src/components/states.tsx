import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api';

export const Loading = ({ what = 'Loading' }: { what?: string }) => (
  <p class="state" role="status" aria-live="polite">
    {what}…
  </p>
);

export const Empty = ({ children }: { children: ComponentChildren }) => <p class="state empty">{children}</p>;

export function ErrorBox({ error, retry }: { error: Error | ApiError | null; retry?: () => void }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <strong>Error:</strong> {error.message}
      {retry && (
        <button type="button" class="link" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export const StatusBadge = ({ status }: { status: string | null | undefined }) => <span class={`badge s-${String(status ?? 'unknown').replace(/[^a-z_]/g, '')}`}>{status ?? 'unknown'}</span>;

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre class="json" tabIndex={0} aria-label={label}>
      {typeof value === 'string' ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** A short outcome message, announced to screen readers. */
export const Notice = ({ text }: { text: string | null }) =>
  text ? (
    <p class="notice" role="status">
      {text}
    </p>
  ) : null;
