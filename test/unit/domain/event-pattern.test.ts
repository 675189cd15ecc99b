import { isValidPattern, patternsMatching } from '../../../src/domain/event-pattern';

/** What the database's `?|` lookup decides: the pattern is one of those matching the type. */
const matches = (pattern: string, eventType: string) => patternsMatching(eventType).includes(pattern);

describe('event patterns', () => {
  it('matches exact names, prefix wildcards and *', () => {
    expect(matches('order.created', 'order.created')).toBe(true);
    expect(matches('order.*', 'order.created')).toBe(true);
    expect(matches('order.*', 'order.item.added')).toBe(true);
    expect(matches('*', 'anything')).toBe(true);
  });

  it('is case-sensitive and leaks no LIKE wildcards', () => {
    expect(matches('Order.created', 'order.created')).toBe(false);
    expect(matches('order.*', 'orders.created')).toBe(false);
    expect(matches('order%', 'order.created')).toBe(false);
    expect(matches('order_created', 'orderXcreated')).toBe(false);
    expect(patternsMatching('a.b.c')).toEqual(['*', 'a.b.c', 'a.*', 'a.b.*']);
  });

  it('accepts only names, prefix wildcards and *', () => {
    expect(isValidPattern('order.*')).toBe(true);
    expect(isValidPattern('*')).toBe(true);
    expect(isValidPattern('*.created')).toBe(false);
    expect(isValidPattern('order.*.x')).toBe(false);
    expect(isValidPattern('')).toBe(false);
  });
});
