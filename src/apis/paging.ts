// List methods' page_size as Cloud Tasks, Cloud Scheduler and Pub/Sub read it: 0 or absent means the method's maximum, a
// larger value is capped at it, anything else is refused naming page_size.

import { invalidArgument } from './errors.js';

export function pageSize(v: unknown, max: number): number {
  const n = v === undefined ? 0 : Number(v);
  if (!Number.isInteger(n) || n < 0) throw invalidArgument('page_size must be a non-negative number.', 'page_size');
  return n === 0 ? max : Math.min(n, max);
}
