import { resolveJsonPointer, jsonPointerProblem } from '../../../src/domain/json-pointer';
import { checkedOrderingKey, InvalidOrderingKeyError, orderedKeyWorkflowId } from '../../../src/domain/ordering-key';
import { orderingKeyOf } from '../../../src/inbound/gateway';

describe('ordering keys', () => {
  it('accepts printable ASCII without spaces up to 256 characters, and names the field otherwise', () => {
    expect(checkedOrderingKey('customer:cus_42/order#7', 'ordering_key')).toBe('customer:cus_42/order#7');
    expect(checkedOrderingKey(undefined, 'ordering_key')).toBeNull();
    for (const bad of ['', 'a b', 'é', 'k'.repeat(257), 42, { a: 1 }]) {
      expect(() => checkedOrderingKey(bad, 'ordering_key')).toThrow(InvalidOrderingKeyError);
    }
    expect(() => checkedOrderingKey('a b', 'the ordering key at /data/id')).toThrow(/^the ordering key at \/data\/id must be/);
  });

  it('names one workflow per (subscriber, key), without the sender-chosen key in the id', () => {
    const id = orderedKeyWorkflowId('sub-1', 'customer 42 / secret-ish');
    expect(id).toMatch(/^order:sub-1:[A-Za-z0-9_-]{22}$/);
    expect(orderedKeyWorkflowId('sub-1', 'customer 42 / secret-ish')).toBe(id);
    expect(orderedKeyWorkflowId('sub-2', 'customer 42 / secret-ish')).not.toBe(id);
  });
});

describe('JSON pointers (RFC 6901)', () => {
  const doc = { data: { 'a/b': { '~k': 'x' }, list: [{ id: 7 }], customer: null } };

  it('resolves escapes and array indexes, and answers undefined for what is not there', () => {
    expect(resolveJsonPointer(doc, '/data/a~1b/~0k')).toBe('x');
    expect(resolveJsonPointer(doc, '/data/list/0/id')).toBe(7);
    expect(resolveJsonPointer(doc, '/data/list/01/id')).toBeUndefined();
    expect(resolveJsonPointer(doc, '/data/missing/id')).toBeUndefined();
    expect(resolveJsonPointer(doc, '/data/toString')).toBeUndefined();
  });

  it('refuses pointers that do not start with / or misuse ~', () => {
    expect(jsonPointerProblem('/data/id')).toBeNull();
    expect(jsonPointerProblem('data/id')).toMatch(/starting with \//);
    expect(jsonPointerProblem('/a~2')).toMatch(/~0/);
    expect(jsonPointerProblem('')).not.toBeNull();
  });

  it('reads a source key: a number as its text, null as unkeyed, an object refused', () => {
    expect(orderingKeyOf(doc, '/data/list/0/id')).toBe('7');
    expect(orderingKeyOf(doc, '/data/customer')).toBeNull();
    expect(orderingKeyOf(doc, null)).toBeNull();
    expect(() => orderingKeyOf(doc, '/data/list')).toThrow(/the ordering key at \/data\/list must be/);
  });
});
