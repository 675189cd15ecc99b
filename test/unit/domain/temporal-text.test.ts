import fc from 'fast-check';
import { escapeMarkdown, markdownCode, markdownCodeWithin, truncateBytes } from '../../../src/domain/temporal-text';

const utf8 = (text: string) => new TextEncoder().encode(text).length;

// Event types, keys and URLs come from senders; what reaches Temporal's summaries and details
// must stay within its byte limits and inside its Markdown.

const HOSTILE = [
  'order.created`](https://evil.example/)',
  '``` \n# Heading\n[click](https://evil.example)',
  'line\nbreak\r\nand\u2028separator',
  '`',
  '``',
  ' `lead and trail` ',
  '订'.repeat(200),
  '😀'.repeat(200),
  '\\`escaped`\\',
  '',
];

describe('truncateBytes', () => {
  it('keeps a text that fits as it is', () => {
    expect(truncateBytes('order.created', 13)).toBe('order.created');
  });

  it('cuts 200 multi-byte characters to the byte budget, on a character boundary, with an ellipsis', () => {
    for (const text of ['订'.repeat(200), '😀'.repeat(200), `a${'é'.repeat(200)}`]) {
      const cut = truncateBytes(text, 100);
      expect(utf8(cut)).toBeLessThanOrEqual(100);
      expect(cut.endsWith('…')).toBe(true);
      expect(text.startsWith(cut.slice(0, -1))).toBe(true);
      expect(cut).not.toMatch(/[\ud800-\udfff](?![\udc00-\udfff])/u);
    }
  });

  it('never exceeds the budget, for any text and budget', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 0, max: 400 }), (text, max) => {
        const cut = truncateBytes(text, max);
        expect(utf8(cut)).toBeLessThanOrEqual(max);
        if (utf8(text) <= max) expect(cut).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('markdownCode', () => {
  it.each(HOSTILE.filter(Boolean))('keeps %j inside one code span', (text) => {
    const code = markdownCode(text);
    expect(code).not.toMatch(/[\r\n\u2028\u2029]/);
    const m = /^(`+)(?!`)(.*)(?<!`)\1$/su.exec(code);
    expect(m).not.toBeNull();
    const [, fence, inner] = m!;
    // No run of backticks inside is as long as the fence, so nothing inside closes the span.
    for (const run of inner.match(/`+/g) ?? []) expect(run.length).not.toBe(fence.length);
    expect(inner.replace(/^ | $/g, '').length).toBeGreaterThan(0);
  });

  it('shows an ordinary value as a plain code span, and an empty one as a blank span', () => {
    expect(markdownCode('order.created')).toBe('`order.created`');
    expect(markdownCode('')).toBe('` `');
  });
});

describe('markdownCodeWithin', () => {
  it('fits the whole span, fences included, in the budget, for any text and budget', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom(...HOSTILE), fc.stringMatching(/^[`x]{0,300}$/)), fc.integer({ min: 3, max: 400 }), (text, max) => {
        const code = markdownCodeWithin(text, max);
        expect(utf8(code)).toBeLessThanOrEqual(max);
        const m = /^(`+)(?!`)(.+)(?<!`)\1$/su.exec(code);
        expect(m).not.toBeNull();
        for (const run of m![2].match(/`+/g) ?? []) expect(run.length).not.toBe(m![1].length);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('escapeMarkdown', () => {
  it.each(HOSTILE)('leaves no Markdown syntax or line break active in %j', (text) => {
    const escaped = escapeMarkdown(text);
    expect(escaped).not.toMatch(/[\r\n\u2028\u2029]/);
    // Every punctuation character Markdown reads is preceded by a backslash.
    expect(escaped.replace(/\\[\\`*_{}[\]()#+\-.!|<>~]/g, '')).not.toMatch(/[\\`*_{}[\]()#+\-.!|<>~]/);
  });
});
