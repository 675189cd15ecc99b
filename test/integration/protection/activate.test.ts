import { sql } from 'drizzle-orm';
import { startHarness, type Harness } from '../../helpers/harness';

// Activating a subscriber (POST /activate, or PATCH with active: true) is re-enabling it: its
// circuit closes with the ramp-up, as POST /enable does, so a subscriber disabled by its breaker
// does not come back active with its circuit still open (every delivery held until a probe).

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ LOG_LEVEL: 'silent' });
});
afterAll(async () => {
  await h?.stop();
});

async function disabledWithOpenCircuit(): Promise<string> {
  const created = await h.admin('POST', '/subscribers', { url: 'http://127.0.0.1:9/hook', events: ['activate.*'] });
  const id = created.json.id as string;
  await h.admin('POST', `/subscribers/${id}/deactivate`, { reason: 'the circuit stayed open' });
  await h.database.db.execute(sql`
    update webhook_subscriber_protection set circuit_state = 'open', circuit_opened_at = now(), next_probe_at = now() + interval '10 minutes',
           health_state = 'disabled' where subscriber_id = ${id}`);
  expect((await h.admin('GET', `/subscribers/${id}/protection`)).json.circuit.state).toBe('open');
  return id;
}

it.each([
  ['POST /activate', (id: string) => h.admin('POST', `/subscribers/${id}/activate`)],
  ['PATCH active: true', (id: string) => h.admin('PATCH', `/subscribers/${id}`, { active: true })],
])('%s closes the circuit of a subscriber its breaker disabled', async (_how, activate) => {
  const id = await disabledWithOpenCircuit();
  const res = await activate(id);
  expect(res.status).toBe(200);
  expect(res.json.active).toBe(true);
  const protection = (await h.admin('GET', `/subscribers/${id}/protection`)).json;
  expect(protection).toMatchObject({ state: 'normal', health: 'healthy', circuit: { state: 'closed' } });
});
