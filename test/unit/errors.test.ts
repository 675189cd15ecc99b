import Fastify from 'fastify';
import { DeadlineError, within } from '../../src/deadline';
import { UnavailableError, installErrorHandler, isDatabaseUnavailable, orUnavailable } from '../../src/errors';

describe('dependency errors', () => {
  it('turns a failed or unanswered dependency call into a 503 with Retry-After', async () => {
    await expect(orUnavailable(Promise.resolve(7), 100, 'down')).resolves.toBe(7);
    await expect(orUnavailable(Promise.reject(new Error('ECONNREFUSED')), 100, 'down')).rejects.toBeInstanceOf(UnavailableError);
    const started = Date.now();
    const hung = orUnavailable(new Promise(() => undefined), 50, 'the event store is unavailable');
    await expect(hung).rejects.toMatchObject({ statusCode: 503, code: 'unavailable', headers: { 'retry-after': '5' } });
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(within(new Promise(() => undefined), 10)).rejects.toBeInstanceOf(DeadlineError);
  });

  it('tells a database that cannot be reached from a query that is wrong', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Failed query', { cause: Object.assign(new Error('terminating connection'), { code: '57P01' }) }))).toBe(true);
    // node-postgres says these by message alone.
    expect(isDatabaseUnavailable(new Error('Failed query', { cause: new Error('Connection terminated unexpectedly') }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Failed query', { cause: new Error('timeout exceeded when trying to connect') }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Failed query', { cause: new Error('syntax error: Connection terminated') }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('Failed query', { cause: Object.assign(new Error('duplicate key'), { code: '23505' }) }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('plain'))).toBe(false);
  });

  it('answers 503 unavailable, not 500, when a route meets a database that is down', async () => {
    const app = Fastify();
    installErrorHandler(app);
    app.get('/down', async () => {
      throw new Error('Failed query: select 1', { cause: new Error('Connection terminated unexpectedly') });
    });
    app.get('/bug', async () => {
      throw new Error('a bug');
    });
    const down = await app.inject({ method: 'GET', url: '/down' });
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(down.json()).toEqual({ error: 'unavailable', message: 'the database is unavailable; retry the request' });
    expect((await app.inject({ method: 'GET', url: '/bug' })).statusCode).toBe(500);
    await app.close();
  });

  it('answers 400, not 500, when the database refuses a value of the request (SQLSTATE class 22)', async () => {
    const app = Fastify();
    installErrorHandler(app);
    app.get('/range', async () => {
      throw new Error('Failed query', { cause: Object.assign(new Error('timestamp out of range'), { code: '22008' }) });
    });
    const res = await app.inject({ method: 'GET', url: '/range' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_value' });
    await app.close();
  });
});
