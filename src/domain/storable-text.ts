// PostgreSQL cannot store a NUL character in text or jsonb, nor an unpaired UTF-16 surrogate in
// jsonb: a row holding one is refused, and a sender told "503, retry" would retry for ever. One
// rule, two uses: input that enters is checked, so such input is a 400 that names its field;
// what receivers send back is made storable (`storableText`), since it must be logged anyway.

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Thrown when input holds text that PostgreSQL cannot store (a NUL or an unpaired surrogate); `field` names where. */
export class UnstorableTextError extends Error {
  constructor(readonly field: string) {
    super(`${field}: holds a NUL character or an unpaired UTF-16 surrogate, which cannot be stored; remove it or encode it (base64, for example)`);
  }
}

/** Whether a string can be stored as text or inside jsonb. */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/**
 * The path (`data.items.3.name`, or `root` itself) of the first string or object key in a
 * JSON-like value that cannot be stored, or null. Iterative, so a deeply nested body cannot
 * exhaust the stack.
 */
export function findUnstorableText(value: unknown, root: string): string | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [item, path] = stack.pop()!;
    if (typeof item === 'string') {
      if (!isStorableText(item)) return path;
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push([item[i], `${path}.${i}`]);
    } else if (item !== null && typeof item === 'object' && !(item instanceof Uint8Array)) {
      for (const [key, child] of Object.entries(item)) {
        if (!isStorableText(key)) return `${path}.${key.replace(UNSTORABLE_GLOBAL, '?')}`;
        stack.push([child, `${path}.${key}`]);
      }
    }
  }
  return null;
}

const UNSTORABLE_GLOBAL = new RegExp(UNSTORABLE.source, 'g');

/** Throws UnstorableTextError naming the first field of `value` that cannot be stored. */
export function assertStorable(value: unknown, root: string): void {
  const field = findUnstorableText(value, root);
  if (field !== null) throw new UnstorableTextError(field.replace(UNSTORABLE_GLOBAL, '?'));
}

/**
 * A receiver's text made storable: NUL and lone surrogates become U+FFFD. (Invalid UTF-8 was
 * already replaced with U+FFFD when the bytes were decoded.) The log is for people; the exact
 * bytes are never needed again.
 */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE_GLOBAL, '\ufffd');
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
