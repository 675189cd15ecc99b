import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import adminUiRoutes, { ADMIN_UI_DIR } from '../../../src/routes/admin-ui';

// What we ship is closed by default: the image holds no local secrets or data, and runs as a user.

const root = path.join(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('container files', () => {
  it('keeps local data, secrets, git history and build leftovers out of the image', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    for (const entry of ['.data', '.env', '.git', 'node_modules', 'test/.runtime', 'bench/results']) expect(ignored).toContain(entry);
    expect(ignored).toContain('.env.*');
    // The documented example stays available to read.
    expect(ignored).toContain('!.env.example');
  });

  it('runs as a non-root user, set after the last COPY and RUN', () => {
    const lines = read('Dockerfile')
      .split('\n')
      .map((line) => line.trim());
    const lastIndex = (test: RegExp) => lines.reduce((found, line, i) => (test.test(line) ? i : found), -1);
    const user = lastIndex(/^USER\s+/i);
    expect(user).toBeGreaterThan(-1);
    expect(lines[user]).not.toMatch(/^USER\s+(root|0)(:|\s|$)/i);
    const lastBuildStep = lastIndex(/^(COPY|ADD|RUN)\s/i);
    expect(user).toBeGreaterThan(lastBuildStep);
  });

  it('builds the admin UI in its build stage and copies it where the app serves /admin from', async () => {
    const stages = read('Dockerfile')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .reduce<{ name?: string; lines: string[] }[]>((all, line) => {
        const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
        if (from) all.push({ name: from[1], lines: [] });
        else all.at(-1)?.lines.push(line);
        return all;
      }, []);
    const workdir = (stage: { lines: string[] }) => stage.lines.find((l) => /^WORKDIR\s/i.test(l))?.split(/\s+/)[1] ?? '/';
    const final = stages.at(-1)!;
    const copied = final.lines
      .map((l) => /^COPY\s+--from=(\S+)\s+(\S+)\s+(\S+)$/i.exec(l))
      .find((m) => m !== null && m[2]!.endsWith('/dist/admin-ui'));
    expect(copied).toBeDefined();
    const build = stages.find((s) => s.name === copied![1]);
    expect(build).toBeDefined();
    // The build stage copies the sources, then builds the UI into its own dist/admin-ui.
    const buildLines = build!.lines;
    const ui = buildLines.findIndex((l) => /^RUN\s+npm run ui:build\b/.test(l));
    expect(ui).toBeGreaterThan(buildLines.findIndex((l) => /^COPY\s+\.\s+\./.test(l)));
    expect(copied![2]).toBe(path.posix.join(workdir(build!), 'dist/admin-ui'));
    // In the image, the app (WORKDIR) finds it where ADMIN_UI_DIR points in this checkout.
    const inImage = path.posix.relative(workdir(final), path.posix.resolve(workdir(final), copied![3]!));
    expect(inImage).toBe(path.relative(root, ADMIN_UI_DIR).split(path.sep).join('/'));

    // And what the build makes there is what /admin serves (scripts/setup.sh builds it for npm test).
    const app = Fastify();
    await app.register(adminUiRoutes, { root: path.join(root, inImage) });
    const page = await app.inject({ method: 'GET', url: '/admin' });
    expect([page.statusCode, page.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    const asset = /src="(\/admin\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(asset).toBeDefined();
    expect((await app.inject({ method: 'GET', url: asset! })).statusCode).toBe(200);
    await app.close();
  });
});
