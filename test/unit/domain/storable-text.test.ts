import { assertStorable, findUnstorableText, isStorableText, UnstorableTextError } from '../../../src/domain/storable-text';

describe('storable text', () => {
  it.each([
    ['a NUL', 'a\u0000b'],
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone high surrogate at the end', 'a\udbff'],
    ['a lone low surrogate', '\udc00a'],
    ['two high surrogates', '\ud800\ud800\udc00'],
  ])('refuses %s', (_label, text) => {
    expect(isStorableText(text)).toBe(false);
  });

  it.each(['', 'order.created', '订单.创建', '😀 emoji pair', '\u0001 other controls'])('accepts %j', (text) => {
    expect(isStorableText(text)).toBe(true);
  });

  it('names the first field that cannot be stored, in values and in keys', () => {
    expect(findUnstorableText({ a: [1, 'ok', { b: 'x\u0000' }] }, 'data')).toBe('data.a.2.b');
    expect(findUnstorableText({ ok: { 'bad\ud800': 1 } }, 'body')).toBe('body.ok.bad?');
    expect(findUnstorableText('\ud800', 'id')).toBe('id');
    expect(findUnstorableText({ a: [1, null, true, { b: '😀' }] }, 'data')).toBeNull();
  });

  it('walks a deeply nested value without exhausting the stack', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableText(deep, 'data')).toMatch(/^data(\.0)+$/);
  });

  it('throws an error that names the field and says why', () => {
    expect(() => assertStorable({ name: 'a\u0000' }, 'body')).toThrow(UnstorableTextError);
    expect(() => assertStorable({ name: 'a\u0000' }, 'body')).toThrow(/^body\.name: holds a NUL character or an unpaired UTF-16 surrogate/);
  });
});
