import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from './cli-process';

// Every command documents itself with an example; bad input is one line and a non-zero exit.

const ROOT = path.resolve(__dirname, '../..');

/** The subcommand names listed in a --help text's "Commands:" section. */
function subcommands(help: string): string[] {
  const section = help.split(/^Commands:\n/m)[1]?.split(/\n\n/)[0] ?? '';
  return section
    .split('\n')
    .map((line) => /^ {2}([a-z][\w-]*)/.exec(line)?.[1])
    .filter((name): name is string => Boolean(name) && name !== 'help');
}

describe('webhookctl help and usage errors', () => {
  it('every command and subcommand answers --help with exit 0 and an example', async () => {
    const seen: string[] = [];
    let level: string[][] = [[]];
    while (level.length) {
      const results = await Promise.all(level.map((cmd) => runCli([...cmd, '--help']).then((res) => ({ cmd, res }))));
      level = [];
      for (const { cmd, res } of results) {
        expect({ cmd, code: res.code, stderr: res.stderr }).toEqual({ cmd, code: 0, stderr: '' });
        expect({ cmd, examples: /\nExamples:\n {2}\$ webhookctl /.test(res.stdout) }).toEqual({ cmd, examples: true });
        seen.push(cmd.join(' '));
        level.push(...subcommands(res.stdout).map((name) => [...cmd, name]));
      }
    }
    expect(seen.sort()).toEqual(
      [
        '',
        'deliveries',
        'deliveries ls',
        'deliveries show',
        'emit',
        'events',
        'events ls',
        'events show',
        'listen',
        'receive',
        'replay',
        'send',
        'sign',
        'subscribers',
        'subscribers add',
        'subscribers enable',
        'subscribers ls',
        'subscribers rm',
        'subscribers rotate',
        'subscribers show',
        'subscribers test',
        'verify',
      ].sort(),
    );
  });

  it.each([
    [['subscribers', 'ls', '--bogus'], "error: unknown option '--bogus'"],
    [['deliveries', 'ls', '--status', 'lost'], "error: option '--status <status>' argument 'lost' is invalid. Allowed choices are pending, succeeded, failed, dead, cancelled, held."],
    [['send', 'order.created', '--data', '{nope'], /^error: option '-d, --data <json>' argument '\{nope' is invalid\. not JSON/],
    [['receive', '--fail-rate', '2'], "error: option '--fail-rate <share>' argument '2' is invalid. must be a number from 0 to 1, such as 0.25"],
    [['replay'], 'webhookctl: name what to replay: delivery ids, or a filter such as --subscriber <id> --since 2h'],
    [['sign', '--body', '{}'], 'webhookctl: give --secret (v1, v2) or --signing-key (v1a)'],
    [['frobnicate'], "error: unknown command 'frobnicate'"],
  ])('%j exits 1 with one line that names the problem', async (args, message) => {
    const res = await runCli(args, { WEBHOOKCTL_TOKEN: 'unused-token', WEBHOOKCTL_API: 'http://127.0.0.1:9' });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    const lines = res.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    if (typeof message === 'string') expect(lines[0]).toBe(message);
    else expect(lines[0]).toMatch(message);
  });

  it('asks for a token when none is given and the folder holds no credentials', async () => {
    const res = await runCli(['deliveries', 'ls'], { WEBHOOKCTL_API: 'http://127.0.0.1:9' });
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr).toBe('webhookctl: no admin token: pass --token, set WEBHOOKCTL_TOKEN, or run in the project folder after `npm start` (.data/credentials.json)\n');
  });

  it('`npx webhookctl --help` works in a fresh clone once its dependencies are installed', () => {
    const clone = mkdtempSync(path.join(tmpdir(), 'webhookctl-clone-'));
    try {
      execFileSync('git', ['clone', '--quiet', ROOT, clone]);
      // `npm ci` from the same lockfile installs this tree (about two minutes, so it is linked here).
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
      const help = execFileSync('npx', ['--no-install', 'webhookctl', '--help'], { cwd: clone, encoding: 'utf8' });
      expect(help).toMatch(/^Usage: webhookctl \[options\] \[command\]/);
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });
});
