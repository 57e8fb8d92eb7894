// `authplane scheduler`: Cloud Scheduler jobs, a run on demand, and every attempt of a job with the front
// door's refusal code and explanation — a thin client of the admin API (/admin/v1/jobs/…) and of Google's own
// RunJob route.
import { callApi } from './api-client.js';
import { printAttempt, type AttemptLine } from './attempt-lines.js';

const HELP = `usage:
  authplane scheduler jobs                    jobs with their schedule, state, next run and last status
  authplane scheduler run JOB                 run a job now (Cloud Scheduler's RunJob, like gcloud scheduler jobs run)
  authplane scheduler attempts JOB            every attempt of a job: time, status, latency, refusal code and why
  (JOB is the job ID; add --json for the raw answer)`;

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

export async function run(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const [op, ...rest] = args.filter((a) => a !== '--json');
  const print = (v: unknown) => console.log(JSON.stringify(v, null, 2));
  switch (op) {
    case 'jobs': {
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
      const jobs = await callApi<{ jobs: Job[] }>('GET', '/admin/v1/jobs');
      const job = jobs.jobs.find((j) => j.id === rest[0]);
      if (!job) {
        console.error(`authplane: no job ${rest[0]} (authplane scheduler jobs lists them)`);
        return 1;
      }
      const r = await callApi('POST', `/v1/${job.name}:run`, {});
      if (json) return print(r), 0;
      console.log(`ran ${job.name}; see: authplane scheduler attempts ${job.id}`);
      return 0;
    }
    case 'attempts': {
      if (rest.length !== 1) break;
      const r = await callApi<{ job: { state: string; uri: string; schedule: string } | null; attempts: (AttemptLine & { execution: string })[] }>('GET', `/admin/v1/jobs/${encodeURIComponent(rest[0]!)}/attempts`);
      if (json) return print(r), 0;
      if (r.job) console.log(`job ${rest[0]} (${r.job.state}, "${r.job.schedule}") → ${r.job.uri}`);
      for (const a of r.attempts) printAttempt(a, `run ${a.execution} `);
      return 0;
    }
  }
  console.log(HELP);
  return op === '--help' || op === '-h' ? 0 : 2;
}
