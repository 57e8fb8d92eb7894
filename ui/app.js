// The dashboard's shell: the navigation, the project's state (read once), and the view the URL's hash names:
//   #/requests[/ID]   #/services   #/iam[/RESOURCE]   #/tasks[/QUEUE[/TASK]]   #/scheduler[/JOB]
//   #/pubsub[/SUBSCRIPTION]   #/inspector   #/identities
// Every view reads authplane's admin API or Google's REST APIs on this origin; nothing else is fetched.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';
import { ErrorLine, html } from './components.js';
import { IamView } from './views/iam.js';
import { IdentitiesView } from './views/identities.js';
import { InspectorView } from './views/inspector.js';
import { PubsubView } from './views/pubsub.js';
import { RequestsView } from './views/requests.js';
import { SchedulerView } from './views/scheduler.js';
import { ServicesView } from './views/services.js';
import { TasksView } from './views/tasks.js';

const VIEWS = [
  ['requests', 'Requests'],
  ['services', 'Services'],
  ['iam', 'IAM'],
  ['tasks', 'Cloud Tasks'],
  ['scheduler', 'Cloud Scheduler'],
  ['pubsub', 'Pub/Sub'],
  ['inspector', 'Token inspector'],
  ['identities', 'Identities'],
];

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const view = VIEWS.some(([v]) => v === parts[0]) ? parts[0] : 'requests';
  return { view, rest: parts.slice(1) };
}

function App() {
  const [where, setWhere] = useState(route());
  const [state, setState] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    const on = () => {
      setWhere(route());
      // The new view's heading takes the focus, so keyboard and screen-reader users land on it.
      requestAnimationFrame(() => document.querySelector('main h2')?.focus({ preventScroll: false }));
    };
    addEventListener('hashchange', on);
    get('/admin/v1/state').then(setState, setError);
    return () => removeEventListener('hashchange', on);
  }, []);
  const { view, rest } = where;
  const title = VIEWS.find(([v]) => v === view)[1];
  useEffect(() => void (document.title = `${title} · authplane`), [title]);
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <h1>authplane</h1>
      ${state ? html`<span class="project">${state.project.id} (${state.project.number}) · ${state.project.region}</span>` : null}
      <nav aria-label="Views"><ul>
        ${VIEWS.map(([v, label]) => html`<li><a href=${`#/${v}`} aria-current=${v === view ? 'page' : undefined}>${label}</a></li>`)}
      </ul></nav>
    </header>
    <main id="main" tabindex="-1">
      <${ErrorLine} error=${error} />
      ${viewFor(view, rest, state)}
    </main>`;
}

function viewFor(view, rest, state) {
  switch (view) {
    case 'requests':
      return html`<${RequestsView} focusId=${rest[0]} />`;
    case 'services':
      return html`<${ServicesView} />`;
    case 'iam':
      return html`<${IamView} focus=${rest.length ? rest.join('/') : undefined} />`;
    case 'tasks':
      return html`<${TasksView} queue=${rest[0]} task=${rest[1]} />`;
    case 'scheduler':
      return html`<${SchedulerView} job=${rest[0]} />`;
    case 'pubsub':
      return state ? html`<${PubsubView} project=${state.project.id} subscription=${rest[0]} />` : null;
    case 'inspector':
      return html`<${InspectorView} services=${state?.services ?? []} />`;
    case 'identities':
      return state ? html`<${IdentitiesView} state=${state} />` : null;
  }
  return null;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
