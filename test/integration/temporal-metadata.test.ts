import { startHarness, type Harness } from '../helpers/harness';

// Issue 11, item 7, against the real server: a sender's idempotency key (any text up to 200
// characters) in an event workflow's details stays inside its Markdown code span and within the
// byte limits, whatever it holds: backticks, line breaks, a link, 200 multi-byte characters.

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

describe('Temporal metadata of an event with a hostile key', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ LOG_LEVEL: 'silent', WEBHOOK_ACK_AFTER: 'start' }, { worker: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('keeps a URL-like event type in a code span of the summary', async () => {
    const res = await h.admin('POST', '/events', { event: 'https://evil.example/x', data: {} });
    expect(res.status).toBe(202);
    const description = await h.runtime.client.workflow.getHandle(res.json.workflow_id).describe();
    expect(await description.staticSummary()).toBe('`https://evil.example/x` from `api`');
  });

  it.each([
    ['backticks, a line break and a link', 'k`\n- [open in the admin UI](https://evil.example/)\n`'],
    ['200 multi-byte characters', '订'.repeat(200)],
    ['200 emoji', '😀'.repeat(100)],
    ['a run of backticks', `${'`'.repeat(150)}[x](https://evil.example/)`],
  ])('keeps a key with %s in one code span of the details, within the byte limits', async (_label, key) => {
    const res = await h.admin('POST', '/events', { event: 'meta.hostile', id: key });
    expect(res.status).toBe(202);
    const description = await h.runtime.client.workflow.getHandle(res.json.workflow_id).describe();
    const summary = (await description.staticSummary())!;
    const details = (await description.staticDetails())!;
    expect(utf8(summary)).toBeLessThanOrEqual(200);
    // The type and the source are sender's text too: each in a code span, so a URL-like type is no link.
    expect(summary).toBe('`meta.hostile` from `api`');
    expect(utf8(details)).toBeLessThanOrEqual(4000);
    // Our own lines only: the heading, type, source and key, and the admin UI link when configured.
    const lines = details.split('\n');
    expect(lines[0]).toMatch(/^\*\*Event\*\* `evt_[\w-]+`$/);
    expect(lines[1]).toBe('- type: `meta.hostile`');
    // The fences are whole runs of backticks: a longer run would open no span at all.
    const keyLine = /^- source: `api` · key (`+)(?!`)(.+)(?<!`)\1$/.exec(lines[2]);
    expect(keyLine).not.toBeNull();
    // Nothing inside the span closes it early.
    for (const run of keyLine![2].match(/`+/g) ?? []) expect(run.length).not.toBe(keyLine![1].length);
    expect(lines.slice(3).every((l) => /^- \[open in the admin UI\]\(http[^)]*\/admin\/events\/evt_[\w-]+\)$/.test(l))).toBe(true);
  });
});
