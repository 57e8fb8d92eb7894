// Services: each Cloud Run service's URLs and accepted audiences, ingress, IAP, invoker check, who may invoke
// it (from IAM: the members run.routes.invoke is granted to), its runtime service account, and its supervised
// command's state with its recent output.

import { get } from '../api.js';
import { clock, ErrorLine, html, Panel, usePoll } from '../components.js';

export function ServicesView() {
  const [data, error] = usePoll(() => get('/admin/v1/services'), 3000);
  return html`<${Panel} id="services-title" title="Services">
    <${ErrorLine} error=${error} />
    ${data === undefined && !error ? html`<p class="muted">Loading…</p>` : null}
    <div class="cards">${(data?.services ?? []).map((s) => html`<${Service} key=${s.name} s=${s} />`)}</div>
  </${Panel}>`;
}

function Service({ s }) {
  const p = s.process;
  return html`<article class="card" aria-labelledby=${`svc-${s.name}`}>
    <h3 id=${`svc-${s.name}`}>${s.name}</h3>
    <dl class="facts">
      <dt>URLs</dt><dd><ul class="plain">${Object.entries(s.urls).map(([k, u]) => html`<li><code>${u}</code> <span class="muted">${k}</span></li>`)}</ul></dd>
      <dt>Accepted audiences</dt><dd><ul class="plain">${s.audiences.map((a) => html`<li><code>${a}</code></li>`)}</ul></dd>
      <dt>Ingress</dt><dd>${s.ingress}</dd>
      <dt>IAP</dt><dd>${s.iap.enabled ? html`on, OAuth client <code>${s.iap.oauthClientId}</code>` : 'off'}</dd>
      <dt>Invoker check</dt><dd>${s.invokerIamCheck ? 'on (run.routes.invoke required)' : 'off: public'}</dd>
      <dt>Who may invoke</dt><dd>${s.invokers.length === 0 ? html`<span class="bad-text">nobody</span>` : html`<ul class="plain">${s.invokers.map((i) => html`<li><code>${i.member}</code> <span class="muted">${i.role} on ${i.resource}</span></li>`)}</ul>`}
        <a href=${`#/iam/services/${s.name}`}>IAM of services/${s.name}</a></dd>
      <dt>Runs as</dt><dd><code>${s.serviceAccount}</code></dd>
      <dt>Upstream</dt><dd>${p ? html`<code>${p.command}</code>` : s.upstream ? html`<code>${s.upstream}</code>` : '—'}</dd>
      ${p
        ? html`<dt>Process</dt><dd><span class=${`badge ${p.state === 'running' ? 'ok' : p.state === 'stopped' ? 'bad' : 'info'}`}>${p.state}</span>
            ${p.pid ? ` pid ${p.pid}` : ''} · PORT ${p.port} · started ${p.starts}×${p.lastExit ? ` · last exit ${p.lastExit.signal ?? `code ${p.lastExit.code}`} at ${clock(p.lastExit.time)}` : ''}</dd>`
        : null}
    </dl>
    ${p
      ? html`<details class="output"><summary>Recent output (${p.output.length} lines)</summary>
          <pre tabindex="0" aria-label=${`Recent output of ${s.name}`}>${p.output.length ? p.output.map((l) => `${clock(l.time)} ${l.stream === 'err' ? '!' : ' '} ${l.line}`).join('\n') : '(nothing printed yet)'}</pre></details>`
      : null}
  </article>`;
}
