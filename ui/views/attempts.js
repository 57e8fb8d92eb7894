// An attempt timeline, shared by Cloud Tasks, Cloud Scheduler and Pub/Sub push: each attempt with its time,
// status, refusal code and explanation, and when the next attempt is due and why (backoff, Retry-After,
// maxAttempts, maxRetryDuration). Above the list, the same attempts on a time axis.

import { clock, Code, duration, html, Status } from '../components.js';

/** `attempts`: oldest first, each { attempt, dispatchTime, httpStatus, denial, denialSummary, explanation, remedy, error, retryTime, retryReason, frontDoorRequestId }. */
export function AttemptTimeline({ attempts, label }) {
  if (!attempts.length) return html`<p class="muted">No attempts yet.</p>`;
  const times = attempts.flatMap((a) => [Date.parse(a.dispatchTime), a.retryTime ? Date.parse(a.retryTime) : NaN]).filter((t) => !Number.isNaN(t));
  const t0 = Math.min(...times);
  const span = Math.max(1, Math.max(...times) - t0);
  const at = (t) => `${(((Date.parse(t) - t0) / span) * 96 + 2).toFixed(2)}%`;
  // Where the next attempts were due first, then the attempts on top (an attempt usually lands on its predecessor's due time).
  return html`<div class="timeline-wrap">
    ${times.length > 1
      ? html`<div class="axis" aria-hidden="true">
          ${attempts.filter((a) => a.retryTime).map((a) => html`<span class="dot next" style=${`left:${at(a.retryTime)}`}></span>`)}
          ${attempts.map((a) => html`<span class=${`dot ${a.denial || !(a.httpStatus >= 200 && a.httpStatus < 300) ? 'bad' : 'ok'}`} style=${`left:${at(a.dispatchTime)}`} title=${`#${a.attempt}`}>${a.attempt}</span>`)}
          <span class="axis-start">${clock(t0)}</span><span class="axis-end">+${duration(span)}</span>
        </div>`
      : null}
    <ol class="timeline" aria-label=${label}>
      ${attempts.map((a, i) => html`<li class="attempt" data-attempt=${a.attempt}>
        <p class="attempt-head"><strong>#${a.attempt}</strong> at ${clock(a.dispatchTime)}${i > 0 ? html` <span class="muted">(+${duration(Date.parse(a.dispatchTime) - Date.parse(attempts[i - 1].dispatchTime))})</span>` : null} · <${Status} status=${a.httpStatus} /> ${a.latencyMs !== undefined ? html`<span class="muted">${Number(a.latencyMs).toFixed(1)} ms</span>` : null} <${Code} code=${a.denial} />${a.denialSummary ? html` <span>${a.denialSummary}</span>` : null}</p>
        ${a.explanation ? html`<p><span class="label">Why</span> ${a.explanation}</p>` : null}
        ${a.remedy ? html`<p><span class="label">Fix</span> ${a.remedy}</p>` : null}
        ${a.error ? html`<p><span class="label">Note</span> ${a.error}</p>` : null}
        ${a.retryTime ? html`<p class="retry"><span class="label">Next attempt</span> at <strong>${clock(a.retryTime)}</strong>${a.retryReason ? html` — ${a.retryReason}` : null}</p>` : a.retryReason ? html`<p class="retry"><span class="label">Then</span> ${a.retryReason}</p>` : null}
        ${a.frontDoorRequestId ? html`<p><a href=${`#/requests/${a.frontDoorRequestId}`}>The front door's entry for attempt #${a.attempt}</a></p>` : null}
      </li>`)}
    </ol>
  </div>`;
}
