import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { embeddedCredentials } from '../../../src/credentials';

// PGlite is an ES module that jest's CommonJS runtime cannot import: open it in a child process.
const OPEN_AND_WRITE = `
  const { openDatabase } = require('./src/db/database');
  const { sql } = require('drizzle-orm');
  (async () => {
    const database = await openDatabase({ dataDir: process.argv[1] });
    await database.db.execute(sql\`create table after_open (x text)\`);
    await database.db.execute(sql\`insert into after_open values ('written after open')\`);
    await database.close();
  })().catch((err) => { console.error(err); process.exit(1); });
`;

// The embedded mode's data dir holds the admin token, the inbound secret and every payload:
// closed to other users of the machine whatever the umask (0700 dirs, 0600 files).

function openModes(root: string): string[] {
  const open: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if ((st.mode & 0o077) !== 0) open.push(`${path.relative(root, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(root);
  return open;
}

describe('.data is closed by default', () => {
  let dir: string;
  let umask: number;

  beforeEach(() => {
    dir = path.join(mkdtempSync(path.join(tmpdir(), 'hookyard-perm-')), 'data');
    // The usual umask, under which new files are world-readable.
    umask = process.umask(0o022);
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('creates the credentials file 0600 in a 0700 directory', () => {
    embeddedCredentials(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, 'credentials.json')).mode & 0o777).toBe(0o600);
  });

  it('leaves no PGlite file or directory readable by others, also after writes', () => {
    execFileSync(process.execPath, ['--import', 'tsx', '-e', OPEN_AND_WRITE, dir], { cwd: path.resolve(__dirname, '../../..'), stdio: 'pipe', timeout: 60_000 });
    expect(statSync(path.join(dir, 'pglite')).isDirectory()).toBe(true);
    expect(openModes(dir)).toEqual([]);
  }, 90_000);
});
