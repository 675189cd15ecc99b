// How a secret is shown once it has been created: enough to tell two apart, never enough to use.

/** The most characters of a secret a mask ever shows. */
export const MASK_REVEALS_AT_MOST = 4;

/**
 * `value` masked: at most its first 4 characters (fewer for a short value: a quarter of it),
 * then `…`. A `whsec_` secret shows `whse…`.
 */
export function maskSecret(value: string): string {
  const shown = Math.min(MASK_REVEALS_AT_MOST, Math.floor(value.length / 4));
  return `${value.slice(0, shown)}…`;
}

/** Why `value` cannot be a secret (blank, or padded with whitespace that copy and paste adds), or null. */
export function secretProblem(value: string): string | null {
  if (value.trim() === '') return 'must not be empty or whitespace';
  if (value.trim() !== value) return 'must not begin or end with whitespace';
  return null;
}
