// Identities: every service account with its unique id and every metadata server that serves it (a
// workload's, a service's runtime, a gateway's), and the users who can sign in to IAP.

import { html, Panel } from '../components.js';

export function IdentitiesView({ state }) {
  const servers = (email) => state.metadataServers.filter((m) => m.serviceAccount === email);
  return html`<${Panel} id="identities-title" title="Identities">
    <table>
      <thead><tr><th scope="col">Service account</th><th scope="col">Unique id</th><th scope="col">Metadata servers (GCE_METADATA_HOST)</th></tr></thead>
      <tbody>${state.serviceAccounts.map((a) => html`<tr key=${a.email}>
        <th scope="row"><code>${a.email}</code></th><td><code>${a.uniqueId}</code></td>
        <td>${servers(a.email).length ? html`<ul class="plain">${servers(a.email).map((m) => html`<li>${m.name} <code>${m.hostPort}</code></li>`)}</ul>` : html`<span class="muted">none</span>`}</td>
      </tr>`)}</tbody>
    </table>
    <h3>Users</h3>
    ${state.users.length ? html`<ul class="plain">${state.users.map((u) => html`<li><code>${u}</code></li>`)}</ul>` : html`<p class="muted">None configured (users: in the config).</p>`}
  </${Panel}>`;
}
