import type { DeliveryStatus, EventStatus } from '../db/schema';

// The status lists of src/db/schema.ts, for option choices. Importing them from the schema
// would load drizzle-orm on every start of the CLI (about half a second); the type checks
// below make tsc fail when the schema's lists change and these do not.

export const DELIVERY_STATUS_CHOICES = ['pending', 'succeeded', 'failed', 'dead', 'cancelled', 'held'] as const satisfies readonly DeliveryStatus[];
export const EVENT_STATUS_CHOICES = ['received', 'dispatched', 'processed', 'vetoed'] as const satisfies readonly EventStatus[];

type Exhaustive<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : false;
export const deliveryStatusesComplete: Exhaustive<DeliveryStatus, (typeof DELIVERY_STATUS_CHOICES)[number]> = true;
export const eventStatusesComplete: Exhaustive<EventStatus, (typeof EVENT_STATUS_CHOICES)[number]> = true;
