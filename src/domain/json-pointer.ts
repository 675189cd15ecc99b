// RFC 6901 JSON pointers, for the values a named inbound source reads out of a body.

export const JSON_POINTER_MAX_LENGTH = 200;

/** Why `pointer` is no JSON pointer we accept, or null. The empty pointer (the whole body) is refused: a key is a value inside it. */
export function jsonPointerProblem(pointer: string): string | null {
  if (pointer.length === 0 || pointer.length > JSON_POINTER_MAX_LENGTH) return `must be a JSON pointer of 2 to ${JSON_POINTER_MAX_LENGTH} characters`;
  if (!pointer.startsWith('/')) return 'must be a JSON pointer, starting with / (for example /data/customer_id)';
  if (/~[^01]|~$/.test(pointer)) return 'may use ~ only as ~0 (for ~) or ~1 (for /)';
  return null;
}

/** The value at `pointer` in `document`, or undefined when nothing is there. */
export function resolveJsonPointer(document: unknown, pointer: string): unknown {
  let node = document;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      node = node[Number(token)];
    } else if (node !== null && typeof node === 'object' && Object.prototype.hasOwnProperty.call(node, token)) {
      node = (node as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return node;
}
