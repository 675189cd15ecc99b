/** host + path of a URL: enough to recognise a target, never its query string or credentials. */
export function targetLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return url.slice(0, 80);
  }
}
