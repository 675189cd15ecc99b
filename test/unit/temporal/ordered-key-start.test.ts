import { ORDERING_KEY_MAX_LENGTH } from '../../../src/domain/ordering-key';
import { DETAILS_MAX_BYTES, SUMMARY_MAX_BYTES } from '../../../src/domain/temporal-text';
import { orderedKeyStartOptions } from '../../../src/temporal/ordered-key-start';

// An ordering key is sender-chosen (printable ASCII without spaces), and Temporal reads summaries
// as Markdown too: the key must show as text, never as a link or a span that another part closes.

const utf8 = (text: string) => new TextEncoder().encode(text).length;

/** Whether `text` is exactly one code span: nothing inside closes it early, nothing is left outside. */
function isOneCodeSpan(text: string): boolean {
  const m = /^(`+)(?!`)([^\n]+)(?<!`)\1$/.exec(text);
  return m !== null && !(m[2].match(/`+/g) ?? []).some((run) => run.length === m[1].length);
}

describe('ordered key workflow start options', () => {
  it.each([
    ['a link', '[click](https://evil.example/)'],
    ['a backtick and a link', 'k`[click](https://evil.example/)`'],
    ['only backticks, as long as a key may be', '`'.repeat(ORDERING_KEY_MAX_LENGTH)],
    ['a link after a long run of backticks', `${'`'.repeat(150)}[click](https://evil.example/)`],
    ['the longest key', `${'x'.repeat(ORDERING_KEY_MAX_LENGTH - 30)}[click](https://evil.example/)`],
  ])('keeps a key with %s in one code span in the summary, within its bytes', (_label, key) => {
    const { staticSummary, staticDetails } = orderedKeyStartOptions({ subscriberId: 's1', orderingKey: key, searchAttributes: false });
    expect(utf8(staticSummary)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(utf8(staticDetails)).toBeLessThanOrEqual(DETAILS_MAX_BYTES);
    expect(staticSummary.startsWith('ordered key ')).toBe(true);
    expect(isOneCodeSpan(staticSummary.slice('ordered key '.length))).toBe(true);
  });

  it('shows an ordinary key whole', () => {
    expect(orderedKeyStartOptions({ subscriberId: 's1', orderingKey: 'customer-42', searchAttributes: false }).staticSummary).toBe('ordered key `customer-42`');
  });
});
