export { eventWorkflow } from './event-workflow';
export { deliveryWorkflow, statusQuery, retryNowSignal, cancelSignal } from './delivery-workflow';
export { retentionWorkflow } from './retention-workflow';
export { orderedKeyWorkflow, wakeSignal } from './ordered-key-workflow';
