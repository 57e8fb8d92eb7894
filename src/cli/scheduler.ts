// `authplane scheduler`: Cloud Scheduler jobs, a run on demand, and every attempt of a job with the front
// door's refusal code, explanation and next retry — a thin client of the admin API (/admin/v1/jobs/…) and of
// Google's own RunJob route.
import { callApi } from './api-client.js';
import { printAttempt, timeoutSeconds, waitFor, type AttemptLine } from './attempt-lines.js';
import { parseVerb, refuseForOperation, refuseWithout, usageError } from './usage.js';

const HELP = `usage:
  authplane scheduler jobs                    jobs with their schedule, state, next run and last status
  authplane scheduler run JOB                 run a job now (Cloud Scheduler's RunJob, like gcloud scheduler jobs run)
      --wait           then wait for that run's attempts, retries included, and print them
      --timeout SECS   how long --wait waits at most (default 120); exit 1 when it runs out
  authplane scheduler attempts JOB            every attempt of a job: time, status, latency, refusal code and why
  (JOB is the job ID; add --json for the raw answer)

examples:
  authplane scheduler jobs
  authplane scheduler run report-audience-path --wait`;

interface Job {
  id: string;
  name: string;
  state: string;
  schedule: string;
  timeZone: string;
  uri: string;
  serviceAccount: string | null;
  scheduleTime: string | null;
  lastAttemptTime: string | null;
  status: { code: number } | null;
}

type JobAttempt = AttemptLine & { execution: string };
interface JobAttempts {
  job: { state: string; uri: string; schedule: string } | null;
  attempts: JobAttempt[];
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseVerb('scheduler', args, { json: { type: 'boolean' }, wait: { type: 'boolean' }, timeout: { type: 'string' } }, HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const json = values.json ?? false;
  const [op, ...rest] = positionals;
  // A flag another operation takes would be silently ignored here.
  const flags: Record<string, string[]> = { jobs: [], run: ['wait', 'timeout'], attempts: [] };
  if (op !== undefined && Object.hasOwn(flags, op)) {
    const refused = refuseForOperation('scheduler', op, values, flags[op]!) ?? refuseWithout('scheduler', values, 'timeout', 'wait', 'it bounds how long --wait waits');
    if (refused !== undefined) return refused;
  }
  const print = (v: unknown) => console.log(JSON.stringify(v, null, 2));
  const attemptsOf = (id: string) => callApi<JobAttempts>('GET', `/admin/v1/jobs/${encodeURIComponent(id)}/attempts`);
  switch (op) {
    case 'jobs': {
      if (rest.length !== 0) break;
      const r = await callApi<{ jobs: Job[] }>('GET', '/admin/v1/jobs');
      if (json) return print(r), 0;
      if (r.jobs.length === 0) console.log('(no jobs)');
      for (const j of r.jobs) {
        const last = j.status === null ? 'never ran' : j.status.code === 0 ? 'last OK' : `last failed (code ${j.status.code})`;
        console.log(`${j.id.padEnd(24)} ${j.state.padEnd(8)} "${j.schedule}" ${j.timeZone}  next ${j.scheduleTime ?? '—'}  ${last}  ${j.uri}${j.serviceAccount ? ` as ${j.serviceAccount}` : ''}`);
      }
      return 0;
    }
    case 'run': {
      if (rest.length !== 1) break;
      const timeout = timeoutSeconds(values.timeout);
      if (timeout === undefined) return usageError('scheduler', `--timeout must be a number of seconds, got ${values.timeout}`);
      const jobs = await callApi<{ jobs: Job[] }>('GET', '/admin/v1/jobs');
      const job = jobs.jobs.find((j) => j.id === rest[0]);
      if (!job) return usageError('scheduler', `no job ${rest[0]} (authplane scheduler jobs lists them)`);
      const before = new Set((await attemptsOf(job.id)).attempts.map((a) => a.execution));
      const r = await callApi('POST', `/v1/${job.name}:run`, {});
      if (!values.wait) {
        if (json) return print(r), 0;
        console.log(`ran ${job.name}; see: authplane scheduler attempts ${job.id}`);
        return 0;
      }
      // This run's attempts: an execution not seen before, settled once its last attempt has no next one due.
      const thisRun = (a: JobAttempts) => a.attempts.filter((x) => !before.has(x.execution));
      const settled = await waitFor(() => attemptsOf(job.id), (a) => { const mine = thisRun(a); return mine.length > 0 && mine[mine.length - 1]!.retryTime === undefined; }, timeout);
      if (!settled) {
        console.error(`authplane scheduler: the run of ${job.id} still retries after ${timeout} s (authplane scheduler attempts ${job.id} shows where it is)`);
        return 1;
      }
      if (json) return print({ job: settled.job, attempts: thisRun(settled) }), 0;
      console.log(`ran ${job.name} → ${job.uri}`);
      for (const a of thisRun(settled)) printAttempt(a);
      return 0;
    }
    case 'attempts': {
      if (rest.length !== 1) break;
      const r = await attemptsOf(rest[0]!);
      if (json) return print(r), 0;
      if (r.job) console.log(`job ${rest[0]} (${r.job.state}, "${r.job.schedule}") → ${r.job.uri}`);
      for (const a of r.attempts) printAttempt(a, `run ${a.execution} `);
      return 0;
    }
  }
  return usageError('scheduler', op ? `unknown operation or arguments: ${[op, ...rest].join(' ')}` : 'give an operation: jobs, run or attempts');
}
