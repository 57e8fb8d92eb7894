// Token inspector: a token and a URL (or one of the services), the header it travels in, and the admission
// decision the front door would make — POST /admin/v1/admission:explain, the same function the front door
// runs and `authplane explain` prints — with the token's decoded header and claims. The token goes to this
// authplane's admin API only.

import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { Code, ErrorLine, html, Panel, Refusal } from '../components.js';

const HEADERS = ['authorization', 'x-serverless-authorization', 'proxy-authorization'];

export function InspectorView({ services }) {
  const [form, setForm] = useState({ token: '', url: '', header: 'authorization', method: 'GET', internal: false });
  const [finding, setFinding] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [busy, setBusy] = useState(false);
  const set = (k) => (ev) => {
    const v = ev.currentTarget.type === 'checkbox' ? ev.currentTarget.checked : ev.currentTarget.value;
    setForm((f) => ({ ...f, [k]: v }));
  };
  const pick = (ev) => {
    const s = services.find((x) => x.name === ev.currentTarget.value);
    if (s) setForm((f) => ({ ...f, url: `${s.urls.deterministic ?? s.urls.hashed}/` }));
  };
  const submit = async (ev) => {
    ev.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setFinding(await post('/admin/v1/admission:explain', { token: form.token.trim(), url: form.url.trim(), header: form.header, method: form.method, internal: form.internal }));
    } catch (e) {
      setFinding(undefined);
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<${Panel} id="inspector-title" title="Token inspector">
    <p class="muted">The admission decision a service's front door makes for this token at this URL (ingress, IAP, which credential, the verifier, the invoker check). The token is sent to this authplane only.</p>
    <form class="inspector" onSubmit=${submit}>
      <div class="field wide"><label for="inspect-token">Token</label><textarea id="inspect-token" rows="4" spellcheck="false" value=${form.token} onInput=${set('token')} placeholder="eyJhbGciOi… (empty: no credential)"></textarea></div>
      <div class="field wide"><label for="inspect-url">URL</label><input id="inspect-url" type="url" required value=${form.url} onInput=${set('url')} placeholder="https://update-123456789012.us-central1.run.app/" /></div>
      <div class="field"><label for="inspect-service">Or pick a service</label><select id="inspect-service" onChange=${pick} value=""><option value="">—</option>${services.map((s) => html`<option value=${s.name}>${s.name}</option>`)}</select></div>
      <div class="field"><label for="inspect-header">Header</label><select id="inspect-header" value=${form.header} onChange=${set('header')}>${HEADERS.map((h) => html`<option value=${h}>${h}</option>`)}</select></div>
      <div class="field"><label for="inspect-method">Method</label><input id="inspect-method" value=${form.method} onInput=${set('method')} size="7" pattern="[A-Z]+" /></div>
      <div class="field check"><input id="inspect-internal" type="checkbox" checked=${form.internal} onChange=${set('internal')} /><label for="inspect-internal">internal (same-project) traffic</label></div>
      <div class="wide"><button type="submit" class="primary" disabled=${busy}>Explain</button></div>
    </form>
    <${ErrorLine} error=${error} />
    ${finding ? html`<${Finding} f=${finding} />` : null}
  </${Panel}>`;
}

function Finding({ f }) {
  return html`<section class="finding" aria-live="polite" aria-labelledby="finding-title">
    <h3 id="finding-title">${f.accepted ? html`<span class="badge ok">ACCEPTED</span> ${f.principal ? html`as <code>${f.principal}</code>` : null}` : html`<span class="badge bad">REFUSED ${f.status}</span> <${Code} code=${f.denial?.code} />`}</h3>
    <p>${f.service ? html`Service <strong>${f.service}</strong>; ` : null}accepted audiences: ${f.audiences.map((a) => html`<code>${a}</code> `)}</p>
    ${f.denial ? html`<${Refusal} entry=${f.denial} />` : null}
    ${f.notes?.length ? html`<ul>${f.notes.map((n) => html`<li>${n}</li>`)}</ul>` : null}
    ${f.claims ? html`<h4>Decoded token</h4><pre class="evidence">${JSON.stringify({ header: f.header, claims: f.claims }, null, 2)}</pre>` : null}
  </section>`;
}
