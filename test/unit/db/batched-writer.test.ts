import { createBatchedWriter } from '../../../src/db/batched-writer';

/** A store whose statements resolve when the test says so, recording each statement's items. */
function controlledStore() {
  const statements: { items: number[]; release(): void }[] = [];
  const statement = (items: number[]) =>
    new Promise<void>((resolve) => statements.push({ items, release: resolve }));
  return {
    statements,
    writeMany: jest.fn(async (items: number[]) => {
      await statement(items);
      if (items.includes(13)) throw new Error('one bad row fails the statement');
      return items.map((n) => n * 10);
    }),
    writeOne: jest.fn(async (item: number) => {
      await statement([item]);
      if (item === 13) throw new Error(`row ${item} is bad`);
      return item * 10;
    }),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('batched writer (group commit)', () => {
  it('writes a lone item alone, at once', async () => {
    const store = controlledStore();
    const writer = createBatchedWriter({ writeMany: store.writeMany, writeOne: store.writeOne });
    const result = writer.write(1);
    await tick();
    expect(store.statements.map((s) => s.items)).toEqual([[1]]);
    store.statements[0]!.release();
    await expect(result).resolves.toBe(10);
    expect(store.writeMany).not.toHaveBeenCalled();
  });

  it('batches what arrives while statements are in flight, and answers each caller with its own result', async () => {
    const store = controlledStore();
    const writer = createBatchedWriter({ writeMany: store.writeMany, writeOne: store.writeOne, maxInFlight: 1, maxBatch: 3 });
    const first = writer.write(1);
    await tick();
    const later = [2, 3, 4, 5].map((n) => writer.write(n));
    await tick();
    // One statement in flight: the others wait for it.
    expect(store.statements.map((s) => s.items)).toEqual([[1]]);
    store.statements[0]!.release();
    await first;
    await tick();
    expect(store.statements.map((s) => s.items)).toEqual([[1], [2, 3, 4]]);
    store.statements[1]!.release();
    await tick();
    expect(store.statements.map((s) => s.items)).toEqual([[1], [2, 3, 4], [5]]);
    store.statements[2]!.release();
    await expect(Promise.all(later)).resolves.toEqual([20, 30, 40, 50]);
  });

  it('items parsed in one turn of the event loop share the first statement', async () => {
    const store = controlledStore();
    const writer = createBatchedWriter({ writeMany: store.writeMany, writeOne: store.writeOne });
    const results = [1, 2, 3].map((n) => writer.write(n));
    await tick();
    expect(store.statements.map((s) => s.items)).toEqual([[1, 2, 3]]);
    store.statements[0]!.release();
    await expect(Promise.all(results)).resolves.toEqual([10, 20, 30]);
  });

  it('when a batch fails, writes its items one by one so only the bad item is refused', async () => {
    const store = controlledStore();
    const writer = createBatchedWriter({ writeMany: store.writeMany, writeOne: store.writeOne });
    const results = [12, 13, 14].map((n) => writer.write(n).then((v) => ({ ok: v }), (err: Error) => ({ err: err.message })));
    await tick();
    store.statements[0]!.release();
    await tick();
    await tick();
    expect(store.statements.slice(1).map((s) => s.items)).toEqual([[12], [13], [14]]);
    store.statements.slice(1).forEach((s) => s.release());
    await expect(Promise.all(results)).resolves.toEqual([{ ok: 120 }, { err: 'row 13 is bad' }, { ok: 140 }]);
  });

  it('never puts two items with one key in a batch: the second goes in the next, and order is kept', async () => {
    const store = controlledStore();
    const writer = createBatchedWriter({ writeMany: store.writeMany, writeOne: store.writeOne, maxInFlight: 1, keyOf: (n: number) => String(n % 10) });
    const first = writer.write(1);
    await tick();
    const rest = [writer.write(2), writer.write(12), writer.write(3), writer.write(22)];
    store.statements[0]!.release();
    await first;
    await tick();
    expect(store.statements[1]!.items).toEqual([2, 3]);
    store.statements[1]!.release();
    await tick();
    await tick();
    expect(store.statements[2]!.items).toEqual([12]);
    store.statements[2]!.release();
    await tick();
    await tick();
    expect(store.statements[3]!.items).toEqual([22]);
    store.statements[3]!.release();
    await expect(Promise.all(rest)).resolves.toEqual([20, 120, 30, 220]);
  });
});
