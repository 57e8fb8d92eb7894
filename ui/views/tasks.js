// Cloud Tasks: queues (state, rate limits, retry config, counts) → a queue's tasks → a task's attempts on a
// timeline. Pause, Resume and Run call Cloud Tasks' own REST API (queues.pause/resume, tasks.run), as any
// client would.

import { get } from '../api.js';
import { clock, Code, duration, ErrorLine, html, Panel, useAction, Status, usePoll } from '../components.js';
import { AttemptTimeline } from './attempts.js';

export function TasksView({ queue, task }) {
  const [data, error, reload] = usePoll(() => get('/admin/v1/queues'), 3000);
  const [act, actionError] = useAction(reload);
  return html`<div class="stack">
    <${Panel} id="queues-title" title="Cloud Tasks queues">
      <${ErrorLine} error=${error ?? actionError} />
      <table>
        <thead><tr><th scope="col">Queue</th><th scope="col">State</th><th scope="col">Rate limits</th><th scope="col">Retry config</th><th scope="col">Tasks</th><th scope="col">Actions</th></tr></thead>
        <tbody>${(data?.queues ?? []).map((q) => html`<tr key=${q.id} class=${q.id === queue ? 'selected' : ''}>
          <th scope="row"><a href=${`#/tasks/${encodeURIComponent(q.id)}`} aria-current=${q.id === queue ? 'true' : undefined}>${q.id}</a></th>
          <td><span class=${`badge ${q.state === 'RUNNING' ? 'ok' : 'info'}`}>${q.state}</span></td>
          <td>${q.rateLimits.maxDispatchesPerSecond}/s, burst ${q.rateLimits.maxBurstSize}, ≤${q.rateLimits.maxConcurrentDispatches} concurrent</td>
          <td>${retryConfig(q.retryConfig)}</td>
          <td>${q.counts ? `${q.counts.tasks}${q.counts.atLeast ? '+' : ''} queued, ${q.counts.inFlight} in flight` : ''}</td>
          <td class="actions">
            ${q.state === 'RUNNING' ? html`<button type="button" onClick=${() => act(`/v2/${q.name}:pause`)}>Pause<span class="sr-only"> ${q.id}</span></button>` : html`<button type="button" onClick=${() => act(`/v2/${q.name}:resume`)}>Resume<span class="sr-only"> ${q.id}</span></button>`}
          </td>
        </tr>`)}</tbody>
      </table>
    </${Panel}>
    ${queue ? html`<${QueueTasks} key=${queue} queue=${(data?.queues ?? []).find((q) => q.id === queue)} id=${queue} selected=${task} act=${act} />` : null}
    ${queue && task ? html`<${TaskAttempts} key=${`${queue}/${task}`} queue=${queue} task=${task} />` : null}
  </div>`;
}

function retryConfig(r) {
  const attempts = r.maxAttempts < 0 ? 'unlimited attempts' : `${r.maxAttempts} attempts`;
  return `${attempts}, backoff ${duration(r.minBackoffMs)}–${duration(r.maxBackoffMs)}, ${r.maxDoublings} doublings${r.maxRetryDurationMs > 0 ? `, for at most ${duration(r.maxRetryDurationMs)}` : ''}`;
}

function QueueTasks({ queue, id, selected, act }) {
  const [data, error] = usePoll(() => get(`/admin/v1/queues/${encodeURIComponent(id)}/tasks`), 2000);
  const link = (t) => `#/tasks/${encodeURIComponent(id)}/${encodeURIComponent(t)}`;
  return html`<${Panel} id="tasks-title" title=${`Tasks of ${id}`}>
    <${ErrorLine} error=${error} />
    <table>
      <thead><tr><th scope="col">Task</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Last</th><th scope="col">Target</th><th scope="col">Actions</th></tr></thead>
      <tbody>
        ${(data?.tasks ?? []).map((t) => html`<tr key=${t.id} class=${t.id === selected ? 'selected' : ''}>
          <th scope="row"><a href=${link(t.id)} aria-current=${t.id === selected ? 'true' : undefined}>${t.id}</a></th>
          <td>${t.inFlight ? 'in flight' : `due ${clock(t.scheduleTime)}`}</td><td>${t.dispatchCount}</td><td>${t.lastStatus !== null ? html`<${Status} status=${t.lastStatus} />` : '—'}</td>
          <td><code>${t.url}</code></td>
          <td>${queue ? html`<button type="button" onClick=${() => act(`/v2/${queue.name}/tasks/${encodeURIComponent(t.id)}:run`)}>Run now<span class="sr-only"> ${t.id}</span></button>` : null}</td>
        </tr>`)}
        ${(data?.recent ?? []).map((t) => html`<tr key=${`r-${t.id}`} class=${t.id === selected ? 'selected' : ''}>
          <th scope="row"><a href=${link(t.id)} aria-current=${t.id === selected ? 'true' : undefined}>${t.id}</a></th>
          <td class="muted">finished</td><td>${t.attempts}</td><td><${Status} status=${t.lastStatus} /> <${Code} code=${t.lastCode} /></td><td></td><td></td>
        </tr>`)}
        ${data && data.tasks.length + data.recent.length === 0 ? html`<tr><td colspan="6" class="muted">No tasks queued or attempted lately.</td></tr>` : null}
      </tbody>
    </table>
  </${Panel}>`;
}

function TaskAttempts({ queue, task }) {
  const [data, error] = usePoll(() => get(`/admin/v1/queues/${encodeURIComponent(queue)}/tasks/${encodeURIComponent(task)}/attempts`), 1500);
  return html`<${Panel} id="attempts-title" title=${`Attempts of task ${task}`}
      actions=${data?.task ? html`<span>${data.task.state === 'queued' ? `queued, next attempt due ${clock(data.task.scheduleTime)}` : data.task.state}</span>` : null}>
    <${ErrorLine} error=${error} />
    ${data?.task ? html`<p>→ <code>${data.task.url}</code></p>` : null}
    ${data ? html`<${AttemptTimeline} attempts=${data.attempts} label=${`Attempts of ${task}`} />` : null}
  </${Panel}>`;
}
