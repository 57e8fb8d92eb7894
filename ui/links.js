// Where a request-log entry leads: the attempt's task, job or subscription, and the IAM resource a refusal names.

/** The dashboard view of the task, job or subscription an attempt belongs to. */
export function attemptLink(resource) {
  const parts = String(resource ?? '').split('/');
  const i = parts.indexOf('queues');
  if (i >= 0 && parts[i + 2] === 'tasks') return `#/tasks/${enc(parts[i + 1])}/${enc(parts[i + 3])}`;
  const j = parts.indexOf('jobs');
  if (j >= 0) return `#/scheduler/${enc(parts[j + 1])}`;
  const s = parts.indexOf('subscriptions');
  if (s >= 0) return `#/pubsub/${enc(parts[s + 1])}`;
  return undefined;
}

const IAM_KEY = /^(projects|services|iap|queues|serviceAccounts|topics|subscriptions)\/[^/]+$/;

/** The IAM view of the resource an IAM refusal names (its binding, or the binding it lacks). */
export function iamLink(entry) {
  const r = entry?.evidence?.resource;
  if (!entry.code || typeof r !== 'string' || !IAM_KEY.test(r)) return undefined;
  return `#/iam/${r}`;
}

const enc = (s) => encodeURIComponent(s ?? '');
