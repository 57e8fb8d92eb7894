// Cloud Scheduler: jobs (schedule, time zone, state, next run, last status) and each execution's attempts on
// a timeline. Pause, Resume and Run call Cloud Scheduler's own REST API (jobs.pause/resume/run).

import { get } from '../api.js';
import { clock, ErrorLine, html, Panel, useAction, usePoll } from '../components.js';
import { AttemptTimeline } from './attempts.js';

export function SchedulerView({ job }) {
  const [data, error, reload] = usePoll(() => get('/admin/v1/jobs'), 3000);
  const [act, actionError] = useAction(reload);
  return html`<div class="stack">
    <${Panel} id="jobs-title" title="Cloud Scheduler jobs">
      <${ErrorLine} error=${error ?? actionError} />
      <table>
        <thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col">Schedule</th><th scope="col">Next run</th><th scope="col">Last</th><th scope="col">Target</th><th scope="col">Actions</th></tr></thead>
        <tbody>${(data?.jobs ?? []).map((j) => html`<tr key=${j.id} class=${j.id === job ? 'selected' : ''}>
          <th scope="row"><a href=${`#/scheduler/${encodeURIComponent(j.id)}`} aria-current=${j.id === job ? 'true' : undefined}>${j.id}</a></th>
          <td><span class=${`badge ${j.state === 'ENABLED' ? 'ok' : 'info'}`}>${j.state}</span></td>
          <td><code>${j.schedule}</code> ${j.timeZone}</td>
          <td>${j.scheduleTime ? new Date(j.scheduleTime).toLocaleString() : '—'}</td>
          <td>${j.status === null ? 'never ran' : j.status.code === 0 ? html`<span class="badge ok">OK</span>` : html`<span class="badge bad">failed (code ${j.status.code})</span>`}</td>
          <td><code>${j.uri}</code>${j.serviceAccount ? html` <span class="muted">as ${j.serviceAccount}</span>` : null}</td>
          <td class="actions">
            <button type="button" onClick=${() => act(`/v1/${j.name}:run`)}>Run<span class="sr-only"> ${j.id}</span></button>
            ${j.state === 'ENABLED' ? html`<button type="button" onClick=${() => act(`/v1/${j.name}:pause`)}>Pause<span class="sr-only"> ${j.id}</span></button>` : html`<button type="button" onClick=${() => act(`/v1/${j.name}:resume`)}>Resume<span class="sr-only"> ${j.id}</span></button>`}
          </td>
        </tr>`)}</tbody>
      </table>
    </${Panel}>
    ${job ? html`<${JobAttempts} key=${job} job=${job} />` : null}
  </div>`;
}

function JobAttempts({ job }) {
  const [data, error] = usePoll(() => get(`/admin/v1/jobs/${encodeURIComponent(job)}/attempts`), 2000);
  const executions = new Map();
  for (const a of data?.attempts ?? []) {
    if (!executions.has(a.execution)) executions.set(a.execution, []);
    executions.get(a.execution).push(a);
  }
  return html`<${Panel} id="job-attempts-title" title=${`Attempts of job ${job}`}>
    <${ErrorLine} error=${error} />
    ${data && executions.size === 0 ? html`<p class="muted">No attempts yet: Run it, or wait for its schedule.</p>` : null}
    ${[...executions.entries()].reverse().map(([execution, attempts]) => html`<section class="execution" key=${execution}>
      <h3>Run scheduled for ${clock(execution)}</h3>
      <${AttemptTimeline} attempts=${attempts} label=${`Attempts of the run scheduled for ${execution}`} />
    </section>`)}
  </${Panel}>`;
}
