import { DuplicateTransformError, TransformFailedError, createTransformRegistry } from '../../../src/transforms/registry';

const about = { id: 'evt_1', type: 'order.created', timestamp: 1, agentId: null };

describe('the transform registry', () => {
  it.each([
    ['a function', () => () => 1, /returned something that is not JSON \(function\)/],
    ['undefined', () => undefined, /returned something that is not JSON \(undefined\)/],
    ['a promise', async () => ({ ok: true }), /returned a promise \(transforms are synchronous\)/],
    ['a BigInt', () => ({ n: BigInt(1) }), /returned something that is not JSON \(.*BigInt/],
  ])('refuses a transform that returns %s', (_what, fn, message) => {
    const registry = createTransformRegistry({ odd: fn });
    expect(() => registry.render('odd', about, {})).toThrow(TransformFailedError);
    expect(() => registry.render('odd', about, {})).toThrow(message);
  });

  it('names the transform and its error when it throws', () => {
    const registry = createTransformRegistry({ explode: () => { throw new Error('boom'); } });
    expect(() => registry.render('explode', about, {})).toThrow('transform "explode" threw: boom');
  });

  it('renders the envelope unchanged when no transform is named', () => {
    expect(createTransformRegistry().render(null, about, { a: 1 })).toBe('{"a":1}');
  });

  it('refuses a second transform under a taken name', () => {
    const registry = createTransformRegistry();
    expect(() => registry.register('slack-text', (_e, p) => p)).toThrow(DuplicateTransformError);
  });
});
