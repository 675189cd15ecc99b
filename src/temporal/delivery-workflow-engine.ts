import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { DeliveryWorkflowEngine } from '../deliveries/delivery-starter';
import { deliveryStartOptions } from './delivery-start';

/** Starts delivery workflows on Temporal; the workflow id is the delivery's, so a second start is refused. */
export function temporalDeliveryEngine(client: Client, taskQueue: string): DeliveryWorkflowEngine {
  return {
    async startDeliveryWorkflow(input, workflowId) {
      try {
        await client.workflow.start('deliveryWorkflow', {
          ...deliveryStartOptions(input, workflowId),
          taskQueue,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        return true;
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
        throw err;
      }
    },
  };
}
