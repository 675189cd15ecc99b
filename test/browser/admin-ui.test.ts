import { WorkflowNotFoundError } from '@temporalio/client';
import type { Page } from 'playwright-core';
import { subscribers } from '../../src/db/schema';
import { eventually, INBOUND_SECRET } from '../helpers/harness';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { TEMPORAL_UI, shot, signIn, startUiHarness, type UiHarness } from './browser-harness';

// The operator's walk through the admin UI (issue 12), in one browser against the real app:
// each step saves a screenshot under test/.runtime/screenshots.

describe('admin UI: an operator runs the platform from a browser', () => {
  let ui: UiHarness;
  let ok: Receiver;
  let flaky: Receiver;
  let page: Page;
  const state: { subscriberId?: string; deliveryId?: string; deadId?: string; deadWorkflowId?: string; flakyId?: string } = {};

  beforeAll(async () => {
    [ui, ok, flaky] = await Promise.all([startUiHarness(), startReceiver(), startReceiver(() => ({ status: 500, body: 'down for the test' }))]);
    page = await ui.page();
  }, 300_000); // A first run may install Chromium.
  afterAll(async () => {
    await ui?.stop();
    await ok?.close();
    await flaky?.close();
  });

  it('1. signs in with the admin token (a wrong one is refused in the page)', async () => {
    await page.goto('/admin');
    await page.getByLabel('Admin token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token is not the admin token.').waitFor();
    await signIn(page);
    expect(await page.evaluate("sessionStorage.getItem('hookyard.adminToken')")).toBeTruthy();
    expect(await page.evaluate('localStorage.length')).toBe(0);
    // Sign-out forgets the token; signing in again brings the pages back.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('hookyard.adminToken')")).toBeNull();
    await signIn(page);
    await shot(page, '1-signed-in');
  });

  it('2. creates a subscriber for a loopback receiver, with the server validation shown next to the field', async () => {
    await page.getByRole('link', { name: 'Subscribers' }).click();
    await page.getByRole('link', { name: 'New subscriber' }).click();
    await page.getByLabel('Name').fill('Loopback receiver');
    await page.getByLabel('URL').fill('ftp://nope');
    await page.getByLabel('Event patterns').fill('sandbox.*');
    await page.getByRole('button', { name: 'Create subscriber' }).click();
    // The server's 400 detail for `url`, next to the URL field.
    await page.locator('#url-error').getByText('must be an http(s) URL').waitFor();
    await page.getByLabel('URL').fill(ok.url);
    await page.getByRole('button', { name: 'Create subscriber' }).click();
    const secret = page.locator('.secret code').first();
    await secret.waitFor();
    expect(await secret.textContent()).toMatch(/^whsec_/);
    // Beside the secret, shown once, the v1a public key that receivers verify with.
    expect(await page.getByLabel('Public key', { exact: true }).textContent()).toMatch(/^whpk_/);
    await page.getByRole('button', { name: 'Copy secret' }).waitFor();
    await shot(page, '2-subscriber-created');
    const list = await ui.h.admin('GET', '/subscribers');
    state.subscriberId = list.json.data.find((s: { name: string }) => s.name === 'Loopback receiver').id;
    await page.getByRole('link', { name: 'Back to subscribers' }).click();
    await page.getByRole('cell', { name: 'Loopback receiver' }).waitFor();
  });

  it('2b. edits, deactivates and activates the subscriber, rotates its secret and sends it a test', async () => {
    const row = () => page.getByRole('row', { name: /Loopback receiver/ });
    await row().getByRole('button', { name: 'Deactivate' }).click();
    await row().getByText('disabled: deactivated by an admin').waitFor();
    await page.getByLabel('Active').selectOption('false');
    await row().waitFor();
    await page.getByLabel('Active').selectOption('true');
    await page.getByText('No subscriber matches.').waitFor();
    await page.getByLabel('Active').selectOption('');
    await row().getByRole('button', { name: 'Activate' }).click();
    await row().getByRole('button', { name: 'Deactivate' }).waitFor();

    const before = (await ui.h.admin('GET', `/subscribers/${state.subscriberId}`)).json.secret;
    await row().getByRole('button', { name: 'Rotate secret' }).click();
    const shown = await page.getByRole('region', { name: 'New secret' }).locator('code').textContent();
    expect(shown).toMatch(/^whsec_/);
    expect(shown!.slice(0, 9)).not.toBe(before.slice(0, 9));
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByRole('region', { name: 'New secret' }).count()).toBe(0);

    await row().getByRole('button', { name: 'Send test' }).click();
    await page.getByText('Test event sent to Loopback receiver').waitFor();
    await ok.waitFor(1);

    await page.getByRole('link', { name: 'Loopback receiver' }).click();
    // The v1a public key is shown on the subscriber's page: receivers verify with it.
    const { public_key: publicKey } = (await ui.h.admin('GET', `/subscribers/${state.subscriberId}`)).json;
    expect(publicKey).toMatch(/^whpk_/);
    expect(await page.getByLabel('Public key', { exact: true }).textContent()).toBe(publicKey);
    await page.getByLabel('Description').fill('Receives the sandbox events');
    await page.getByLabel('Ordered delivery per key').check();
    await page.getByLabel('When a keyed delivery dies').selectOption('skip');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();
    expect((await ui.h.admin('GET', `/subscribers/${state.subscriberId}`)).json).toMatchObject({ description: 'Receives the sandbox events', ordered_delivery: true, ordering_on_dead: 'skip' });
    await shot(page, '2b-subscriber-edited');
    await page.getByRole('link', { name: 'Subscribers' }).click();
  });

  it('3. sends a signed event from the sandbox through the inbound gateway', async () => {
    await page.getByRole('link', { name: 'Sandbox' }).click();
    await page.getByLabel('Event type').fill('sandbox.order');
    await page.getByLabel('Data (JSON)').fill('{"order": 42}');
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await page.getByRole('heading', { name: /Gateway answer: 20[02]/ }).waitFor();
    expect(await page.content()).not.toContain(INBOUND_SECRET);
    await shot(page, '3-sandbox-sent');
  });

  it('4. sees the delivery succeed without a reload', async () => {
    await page.locator('.card .badge', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'What it received' }).click();
    await page.getByLabel('Body the subscriber received').getByText('"order": 42').waitFor();
    expect(ok.requests.some((r) => JSON.parse(r.body).data?.order === 42)).toBe(true);
    await shot(page, '4-delivery-succeeded');
  });

  it('5. opens the delivery attempts: headers masked, body, response, latency, and the Temporal UI link', async () => {
    await page.getByRole('link', { name: 'Delivery details' }).click();
    await page.getByRole('heading', { name: 'Attempt 1' }).waitFor();
    state.deliveryId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.getByText('Request headers (secrets masked)').click();
    const headers = await page.locator('table.kv').innerText();
    expect(headers.toLowerCase()).toContain('content-type');
    const delivery = await ui.h.admin('GET', `/deliveries/${state.deliveryId}`);
    // Settled at its first attempt (in the event workflow's fan-out), it has no workflow of its
    // own: the one Temporal link opens its event workflow, which exists.
    await expect(ui.h.runtime.client.workflow.getHandle(delivery.json.workflow_id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    const eventWorkflow = `event/${delivery.json.event_id}`;
    await ui.h.runtime.client.workflow.getHandle(eventWorkflow).describe();
    expect(await page.getByRole('link', { name: 'Open in the Temporal UI' }).getAttribute('href')).toBe(`${TEMPORAL_UI}/namespaces/default/workflows/${encodeURIComponent(eventWorkflow)}`);
    expect(await page.getByRole('link', { name: 'its event workflow' }).count()).toBe(0);
    await page.getByLabel('Response body of attempt 1').waitFor();
    await shot(page, '5-delivery-attempts');
  });

  it('6. forces a dead letter, replays it by filter as a job, and sees the replay succeed', async () => {
    const sub = await ui.h.admin('POST', '/subscribers', { url: flaky.url, events: ['flaky.*'], name: 'Flaky receiver' });
    const sent = await ui.h.admin('POST', '/sandbox/send', { event: 'flaky.thing', data: { n: 1 } });
    const dead = await eventually(async () => {
      const d = await ui.h.admin('GET', `/dead-letters?subscriber_id=${sub.json.id}`);
      return d.json.data[0];
    }, 30_000);
    expect(dead.event_id).toBe(sent.json.response.event_id);
    state.deadId = dead.id;
    state.flakyId = sub.json.id;
    state.deadWorkflowId = dead.workflow_id;
    flaky.respond(() => ({ status: 200, body: 'back' }));

    // The subscriber list and the subscriber's page show the endpoint failing.
    await page.getByRole('link', { name: 'Subscribers' }).click();
    await page.getByRole('row', { name: /Flaky receiver/ }).getByText('failing 0.0%').waitFor();
    await page.getByRole('row', { name: /Loopback receiver/ }).getByText('healthy 100.0%').waitFor();
    await page.getByRole('link', { name: 'Flaky receiver' }).click();
    await page.getByRole('region', { name: 'Health' }).getByText('0.0% of 7 attempts').waitFor();
    await shot(page, '6a-subscriber-failing');

    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.getByLabel('Subscriber').selectOption(sub.json.id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/subscriber_id=/);
    await page.getByRole('link', { name: dead.id }).waitFor();
    await page.getByRole('button', { name: 'Count matches' }).click();
    await page.getByText('1 dead letter(s) match these filters.').waitFor();
    await page.getByRole('button', { name: 'Replay all that match' }).click();
    await page.getByRole('region', { name: 'Replay job' }).getByText('completed').waitFor({ timeout: 30_000 });
    expect(await page.getByRole('region', { name: 'Replay job' }).innerText()).toMatch(/1 of 1 processed, 1 replayed/);
    await shot(page, '6-dead-letter-replayed');

    await page.goto(`/admin/deliveries?subscriber_id=${sub.json.id}&status=succeeded`);
    await page.locator('td .badge', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    await shot(page, '6b-replay-succeeded');
  });

  it('6b. selects a dead letter in the list and replays it', async () => {
    const before = flaky.requests.length;
    await page.goto(`/admin/dead-letters?subscriber_id=${state.flakyId}`);
    await page.getByLabel(`Select delivery ${state.deadId}`).check();
    await page.getByRole('button', { name: 'Replay selected (1)' }).click();
    await page.getByText('Replaying 1 selected dead letter(s).').waitFor();
    await flaky.waitFor(before + 1);
    // Its second replay (step 6 made the first), a delivery of its own that succeeds.
    await eventually(async () => (await ui.h.admin('GET', `/deliveries/${state.deadId}-r2`)).json.status === 'succeeded', 30_000);
  });

  it('6c. retries a pending delivery now, then cancels it, from its page', async () => {
    const slow = await startReceiver(() => ({ status: 503, body: 'busy', delayMs: 1_500 }));
    try {
      await ui.h.admin('POST', '/subscribers', { url: slow.url, events: ['slow.*'], name: 'Slow receiver' });
      const sent = await ui.h.admin('POST', '/sandbox/send', { event: 'slow.thing', data: {} });
      const pending = await eventually(async () => {
        const e = await ui.h.admin('GET', `/events/${sent.json.response.event_id}`);
        return e.json.deliveries?.find((d: { status: string; attempts: number }) => d.status === 'pending' && d.attempts >= 1);
      }, 30_000);
      await page.goto(`/admin/deliveries/${pending.id}`);
      await page.getByRole('button', { name: 'Retry now' }).click();
      await page.getByText('Retry requested').waitFor();
      await page.getByRole('button', { name: 'Cancel delivery' }).click();
      await page.getByText('Cancel requested.').waitFor();
      // The page refreshes itself until the delivery settles.
      await page.locator('.summary .badge', { hasText: 'cancelled' }).waitFor({ timeout: 30_000 });
      await shot(page, '6c-delivery-cancelled');
    } finally {
      await slow.close();
    }
  });

  it('6d. shows a disabled subscriber\'s held backlog and re-enables it with a replay of what was held, in one action', async () => {
    const sub = await ui.h.admin('POST', '/subscribers', { url: ok.url, events: ['kept.*'], name: 'Disabled receiver', active: false });
    const sent = await ui.h.admin('POST', '/events', { event: 'kept.thing', data: { kept: true } });
    await eventually(async () => (await ui.h.admin('GET', `/deliveries?status=held&subscriber_id=${sub.json.id}`)).json.data.length === 1, 30_000);
    const before = ok.requests.length;
    await page.goto(`/admin/subscribers/${sub.json.id}`);
    const protection = page.getByLabel('Endpoint protection');
    await protection.getByText('0 waiting, 1 held').waitFor();
    await protection.locator('.badge', { hasText: 'disabled' }).waitFor();
    await shot(page, '6d-subscriber-disabled');
    await protection.getByRole('button', { name: 'Enable and replay 1 held' }).click();
    await protection.getByRole('region', { name: 'Replay job' }).getByText('completed').waitFor({ timeout: 30_000 });
    await protection.locator('.badge', { hasText: 'normal' }).waitFor();
    await eventually(async () => ok.requests.slice(before).some((r) => JSON.parse(r.body).data?.kept === true), 30_000);
    expect(sent.status).toBe(202);
  });

  it('7. draws the dashboard charts from the stats', async () => {
    await page.getByRole('link', { name: 'Dashboard' }).click();
    // On a timeout, say what the page shows instead (an error box, for example).
    await page
      .locator('figure.chart canvas')
      .first()
      .waitFor()
      .catch(async (err: Error) => {
        throw new Error(`${err.message}\nthe page shows: ${await page.locator('main').innerText()}`);
      });
    expect(await page.locator('figure.chart canvas').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.tile', { hasText: 'Success rate' }).innerText()).toMatch(/\d+\.\d%/);
    await page.getByRole('cell', { name: 'Flaky receiver' }).waitFor();
    await shot(page, '7-dashboard');
  });

  it('7a. refreshes the dashboard by itself as new attempts land, without a reload', async () => {
    const attempts = page.locator('.tile', { hasText: 'Attempts' }).locator('.tile-value');
    const before = Number(await attempts.innerText());
    const sent = ok.requests.length;
    await ui.h.admin('POST', '/sandbox/send', { event: 'sandbox.refresh', data: {} });
    await ok.waitFor(sent + 1);
    await eventually(async () => Number(await attempts.innerText()) > before, 20_000);
    // The page was not reloaded: the charts stayed drawn.
    expect(await page.locator('figure.chart canvas').count()).toBeGreaterThanOrEqual(2);
  });

  it('7b. pages through a long list with cursors, forward and back', async () => {
    for (let i = 0; i < 27; i++) await ui.h.admin('POST', '/events', { event: 'paging.item', id: `paging-${i}`, data: { i } });
    await page.goto('/admin/events?event=paging.item');
    const rows = page.locator('tbody tr');
    // The id cell: the status next to it changes while the events are processed.
    const firstId = () => rows.first().locator('td').first().innerText();
    await page.getByText('Page 1').waitFor();
    expect(await rows.count()).toBe(25);
    const firstOfPage1 = await firstId();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2').waitFor();
    await eventually(async () => (await rows.count()) === 2);
    expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByText('Page 1').waitFor();
    await eventually(async () => (await rows.count()) === 25 && (await firstId()) === firstOfPage1);
  });

  it('8. opens the right page from the admin link in a Temporal workflow details', async () => {
    const description = await ui.h.runtime.client.workflow.getHandle(state.deadWorkflowId!).describe();
    const details = (await description.staticDetails()) ?? '';
    const link = /\((http[^)]+\/admin\/deliveries\/[^)]+)\)/.exec(details)?.[1];
    expect(link).toBe(`${ui.base}/admin/deliveries/${state.deadId}`);
    await page.goto(link!);
    await page.getByRole('heading', { name: 'Delivery', exact: true }).waitFor();
    await page.getByText(state.deadId!, { exact: true }).first().waitFor();
    // A delivery that retried has a workflow of its own: the link opens it, and its event's beside it.
    expect(await page.getByRole('link', { name: 'Open in the Temporal UI' }).getAttribute('href')).toBe(
      `${TEMPORAL_UI}/namespaces/default/workflows/${encodeURIComponent(state.deadWorkflowId!)}`,
    );
    await page.getByRole('link', { name: 'its event workflow' }).waitFor();
    await shot(page, '8-temporal-link-delivery');

    // The event link form lands too.
    const deadRow = await ui.h.admin('GET', `/deliveries/${state.deadId}`);
    const eventDescription = await ui.h.runtime.client.workflow.getHandle(`event/${deadRow.json.event_id}`).describe();
    const eventLink = /\((http[^)]+\/admin\/events\/[^)]+)\)/.exec((await eventDescription.staticDetails()) ?? '')?.[1];
    expect(eventLink).toBe(`${ui.base}/admin/events/${deadRow.json.event_id}`);
    await page.goto(eventLink!);
    await page.getByRole('heading', { name: 'Event', exact: true }).waitFor();
    await page.getByLabel('Event payload').getByText('"n": 1').waitFor();
    await shot(page, '8b-temporal-link-event');
  });

  it('9. shows an expired (expunged) payload as expired on the event and delivery pages, not as null or empty', async () => {
    const delivery = await ui.h.admin('GET', `/deliveries/${state.deliveryId}`);
    expect((await ui.h.admin('DELETE', `/events/${delivery.json.event_id}/payload`)).status).toBe(200);
    await page.goto(`${ui.base}/admin/events/${delivery.json.event_id}`);
    await page.getByRole('heading', { name: 'Event', exact: true }).waitFor();
    await page.getByText('Expired: retention or an expunge removed this payload.').waitFor();
    expect(await page.getByLabel('Event payload').count()).toBe(0);
    await page.getByRole('button', { name: 'What it received' }).click();
    await page.getByLabel('Body the subscriber received').getByText('(expired)').waitFor();
    await page.goto(`${ui.base}/admin/deliveries/${state.deliveryId}`);
    await page.getByRole('heading', { name: 'Attempt 1' }).waitFor();
    await page.getByText('Request body', { exact: true }).click();
    await page.getByLabel('Request body of attempt 1').getByText('(expired)').waitFor();
    await shot(page, '9-payload-expired');
  });

  // Last: it adds 500 subscribers, which would crowd the other steps' lists.
  it('10. finds a subscriber by search among more than the list shows', async () => {
    await ui.h.database.db.insert(subscribers).values(
      Array.from({ length: 500 }, (_, i) => ({ name: `Hay ${i}`, url: `https://hay-${i}.example/hook`, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['hay.*'] })),
    );
    await page.goto('/admin/subscribers');
    await page.getByText('Showing the newest 500 subscribers that match').waitFor();
    // The first subscriber of the walk is now older than the newest 500.
    expect(await page.getByRole('cell', { name: 'Loopback receiver' }).count()).toBe(0);
    await page.getByLabel('Search').fill('loopback');
    await page.getByRole('cell', { name: 'Loopback receiver' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
  });
});
