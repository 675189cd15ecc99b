import { useState } from 'preact/hooks';

/** Cursor pages: the cursors of the pages seen so far, so "Previous" goes back without a reverse query. */
export function useCursor(resetKey: string) {
  const [state, setState] = useState<{ key: string; stack: string[] }>({ key: resetKey, stack: [] });
  const stack = state.key === resetKey ? state.stack : [];
  return {
    cursor: stack[stack.length - 1] ?? null,
    page: stack.length + 1,
    next: (c: string) => setState({ key: resetKey, stack: [...stack, c] }),
    prev: () => setState({ key: resetKey, stack: stack.slice(0, -1) }),
  };
}

export function Pager({ page, nextCursor, onNext, onPrev }: { page: number; nextCursor: string | null; onNext: (c: string) => void; onPrev: () => void }) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={page <= 1} onClick={onPrev}>
        Previous
      </button>
      <span>Page {page}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && onNext(nextCursor)}>
        Next
      </button>
    </nav>
  );
}
