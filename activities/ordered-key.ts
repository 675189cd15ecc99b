import { resumeFrom } from '../src/deliveries/delivery-starter';
import type { OrderedNext, OrderedNextInput } from '../workflows/types';
import type { ActivityDeps } from './deps';

/** Statuses in which a keyed delivery ends undelivered: the subscriber's `ordering_on_dead` applies. */
const UNDELIVERED = new Set(['dead', 'failed']);

export function createOrderedKeyActivities(deps: ActivityDeps) {
  const { repos, starter, logger } = deps;

  return {
    /**
     * The key's next step, from the database: judge the delivery just finished (a dead one blocks
     * the key under `block`), then the head of the queue, unless the key is blocked or an earlier
     * event of the key has not reached this subscriber yet.
     */
    async nextOrdered(input: OrderedNextInput): Promise<OrderedNext> {
      const key = { subscriberId: input.subscriberId, orderingKey: input.orderingKey };
      if (input.settled) {
        const finished = await repos.deliveries.get(input.settled);
        if (finished && UNDELIVERED.has(finished.status)) {
          const subscriber = await repos.subscribers.get(input.subscriberId);
          if (subscriber?.orderingOnDead === 'block') {
            await repos.ordering.block(key, finished.id);
            logger.warn({ subscriberId: input.subscriberId, deliveryId: finished.id }, 'an ordered key is blocked by a dead delivery');
          }
        }
      }
      const block = await repos.ordering.blockOf(key);
      if (block) {
        // Blocked, it waits for an operator, who wakes it: new deliveries need not.
        await repos.ordering.setIdle(key, false);
        return { kind: 'blocked', deliveryId: block.deliveryId, since: block.blockedAt.getTime(), queued: (await repos.ordering.head(key))?.queued ?? 0 };
      }
      let head = await repos.ordering.head(key);
      if (!head) {
        // Idle first, then one more look: a delivery enqueued meanwhile is seen here, or its sender sees the mark and wakes us.
        await repos.ordering.setIdle(key, true);
        head = await repos.ordering.head(key);
        if (!head) return { kind: 'idle' };
      }
      await repos.ordering.setIdle(key, false);
      const gap = await repos.ordering.gapBefore(key, head.delivery.sequence!);
      if (gap) return { kind: 'gap', eventId: gap, queued: head.queued };
      return { kind: 'deliver', workflowId: head.delivery.workflowId, input: starter.inputFor(head.delivery, head.url, resumeFrom(head.delivery)), queued: head.queued };
    },
  };
}
