// Subscriber event patterns: an exact name, a prefix wildcard such as `order.*`, or `*`.
// Matching is exact and case-sensitive. No SQL LIKE is involved anywhere.

const PATTERN = /^(\*|[^*\s]+(\.\*)?)$/;

export function isValidPattern(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= 200 && PATTERN.test(pattern);
}

/**
 * Every pattern that matches `eventType`: the name itself, each `prefix.*` ending at a dot, and `*`.
 * The database looks these up with the jsonb `?|` operator on an indexed column.
 */
export function patternsMatching(eventType: string): string[] {
  const patterns = ['*', eventType];
  for (let i = eventType.indexOf('.'); i !== -1; i = eventType.indexOf('.', i + 1)) {
    patterns.push(`${eventType.slice(0, i)}.*`);
  }
  return patterns;
}
