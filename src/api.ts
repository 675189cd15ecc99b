import { bootProcess } from './boot';

// `npm run api`: the inbound gateway, admin API and UI, and /metrics. Scale it horizontally.
void bootProcess({ api: true, worker: false });
