import type { Page } from 'playwright-core';
import { ADMIN_TOKEN, eventually } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { seriousViolations, shot, signIn, startUiHarness, type UiHarness } from './browser-harness';

// What every page owes its users: payload values rendered as text (XSS), no serious or
// critical axe violations, and a 375 px screen with no sideways scrolling.

const SCRIPT = '<script>window.__xss = "script"</script>';
const IMG = '<img src=x onerror="window.__xss = \'img\'">';
const JS_URL = 'javascript:window.__xss="href"';
// Event names cannot carry markup at all: the event-type alphabet (src/domain/event-type.ts)
// refuses it at every entry (asserted below); markup travels in payloads, names and headers. A
// `javascript:` URL fits the alphabet, so the event's name is one: it must stay text too.
const EVENT = 'javascript:xss.markup';

describe('admin UI: safe, accessible and usable on a phone', () => {
  let ui: UiHarness;
  let hostile: Receiver;
  let pages: { path: string; name: string }[];

  beforeAll(async () => {
    // The receiver answers with markup too, so response bodies carry it.
    [ui, hostile] = await Promise.all([startUiHarness(), startReceiver(() => ({ status: 500, headers: { 'content-type': 'text/html' }, body: `${SCRIPT}${IMG}` }))]);
    const sub = await ui.h.admin('POST', '/subscribers', {
      url: hostile.url,
      events: ['*'],
      name: IMG,
      description: SCRIPT,
      headers: { 'X-Link': JS_URL },
    });
    expect(sub.status).toBe(201);
    expect((await ui.h.admin('POST', '/events', { event: `xss.${SCRIPT}`, data: {} })).status).toBe(400);
    const sent = await ui.h.admin('POST', '/events', { event: EVENT, data: { html: IMG, script: SCRIPT, link: JS_URL, [SCRIPT]: 1 } });
    expect(sent.status).toBeLessThan(300);
    const dead = await eventually(async () => (await ui.h.admin('GET', '/dead-letters')).json.data[0], 30_000);
    pages = [
      { path: '/admin', name: 'dashboard' },
      { path: '/admin/subscribers', name: 'subscribers' },
      { path: `/admin/subscribers/${sub.json.id}`, name: 'subscriber-edit' },
      { path: '/admin/subscribers/new', name: 'subscriber-new' },
      { path: '/admin/deliveries', name: 'deliveries' },
      { path: `/admin/deliveries/${dead.id}`, name: 'delivery' },
      { path: '/admin/events', name: 'events' },
      { path: `/admin/events/${sent.json.event_id}`, name: 'event' },
      { path: '/admin/dead-letters', name: 'dead-letters' },
      { path: '/admin/sandbox', name: 'sandbox' },
    ];
  }, 300_000); // A first run may install Chromium.
  afterAll(async () => {
    await ui?.stop();
    await hostile?.close();
  });

  /** Opens a page and waits until it has loaded its data, with every disclosure open. */
  async function open(page: Page, path: string): Promise<void> {
    await page.goto(path);
    await page.locator('main h1').waitFor();
    // A locator, not waitForFunction: the page's CSP forbids the eval that a string predicate needs.
    await page.locator('main .state[role=status]').first().waitFor({ state: 'detached' });
    // (A string, not a function: the tests compile without the DOM's types.)
    await page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");
  }

  it('renders payloads, event names, headers and response bodies containing markup as text on every page', async () => {
    const page = await ui.page();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await signIn(page);
    for (const p of pages) {
      await open(page, p.path);
      // Text that came from payloads is on the page as text.
      if (p.name === 'subscribers') expect(await page.locator('main').innerText()).toContain(IMG);
      if (['deliveries', 'events', 'event', 'dead-letters'].includes(p.name)) await page.getByText(EVENT).first().waitFor();
      // (JSON escapes the quotes inside, so the check stops before them.)
      if (p.name === 'event') expect(await page.getByLabel('Event payload').innerText()).toContain('<script>window.__xss = ');
      if (p.name === 'delivery') expect(await page.getByLabel('Response body of attempt 1').innerText()).toContain(SCRIPT);
      expect(await page.evaluate('window.__xss')).toBeUndefined();
      expect(await page.locator('main img, main script').count()).toBe(0);
      expect(await page.locator('a[href^="javascript:" i]').count()).toBe(0);
    }
    // The edit form holds the values as values, not markup.
    await open(page, pages.find((p) => p.name === 'subscriber-edit')!.path);
    expect(await page.getByLabel('Name').inputValue()).toBe(IMG);
    // Header values are masked after create (they usually authenticate us): the mask is shown as text.
    expect(await page.getByLabel('Extra headers').inputValue()).toMatch(/X-Link: .{0,4}…/);
    // The sandbox shows the gateway's answer and the received body as text too.
    await open(page, '/admin/sandbox');
    await page.getByLabel('Event type').fill(EVENT);
    await page.getByLabel('Data (JSON)').fill(JSON.stringify({ html: IMG, link: JS_URL }));
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await page.getByRole('button', { name: 'What it received' }).first().click();
    await page.getByLabel('Body the subscriber received').getByText('javascript:window.__xss=').waitFor();
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('main img, a[href^="javascript:" i]').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await shot(page, 'xss-sandbox');
    await page.context().close();
  });

  it('has no serious or critical axe violations on any page, the sign-in page included', async () => {
    const page = await ui.page();
    await page.goto('/admin');
    await page.getByLabel('Admin token').waitFor();
    const found: Record<string, string[]> = { 'sign-in': await seriousViolations(page) };
    await signIn(page);
    for (const p of pages) {
      await open(page, p.path);
      found[p.name] = await seriousViolations(page);
    }
    expect(Object.fromEntries(Object.entries(found).filter(([, v]) => v.length > 0))).toEqual({});
    await page.context().close();
    // axe is CPU-bound: slack for a busy machine.
  }, 150_000);

  it('works from the keyboard: sign in, skip to the content, move between pages', async () => {
    const page = await ui.page();
    await page.goto('/admin');
    await page.getByLabel('Admin token').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
    await page.getByRole('link', { name: 'Dead letters' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Dead letters' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/dead-letters');
    await page.context().close();
  });

  it('is usable at 375 px: every page fits, tables included, and the navigation stays reachable', async () => {
    const page = await ui.page({ width: 375, height: 740 });
    await signIn(page);
    const overflow: Record<string, unknown> = {};
    for (const p of pages) {
      await open(page, p.path);
      const widths = await page.evaluate<{ page: number; tables: number[] }>(
        "({ page: document.documentElement.scrollWidth, tables: [...document.querySelectorAll('.table-wrap')].map((t) => t.scrollWidth - t.clientWidth) })",
      );
      if (widths.page > 375 || widths.tables.some((w) => w > 0)) overflow[p.name] = widths;
      await shot(page, `narrow-${p.name}`);
    }
    expect(overflow).toEqual({});
    // Every page stays one tap away.
    for (const name of ['Dashboard', 'Subscribers', 'Deliveries', 'Events', 'Dead letters', 'Sandbox']) {
      expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).isVisible()).toBe(true);
    }
    await page.context().close();
  });
});
