/**
 * The durable job queue as producers see it: a job is stored before `enqueue` resolves, survives
 * a restart, and is run by a registered handler of its kind, retried with backoff on failure.
 */
export interface JobQueueApi {
  enqueue(environmentId: string, kind: string, payload: unknown): Promise<{ id: string }>;
}
