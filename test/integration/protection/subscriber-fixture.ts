import type { Database } from '../../../src/db/database';
import { createRepositories, type Repositories } from '../../../src/db/repositories';
import { freshDatabase } from '../../helpers/database';

/**
 * Repositories on a fresh database for the whole file, and a new subscriber before each test
 * (read them inside tests: `fixture.repos`, `fixture.subscriberId`).
 */
export function useSubscriberFixture(): { repos: Repositories; subscriberId: string } {
  let database: Database | undefined;
  const fixture = {} as { repos: Repositories; subscriberId: string };
  beforeAll(async () => {
    database = await freshDatabase();
    fixture.repos = createRepositories(database.db);
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    fixture.subscriberId = (await fixture.repos.subscribers.create({ url: 'http://127.0.0.1:9/x', events: ['*'], secret: 'whsec_0123456789abcdef' })).id;
  });
  return fixture;
}
