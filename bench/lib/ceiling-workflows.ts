import { ParentClosePolicy, startChild } from '@temporalio/workflow';

// The cheapest workflows there are: what the Temporal dev server can do at best on this machine.

export async function bareWorkflow(): Promise<void> {}

export async function parentWorkflow(children: number): Promise<void> {
  const { workflowId } = (await import('@temporalio/workflow')).workflowInfo();
  await Promise.all(
    Array.from({ length: children }, (_, i) =>
      startChild(bareWorkflow, { workflowId: `${workflowId}/child/${i}`, parentClosePolicy: ParentClosePolicy.ABANDON }),
    ),
  );
}
