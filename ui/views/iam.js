// IAM: the bindings of every resource, and for a change still propagating, a countdown per simulated front
// end until each enforces it, then "enforced everywhere". Times come from authplane's own clock (`now` in
// each answer), polled every second while something propagates, so the countdown is the server's.

import { useEffect, useRef } from 'preact/hooks';
import { get } from '../api.js';
import { clock, duration, ErrorLine, html, Panel, usePoll } from '../components.js';

export function IamView({ focus }) {
  const propagating = useRef(false);
  const [data, error] = usePoll(() => get('/admin/v1/policies'), () => (propagating.current ? 1000 : 4000));
  const policies = data?.policies ?? [];
  propagating.current = policies.some((p) => p.fullyVisibleAt > data.now);
  useEffect(() => {
    if (focus && data) document.getElementById(`policy-${focus}`)?.scrollIntoView({ block: 'start' });
  }, [focus, data === undefined]);
  const sorted = [...policies].sort((a, b) => (b.changedAt > 0) - (a.changedAt > 0) || b.changedAt - a.changedAt || a.resource.localeCompare(b.resource));
  return html`<${Panel} id="iam-title" title="IAM"
      actions=${data ? html`<span class="muted">propagation ${duration(data.propagation.minMs)}–${duration(data.propagation.maxMs)} over ${data.propagation.frontEnds} front ends</span>` : null}>
    <${ErrorLine} error=${error} />
    ${data === undefined && !error ? html`<p class="muted">Loading…</p>` : null}
    <div class="cards">${sorted.map((p) => html`<${Policy} key=${p.resource} p=${p} now=${data.now} focused=${p.resource === focus} />`)}</div>
  </${Panel}>`;
}

function Policy({ p, now, focused }) {
  const pending = p.frontEnds.filter((f) => f.visibleAt > now);
  const id = `policy-${p.resource}`;
  return html`<article class=${`card${focused ? ' focused' : ''}`} id=${id} aria-labelledby=${`${id}-h`} tabindex=${focused ? '-1' : undefined}>
    <h3 id=${`${id}-h`}><code>${p.resource}</code></h3>
    ${p.changedAt > 0 ? html`<${Rollout} p=${p} now=${now} pending=${pending} />` : html`<p class="muted">From the config (enforced everywhere from the start).</p>`}
    ${p.policy.bindings.length === 0 ? html`<p class="muted">No bindings.</p>` : null}
    <ul class="bindings">${p.policy.bindings.filter((b) => b.members.length).map((b) => html`<li><strong>${b.role}</strong><ul class="plain">${b.members.map((m) => html`<li><code>${m}</code>${added(p, b.role, m) ? html` <span class="badge info">new</span>` : null}</li>`)}</ul></li>`)}</ul>
    ${removed(p).length ? html`<p>Removed: ${removed(p).map(([r, m]) => html`<code>${m}</code> from ${r} `)}</p>` : null}
  </article>`;
}

function Rollout({ p, now, pending }) {
  if (pending.length === 0) {
    return html`<p class="rollout done" role="status"><span class="badge ok">enforced everywhere</span> changed at ${clock(p.changedAt)}, on every front end since ${clock(p.fullyVisibleAt)}</p>`;
  }
  return html`<div class="rollout" role="status" aria-live="polite">
    <p><span class="badge info">propagating</span> changed at ${clock(p.changedAt)}: ${p.frontEnds.length - pending.length} of ${p.frontEnds.length} front ends enforce it; everywhere in <strong>${duration(p.fullyVisibleAt - now)}</strong></p>
    <ol class="frontends">${p.frontEnds.map((f) => html`<li class=${f.visibleAt <= now ? 'on' : 'off'}>front end ${f.frontEnd}: ${f.visibleAt <= now ? 'enforces it' : html`in <strong>${duration(f.visibleAt - now)}</strong>`}</li>`)}</ol>
  </div>`;
}

const members = (policy) => new Set((policy?.bindings ?? []).flatMap((b) => b.members.map((m) => `${b.role} ${m}`)));
const added = (p, role, m) => p.previous !== undefined && !members(p.previous).has(`${role} ${m}`);
const removed = (p) => {
  if (!p.previous) return [];
  const now = members(p.policy);
  return [...members(p.previous)].filter((x) => !now.has(x)).map((x) => x.split(' '));
};
