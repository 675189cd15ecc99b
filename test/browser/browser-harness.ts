import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_UI_DIR } from '../../src/routes/admin-ui';
import { freePort } from '../../src/temporal/dev-server';
import { ADMIN_TOKEN, startHarness, type Harness } from '../helpers/harness';

// The real app on a loopback port (with a worker, Temporal and PostgreSQL behind it), and
// Debian's Chromium driven by playwright-core.

const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(__dirname, '../.runtime/screenshots');
export const TEMPORAL_UI = 'http://127.0.0.1:8233';

/**
 * Installs Debian's Chromium when it is missing (the tests' one system dependency). Both browser
 * test files may get here at once: a lock lets one install while the other waits.
 */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const install = `test -x ${CHROMIUM} || { apt-get update -qq && apt-get install -y -qq chromium; }`;
  execFileSync('flock', ['/tmp/hookyard-chromium.lock', 'sh', '-c', install], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

export interface UiHarness {
  h: Harness;
  base: string;
  browser: Browser;
  /** A new page (its own session storage) at the given viewport. */
  page(viewport?: { width: number; height: number }): Promise<Page>;
  stop(): Promise<void>;
}

export async function startUiHarness(): Promise<UiHarness> {
  if (!existsSync(path.join(ADMIN_UI_DIR, 'index.html'))) throw new Error('the admin UI is not built: run `bash scripts/setup.sh --test` (or `npm run ui:build`)');
  ensureChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // PUBLIC_URL makes the admin links in the workflows' details point at this server.
  const [h, browser] = await Promise.all([
    startHarness({ PUBLIC_URL: base, LOG_LEVEL: 'silent' }, { temporalUiUrl: TEMPORAL_UI }),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    }),
  ]);
  await h.app.listen({ port, host: '127.0.0.1' });
  return {
    h,
    base,
    browser,
    async page(viewport = { width: 1280, height: 800 }) {
      const context = await browser.newContext({ viewport, baseURL: base });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      return page;
    },
    async stop() {
      await browser.close();
      await h.stop();
    },
  };
}

export async function signIn(page: Page, token = ADMIN_TOKEN): Promise<void> {
  await page.goto('/admin');
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

export const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

/** The serious and critical axe violations of the page as it is now. */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Only the violations are collected in full, which makes a run several times quicker.
  const result = await new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}
