import { bootProcess } from './boot';

// `npm run worker`: the Temporal worker. Scale it horizontally.
void bootProcess({ api: false, worker: true });
