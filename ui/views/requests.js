// Requests: every request authplane answered — front doors, IAP, gateways, the APIs, metadata servers and
// the attempts of Cloud Tasks, Cloud Scheduler and Pub/Sub — newest first and live (server-sent events).
// New entries are added to the list; rows keep their own open/closed state, so an explanation you opened
// stays open while others arrive. Escape closes the row opened last.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { get, streamRequests } from '../api.js';
import { clock, Code, ErrorLine, html, Panel, Refusal, Status } from '../components.js';
import { attemptLink, iamLink } from '../links.js';

const KEEP = 500;
const SURFACES = ['run', 'iap', 'gateway', 'api', 'metadata', 'dispatch'];
const STATUS_CLASSES = [
  ['', 'any'],
  ['2', '2xx'],
  ['3', '3xx'],
  ['4', '4xx'],
  ['5', '5xx'],
  ['refused', 'refused (has a code)'],
];

export function RequestsView({ focusId }) {
  const [entries, setEntries] = useState([]);
  const [live, setLive] = useState('connecting');
  const [error, setError] = useState(undefined);
  // Which rows are open, kept in a ref as well: Escape and new entries act on the current set at once, not on
  // the one of the last render (effects run a frame late).
  const [open, setOpen] = useState(() => new Set(focusId ? [focusId] : []));
  const openNow = useRef(open);
  const opened = useRef([]);
  const setOpenRows = (next) => {
    openNow.current = next;
    setOpen(next);
  };
  const toggle = (id, want) => {
    const next = new Set(openNow.current);
    const on = want ?? !next.has(id);
    if (on) {
      next.add(id);
      opened.current.push(id);
    } else next.delete(id);
    setOpenRows(next);
  };
  const [filter, setFilter] = useState({ surface: '', service: '', status: '', code: '', principal: '' });

  useEffect(() => {
    // The stream first, then the recent history: nothing recorded in between is missed (duplicates merge by id).
    const add = (list) =>
      setEntries((cur) => {
        const seen = new Set(cur.map((e) => e.id));
        const fresh = list.filter((e) => !seen.has(e.id));
        if (fresh.length === 0) return cur;
        return [...fresh, ...cur].sort(newestFirst).slice(0, KEEP);
      });
    const stop = streamRequests((e) => add([e]), setLive);
    get(`/admin/v1/requests?limit=${KEEP}`).then((r) => {
      add(r.requests);
      // When the page showed the history (bench/dashboard.ts reads it against its 300 ms bar; the browser test waits on it).
      requestAnimationFrame(() => performance.mark('authplane-requests-shown'));
    }, setError);
    return stop;
  }, []);

  useEffect(() => {
    if (!focusId) return;
    if (!openNow.current.has(focusId)) toggle(focusId, true);
    requestAnimationFrame(() => document.getElementById(`toggle-${focusId}`)?.focus());
  }, [focusId, entries.some((e) => e.id === focusId)]);

  useEffect(() => {
    const onKey = (ev) => {
      if (ev.key !== 'Escape') return;
      while (opened.current.length) {
        const id = opened.current.pop();
        if (!openNow.current.has(id)) continue;
        toggle(id, false);
        document.getElementById(`toggle-${id}`)?.focus();
        ev.preventDefault();
        return;
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const services = useMemo(() => [...new Set(entries.map((e) => e.service))].sort(), [entries]);
  const codes = useMemo(() => [...new Set(entries.map((e) => e.code).filter(Boolean))].sort(), [entries]);
  const shown = entries.filter((e) => matches(e, filter));
  const set = (k) => (ev) => {
    const v = ev.currentTarget.value;
    setFilter((f) => ({ ...f, [k]: v }));
  };

  return html`<${Panel} id="requests-title" title="Requests" actions=${html`<span class=${`live ${live}`} role="status">${live === 'live' ? 'live' : live}</span>`}>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filter requests">
      <div class="field"><label for="filter-surface">Surface</label><select id="filter-surface" value=${filter.surface} onChange=${set('surface')}><option value="">all</option>${SURFACES.map((s) => html`<option value=${s}>${s}</option>`)}</select></div>
      <div class="field"><label for="filter-service">Service</label><select id="filter-service" value=${filter.service} onChange=${set('service')}><option value="">all</option>${services.map((s) => html`<option value=${s}>${s}</option>`)}</select></div>
      <div class="field"><label for="filter-status">Status</label><select id="filter-status" value=${filter.status} onChange=${set('status')}>${STATUS_CLASSES.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select></div>
      <div class="field"><label for="filter-code">Code</label><select id="filter-code" value=${filter.code} onChange=${set('code')}><option value="">any</option>${codes.map((c) => html`<option value=${c}>${c}</option>`)}</select></div>
      <div class="field"><label for="filter-principal">Principal</label><input id="filter-principal" type="search" value=${filter.principal} onInput=${set('principal')} placeholder="e.g. tasks-no-role" /></div>
      <span class="muted">${shown.length} of ${entries.length}</span>
    </form>
    <${ErrorLine} error=${error} />
    <table class="requests">
      <thead><tr><th scope="col"><span class="sr-only">Details</span></th><th scope="col">Time</th><th scope="col">Surface</th><th scope="col">Service</th><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Code</th><th scope="col">Principal</th></tr></thead>
      <tbody>
        ${shown.length === 0 ? html`<tr><td colspan="8" class="muted">No requests yet${entries.length ? ' match these filters' : ''}.</td></tr>` : null}
        ${shown.map((e) => html`<${Row} key=${e.id} entry=${e} open=${open.has(e.id)} onToggle=${() => toggle(e.id)} />`)}
      </tbody>
    </table>
  </${Panel}>`;
}

function Row({ entry: e, open, onToggle }) {
  const what = `${e.method} ${e.host ? `${e.host}` : ''}${e.path}`;
  return html`
    <tr id=${`request-${e.id}`} class=${e.code ? 'refused' : ''} data-request-id=${e.id}>
      <td><button type="button" class="toggle" id=${`toggle-${e.id}`} aria-expanded=${open ? 'true' : 'false'} aria-controls=${`details-${e.id}`} onClick=${onToggle}>
        <span aria-hidden="true">${open ? '▾' : '▸'}</span><span class="sr-only">${open ? 'Hide' : 'Show'} details of ${what}</span></button></td>
      <td class="nowrap">${clock(e.time)}</td>
      <td>${e.surface}</td>
      <td>${e.service}</td>
      <td class="path"><code>${what}</code></td>
      <td><${Status} status=${e.status} /></td>
      <td><${Code} code=${e.code} /></td>
      <td class="principal">${e.principal ?? ''}</td>
    </tr>
    ${open ? html`<tr class="details" id=${`details-${e.id}`}><td></td><td colspan="7"><${Details} entry=${e} /></td></tr>` : null}`;
}

function Details({ entry: e }) {
  const attempt = e.dispatch ? attemptLink(e.dispatch.resource) : undefined;
  const iam = iamLink(e);
  return html`<div class="detail-body">
    <p>
      <strong>${e.outcome}</strong> in ${e.durationMs} ms · request <code>${e.id}</code>${e.source ? html` · from ${e.source}` : null}${e.internal ? ' · internal traffic' : ''}
      ${e.googleVisible === false ? html` · <em>not in Google's logs</em>` : null}
    </p>
    ${e.code ? html`<p class="headline"><${Code} code=${e.code} /> ${e.explanation ?? ''}</p>` : null}
    <${Refusal} entry=${e} />
    ${e.dispatch
      ? html`<p>Attempt <strong>#${e.dispatch.attempt}</strong> of <code>${e.dispatch.resource}</code>${e.dispatch.messageId ? html` (message ${e.dispatch.messageId})` : null} → ${e.dispatch.target}.
          ${e.dispatch.retryTime ? html` Next attempt at ${clock(e.dispatch.retryTime)}.` : null} ${e.dispatch.retryReason ? html`<span class="reason">${e.dispatch.retryReason}</span>` : null}</p>`
      : null}
    <p class="links">
      ${attempt ? html`<a href=${attempt}>Open this attempt's ${e.dispatch.product === 'cloudtasks' ? 'task' : e.dispatch.product === 'cloudscheduler' ? 'job' : 'subscription'}</a>` : null}
      ${e.dispatch?.frontDoorRequestId ? html`<a href=${`#/requests/${e.dispatch.frontDoorRequestId}`}>The front door's entry</a>` : null}
      ${iam ? html`<a href=${iam}>IAM of ${iam.slice('#/iam/'.length)}</a>` : null}
    </p>
    ${e.token ? html`<details><summary>Token (${e.token.header})</summary><pre class="evidence">${JSON.stringify({ header: e.token.jwtHeader, claims: e.token.claims, opaque: e.token.opaque }, null, 2)}</pre></details>` : null}
    ${e.error ? html`<p class="error">${e.error}</p>` : null}
  </div>`;
}

function matches(e, f) {
  if (f.surface && e.surface !== f.surface) return false;
  if (f.service && e.service !== f.service) return false;
  if (f.code && e.code !== f.code) return false;
  if (f.status === 'refused' && !e.code) return false;
  if (f.status && f.status !== 'refused' && String(e.status)[0] !== f.status) return false;
  if (f.principal && !(e.principal ?? '').toLowerCase().includes(f.principal.toLowerCase())) return false;
  return true;
}

const newestFirst = (a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0);
