// The Cloud Tasks part of the store interface. Kept in its own file because it is the largest
// and the busiest part (claiming attempts atomically is the hot path of dispatch).
// Filled in by the Cloud Tasks implementation; empty until then.

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TaskStore {}
