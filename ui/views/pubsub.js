// Pub/Sub: subscriptions (from Pub/Sub's own REST API, as a client lists them) and each push subscription's
// deliveries: every attempt per message on a timeline, from the request log.

import { get } from '../api.js';
import { ErrorLine, html, Panel, usePoll } from '../components.js';
import { AttemptTimeline } from './attempts.js';

export function PubsubView({ project, subscription }) {
  const [data, error] = usePoll(() => get(`/v1/projects/${encodeURIComponent(project)}/subscriptions?pageSize=1000`), 5000, [project]);
  const subs = data?.subscriptions ?? [];
  return html`<div class="stack">
    <${Panel} id="subs-title" title="Pub/Sub subscriptions">
      <${ErrorLine} error=${error} />
      <table>
        <thead><tr><th scope="col">Subscription</th><th scope="col">Topic</th><th scope="col">Delivery</th><th scope="col">Push account and audience</th><th scope="col">Dead letters</th></tr></thead>
        <tbody>${subs.map((s) => {
          const id = s.name.split('/').pop();
          const push = s.pushConfig?.pushEndpoint;
          return html`<tr key=${id} class=${id === subscription ? 'selected' : ''}>
            <th scope="row"><a href=${`#/pubsub/${encodeURIComponent(id)}`} aria-current=${id === subscription ? 'true' : undefined}>${id}</a></th>
            <td>${s.topic.split('/').pop()}</td>
            <td>${push ? html`push to <code>${push}</code>` : 'pull'}</td>
            <td>${s.pushConfig?.oidcToken ? html`<code>${s.pushConfig.oidcToken.serviceAccountEmail}</code><br /><span class="muted">aud ${s.pushConfig.oidcToken.audience || '(the endpoint, path included)'}</span>` : push ? 'no token' : ''}</td>
            <td>${s.deadLetterPolicy ? `${s.deadLetterPolicy.deadLetterTopic.split('/').pop()} after ${s.deadLetterPolicy.maxDeliveryAttempts ?? 5}` : '—'}</td>
          </tr>`;
        })}</tbody>
      </table>
    </${Panel}>
    ${subscription ? html`<${Deliveries} key=${subscription} name=${`projects/${project}/subscriptions/${subscription}`} id=${subscription} />` : null}
  </div>`;
}

function Deliveries({ name, id }) {
  const [data, error] = usePoll(() => get(`/admin/v1/requests?surface=dispatch&resource=${encodeURIComponent(name)}&limit=500`), 2000);
  const byMessage = new Map();
  for (const e of [...(data?.requests ?? [])].reverse()) {
    const key = e.dispatch.messageId ?? '?';
    if (!byMessage.has(key)) byMessage.set(key, []);
    byMessage.get(key).push(attemptOf(e));
  }
  return html`<${Panel} id="deliveries-title" title=${`Push deliveries of ${id}`}>
    <${ErrorLine} error=${error} />
    ${data && byMessage.size === 0 ? html`<p class="muted">No push deliveries yet: publish to its topic.</p>` : null}
    ${[...byMessage.entries()].reverse().map(([message, attempts]) => html`<section class="execution" key=${message}>
      <h3>Message ${message}</h3>
      <${AttemptTimeline} attempts=${attempts} label=${`Deliveries of message ${message}`} />
    </section>`)}
  </${Panel}>`;
}

/** A request-log attempt entry in the timeline's shape. */
const attemptOf = (e) => ({
  attempt: e.dispatch.attempt,
  dispatchTime: e.time,
  httpStatus: e.status || null,
  latencyMs: e.durationMs,
  denial: e.code ?? null,
  explanation: e.explanation,
  remedy: e.remedy,
  error: e.error ?? null,
  retryTime: e.dispatch.retryTime,
  retryReason: e.dispatch.retryReason,
  frontDoorRequestId: e.dispatch.frontDoorRequestId,
});
