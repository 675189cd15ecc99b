import type { ComponentChildren } from 'preact';
import { BASE, navigate } from '../router';

/** An in-app link: a real href (open in new tab works) that navigates without a reload. */
export function Link({ href, children, class: cls, ariaCurrent }: { href: string; children: ComponentChildren; class?: string; ariaCurrent?: boolean }) {
  return (
    <a
      href={`${BASE}${href === '/' ? '' : href}`}
      class={cls}
      aria-current={ariaCurrent ? 'page' : undefined}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}
