// PostgreSQL text and jsonb cannot hold NUL, and jsonb refuses unpaired surrogates. Receivers
// send whatever they like, so everything they send is made storable before it is written:
// NUL and lone surrogates become U+FFFD. (Invalid UTF-8 was already replaced with U+FFFD when
// the bytes were decoded.) The log is for people; the exact bytes are never needed again.

const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\ufffd');
}

/** Whether a string holds a character the database cannot store. */
export function isStorableText(text: string): boolean {
  UNSTORABLE.lastIndex = 0;
  return !UNSTORABLE.test(text);
}

/** A JSON value with every string (keys included) made storable. */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [storableText(k), storableJson(v)]));
  }
  return value;
}
