// `authplane tasks`: queues, their tasks, and every attempt of a task with the front door's refusal code, the
// next retry time and why — a thin client of the admin API (/admin/v1/queues/…).
import { callApi } from './api-client.js';
import { printAttempt, timeoutSeconds, waitFor, type AttemptLine } from './attempt-lines.js';
import { parseVerb, refuseForOperation, refuseWithout, usageError } from './usage.js';

const HELP = `usage:
  authplane tasks queues                      queues with their rate limits and retry config
  authplane tasks list QUEUE                  tasks waiting or in flight in QUEUE
  authplane tasks attempts QUEUE TASK_ID      every attempt of a task: time, status, latency, refusal code, next retry
      --wait           first wait until the task is done (succeeded, or dropped after its last retry)
      --timeout SECS   how long --wait waits at most (default 120); exit 1 when it runs out
  (QUEUE is the queue ID; add --json for the raw answer)

examples:
  authplane tasks queues
  authplane tasks attempts upgrades row5 --wait`;

interface Attempts {
  task: { state: string; url: string } | null;
  attempts: AttemptLine[];
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseVerb('tasks', args, { json: { type: 'boolean' }, wait: { type: 'boolean' }, timeout: { type: 'string' } }, HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const json = values.json ?? false;
  const [op, ...rest] = positionals;
  // A flag another operation takes would be silently ignored here.
  const flags: Record<string, string[]> = { queues: [], list: [], attempts: ['wait', 'timeout'] };
  if (op !== undefined && Object.hasOwn(flags, op)) {
    const refused = refuseForOperation('tasks', op, values, flags[op]!) ?? refuseWithout('tasks', values, 'timeout', 'wait', 'it bounds how long --wait waits');
    if (refused !== undefined) return refused;
  }
  const print = (v: unknown) => console.log(JSON.stringify(v, null, 2));
  switch (op) {
    case 'queues': {
      if (rest.length !== 0) break;
      const r = await callApi<{ queues: { id: string; state: string; rateLimits: { maxDispatchesPerSecond: number; maxConcurrentDispatches: number }; retryConfig: { maxAttempts: number } }[] }>('GET', '/admin/v1/queues');
      if (json) return print(r), 0;
      for (const q of r.queues) console.log(`${q.id.padEnd(24)} ${q.state.padEnd(8)} ${q.rateLimits.maxDispatchesPerSecond}/s, ≤${q.rateLimits.maxConcurrentDispatches} concurrent, maxAttempts ${q.retryConfig.maxAttempts}`);
      return 0;
    }
    case 'list': {
      if (rest.length !== 1) break;
      const r = await callApi<{ tasks: { id: string; url: string; scheduleTime: string; dispatchCount: number; lastStatus: number | null; inFlight: boolean }[] }>('GET', `/admin/v1/queues/${encodeURIComponent(rest[0]!)}/tasks`);
      if (json) return print(r), 0;
      if (r.tasks.length === 0) console.log('(no tasks waiting)');
      for (const t of r.tasks) console.log(`${t.id.padEnd(22)} ${t.inFlight ? 'in flight' : `due ${t.scheduleTime}`}  attempts ${t.dispatchCount}${t.lastStatus !== null ? `, last ${t.lastStatus}` : ''}  ${t.url}`);
      return 0;
    }
    case 'attempts': {
      if (rest.length !== 2) break;
      const timeout = timeoutSeconds(values.timeout);
      if (timeout === undefined) return usageError('tasks', `--timeout must be a number of seconds, got ${values.timeout}`);
      const get = () => callApi<Attempts>('GET', `/admin/v1/queues/${encodeURIComponent(rest[0]!)}/tasks/${encodeURIComponent(rest[1]!)}/attempts`);
      // Done: no longer queued (succeeded, dropped after its last retry, deleted).
      const r = values.wait ? await waitFor(get, (a) => a.task === null || a.task.state !== 'queued', timeout) : await get();
      if (!r) {
        console.error(`authplane tasks: task ${rest[1]} is still queued after ${timeout} s (authplane tasks attempts ${rest.join(' ')} shows where it is)`);
        return 1;
      }
      if (json) return print(r), 0;
      if (r.task) console.log(`task ${rest[1]} (${r.task.state}) → ${r.task.url}`);
      for (const a of r.attempts) printAttempt(a);
      return 0;
    }
  }
  return usageError('tasks', op ? `unknown operation or arguments: ${[op, ...rest].join(' ')}` : 'give an operation: queues, list or attempts');
}
