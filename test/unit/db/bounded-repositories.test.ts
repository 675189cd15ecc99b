import { boundedRepositories } from '../../../src/db/bounded-repositories';
import type { Repositories } from '../../../src/db/repositories';
import { DeadlineError } from '../../../src/deadline';

describe('bounded repositories (the worker side of a database that stops answering)', () => {
  const repos = {
    events: {
      rows: 3,
      count() {
        return Promise.resolve(this.rows);
      },
      hang: () => new Promise<never>(() => undefined),
      key: (id: string) => `k:${id}`,
    },
  } as unknown as Repositories & { events: { count(): Promise<number>; hang(): Promise<never>; key(id: string): string } };

  it('passes answers through, keeps `this`, and leaves synchronous methods alone', async () => {
    const bounded = boundedRepositories(repos, 50) as typeof repos;
    await expect(bounded.events.count()).resolves.toBe(3);
    expect(bounded.events.key('a')).toBe('k:a');
  });

  it('turns a call that never settles into a DeadlineError, so the activity fails and is retried', async () => {
    const bounded = boundedRepositories(repos, 50) as typeof repos;
    const started = Date.now();
    await expect(bounded.events.hang()).rejects.toBeInstanceOf(DeadlineError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
