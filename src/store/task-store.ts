// The Cloud Tasks part of the store: queues, tasks and attempts. Its own interface (and its own
// implementation files per backend) because it is the largest and busiest part: claiming attempts
// atomically is the hot path of dispatch. Filled in by the Cloud Tasks implementation.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TaskStore {}
