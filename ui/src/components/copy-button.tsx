import { useState } from 'preact/hooks';

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(text);
            setDone('Copied');
          } catch {
            setDone('Copy failed: select the text and copy it');
          }
        }}
      >
        {label}
      </button>
      <span role="status" aria-live="polite" class="muted">
        {done ?? ''}
      </span>
    </>
  );
}
