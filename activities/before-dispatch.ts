import type { ActivityDeps } from './deps';

/**
 * Runs the plugins' beforeDispatch hooks for an event, once, before the first page of its
 * fan-out creates any delivery. A veto marks the event `vetoed` with its reason; an enrichment
 * is stored as the event's payload, so every delivery, retry and replay sends it. Returns true
 * when the event must not be delivered.
 *
 * Run again only when the fan-out's first page itself is retried (a crash, a database error):
 * an event already vetoed stays vetoed without asking again, so hooks must tolerate a second
 * call for the same event id (they see the enriched payload then).
 */
export async function screenEvent(deps: Pick<ActivityDeps, 'repos' | 'hooks' | 'logger'>, eventId: string): Promise<boolean> {
  const { hooks, repos } = deps;
  if (!hooks?.hasBeforeDispatch()) return false;
  const event = await repos.events.get(eventId);
  if (!event) return false;
  if (event.status === 'vetoed') return true;
  const verdict = await hooks.beforeDispatch({
    id: event.id,
    type: event.type,
    source: event.source,
    agentId: event.agentId,
    occurredAt: event.occurredAt ? event.occurredAt.toISOString() : null,
    data: event.payload,
  });
  if (verdict.vetoed) {
    await repos.events.veto(eventId, `${verdict.plugin}: ${verdict.reason}`.slice(0, 1000));
    return true;
  }
  if (verdict.enriched) {
    if (!isJson(verdict.data)) {
      deps.logger.warn({ eventId }, 'a beforeDispatch hook returned data that is not JSON; the event goes on unchanged');
    } else {
      await repos.events.setPayload(eventId, verdict.data);
    }
  }
  return false;
}

function isJson(value: unknown): boolean {
  try {
    return JSON.stringify(value) !== undefined;
  } catch {
    return false;
  }
}
