// `authplane tasks`: queues, their tasks, and every attempt of a task with the front door's refusal
// code — a thin client of the admin API (/admin/v1/queues/…).
import { callApi } from './api-client.js';

const HELP = `usage:
  authplane tasks queues                      queues with their rate limits and retry config
  authplane tasks list QUEUE                  tasks waiting or in flight in QUEUE
  authplane tasks attempts QUEUE TASK_ID      every attempt of a task: time, status, latency, refusal code
  (QUEUE is the queue ID; add --json for the raw answer)`;

interface Attempt {
  attempt: number;
  dispatchTime: string;
  httpStatus: number | null;
  latencyMs: number;
  denial: string | null;
  denialSummary?: string;
  explanation?: string;
  remedy?: string;
  error: string | null;
}

export async function run(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const [op, ...rest] = args.filter((a) => a !== '--json');
  const print = (v: unknown) => console.log(JSON.stringify(v, null, 2));
  switch (op) {
    case 'queues': {
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
      const r = await callApi<{ task: { state: string; url: string } | null; attempts: Attempt[] }>('GET', `/admin/v1/queues/${encodeURIComponent(rest[0]!)}/tasks/${encodeURIComponent(rest[1]!)}/attempts`);
      if (json) return print(r), 0;
      if (r.task) console.log(`task ${rest[1]} (${r.task.state}) → ${r.task.url}`);
      for (const a of r.attempts) {
        const outcome = a.httpStatus !== null ? String(a.httpStatus) : `no response (${a.error})`;
        console.log(`#${String(a.attempt).padEnd(3)} ${a.dispatchTime}  ${outcome.padEnd(4)} ${a.latencyMs.toFixed(1).padStart(8)} ms${a.denial ? `  ${a.denial}: ${a.denialSummary ?? ''}` : ''}`);
        // The front door's own explanation of this attempt's refusal, when authplane still holds it.
        if (a.explanation) console.log(`     why: ${a.explanation}`);
        if (a.remedy) console.log(`     fix: ${a.remedy}`);
      }
      return 0;
    }
  }
  console.log(HELP);
  return op === '--help' || op === '-h' ? 0 : 2;
}
