import fc from 'fast-check';
import { maskSecret, secretProblem } from '../../../src/domain/secret-mask';

describe('secret masks', () => {
  it('reveals at most 4 characters, whatever the secret', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (secret) => {
        const mask = maskSecret(secret);
        expect(mask.endsWith('…')).toBe(true);
        expect(mask.length - 1).toBeLessThanOrEqual(4);
        expect(mask.length - 1).toBeLessThanOrEqual(secret.length / 4);
        expect(secret.startsWith(mask.slice(0, -1))).toBe(true);
      }),
      { numRuns: 1000 },
    );
    expect(maskSecret(`whsec_${'A'.repeat(44)}`)).toBe('whse…');
    expect(maskSecret('short')).toBe('s…');
  });

  it.each(['', ' ', '\t\n', ' secret-with-space', 'secret-with-newline\n'])('refuses the secret %j', (secret) => {
    expect(secretProblem(secret)).toEqual(expect.any(String));
  });

  it('accepts a secret with inner spaces', () => {
    expect(secretProblem('correct horse battery staple')).toBeNull();
  });
});
