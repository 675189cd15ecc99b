// Workflow-safe. A URL's path and query can be a capability (a Slack webhook's token) and its
// userinfo a password: Temporal summaries, details and results see only the host.

/** The host (and port) of a URL: enough to recognise a target, never its path, query or credentials. */
export function targetLabel(url: string): string {
  try {
    return new URL(url).host || '(invalid URL)';
  } catch {
    return '(invalid URL)';
  }
}
