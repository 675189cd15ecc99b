// Workflow-safe: text that goes into Temporal summaries and details, whose limits are in bytes
// and whose details are Markdown. Imported by workflow code, so no Node APIs (TextEncoder is in
// the workflow sandbox).

const encoder = new TextEncoder();
const ELLIPSIS = '…';
const ELLIPSIS_BYTES = 3;

/** Line breaks and other control characters, which would end a Markdown line or span. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const byteLength = (text: string) => encoder.encode(text).length;

/**
 * `text` cut to at most `maxBytes` of UTF-8, on a character boundary, ending in `…` when cut.
 * An unpaired surrogate counts as the 3 bytes of the replacement character it is encoded as.
 */
export function truncateBytes(text: string, maxBytes: number): string {
  if (byteLength(text) <= maxBytes) return text;
  if (maxBytes < ELLIPSIS_BYTES) return '';
  const budget = maxBytes - ELLIPSIS_BYTES;
  let used = 0;
  let kept = '';
  for (const char of text) {
    const size = byteLength(char);
    if (used + size > budget) break;
    used += size;
    kept += char;
  }
  return kept + ELLIPSIS;
}

/** `text` on one line: line breaks and other control characters become spaces. */
export function oneLine(text: string): string {
  return text.replace(CONTROL, ' ');
}

/**
 * `text` as one Markdown code span that nothing inside can close: line breaks become spaces and
 * the fence is one backtick longer than the longest run of backticks in the text.
 */
export function markdownCode(text: string): string {
  const flat = oneLine(text);
  if (flat === '') return '` `';
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  // A span that starts or ends with a backtick (or a space) needs a space on each side.
  const pad = /^[` ]|[` ]$/.test(flat) ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/**
 * `markdownCode(text)` within `maxBytes` (at least 3): the text is cut, never the fence, so a
 * sender's value cut to fit a summary still cannot leave its span.
 */
export function markdownCodeWithin(text: string, maxBytes: number): string {
  let budget = maxBytes;
  for (;;) {
    const code = markdownCode(truncateBytes(text, budget));
    const over = byteLength(code) - maxBytes;
    if (over <= 0 || budget === 0) return code;
    budget = Math.max(0, budget - over);
  }
}

/** `text` as plain Markdown text: every punctuation character Markdown reads is escaped, line breaks become spaces. */
export function escapeMarkdown(text: string): string {
  return oneLine(text).replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&');
}

/** Our budget for a static summary (one line), well under the server's per-field limit. */
export const SUMMARY_MAX_BYTES = 200;
/** Our budget for static and current details (Markdown), well under the server's per-field limit. */
export const DETAILS_MAX_BYTES = 4000;
