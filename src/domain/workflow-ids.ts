// Workflow ids come from business keys, never from timestamps. Workflow-safe.

export const eventWorkflowId = (eventId: string) => `event/${eventId}`;
export const deliveryWorkflowId = (eventId: string, subscriberId: string) => `event/${eventId}/sub/${subscriberId}`;
export const replayWorkflowId = (eventId: string, subscriberId: string, replay: number) =>
  `event/${eventId}/sub/${subscriberId}/replay/${replay}`;
