import { readFileSync } from 'node:fs';
import path from 'node:path';

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
});
