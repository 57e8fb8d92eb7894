// `gcloud run revisions` and the list columns gcloud prints, against a project with two services: the
// labelSelector gcloud sends (`serving.knative.dev/service = NAME`) selects one service's revisions, and the
// ACTIVE / DEPLOYED BY / LAST DEPLOYED BY columns are filled. The selector grammar Cloud Run documents
// (=, !=, exists, in, notIn; Kubernetes syntax) is checked on the wire with fetch, as a REST client sends it.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { GCLOUD_SKIP, gcloudSuite, type GcloudSession } from './support/gcloud.js';
import { startGcloudProject } from './support/gcloud-fixture.js';

const REGION = '--region=us-central1';
const DEVELOPER = 'developer@example.com';

describe('gcloud run revisions against authplane (two services)', { skip: GCLOUD_SKIP }, () => {
  const suite = gcloudSuite({ extraServices: ['report'] });
  let gcloud: GcloudSession;
  const revisionOf = async (service: string) => {
    const body = (await (await fetch(`${suite.project.ap.apiUrl}/apis/serving.knative.dev/v1/namespaces/demo-project/services/${service}`)).json()) as { status: { latestReadyRevisionName: string } };
    return body.status.latestReadyRevisionName;
  };

  before(async () => {
    gcloud = await suite.signIn();
  });

  it('revisions list --service report lists report\'s revision only, ACTIVE and DEPLOYED BY filled', async () => {
    const report = await revisionOf('report');
    assert.match(report, /^report-00001-[a-z]{3}$/);
    const lines = await gcloud.ok(['run', 'revisions', 'list', '--service', 'report', REGION, '--format=value(metadata.name,service_name,active,author)']);
    assert.deepEqual(lines.split('\n'), [`${report}\treport\tyes\t${DEVELOPER}`]);
    // The default table: ACTIVE "yes", DEPLOYED BY the creator.
    const table = await gcloud.ok(['run', 'revisions', 'list', '--service=report', REGION]);
    const row = table.split('\n').find((l) => l.includes(report));
    assert.ok(row, table);
    assert.match(row, new RegExp(`${report}\\s+yes\\s+report\\s+\\S+ \\S+ UTC\\s+${DEVELOPER.replace('.', '\\.')}`));
  });

  it('revisions list without --service lists every service\'s revisions; describe shows one', async () => {
    const names = (await gcloud.ok(['run', 'revisions', 'list', REGION, '--format=value(service_name)'])).split('\n').sort();
    assert.deepEqual(names, ['report', 'update']);
    const update = await revisionOf('update');
    const described = await gcloud.ok(['run', 'revisions', 'describe', update, REGION]);
    assert.match(described, new RegExp(`Revision ${update} in region us-central1`));
    assert.match(described, /update-runtime@demo-project\.iam\.gserviceaccount\.com/);
  });

  it('services list shows URL, LAST DEPLOYED BY and AT for every service', async () => {
    const rows = (await gcloud.ok(['run', 'services', 'list', REGION, '--format=value(metadata.name,domain,last_modifier,last_transition_time)'])).split('\n').sort();
    assert.equal(rows.length, 2);
    for (const [row, name] of rows.map((r, i) => [r, ['report', 'update'][i]!] as const)) {
      const [n, url, modifier, at] = row.split('\t');
      assert.equal(n, name);
      assert.match(url!, new RegExp(`^https://${name}-`));
      assert.equal(modifier, DEVELOPER);
      assert.match(at!, /^\d{4}-\d\d-\d\dT/);
    }
  });

  it('a malformed labelSelector is refused by gcloud\'s list call with 400 naming labelSelector', async () => {
    const r = await fetch(`${suite.project.ap.apiUrl}/apis/serving.knative.dev/v1/namespaces/demo-project/revisions?labelSelector=${encodeURIComponent('serving.knative.dev/service = (report')}`);
    assert.equal(r.status, 400);
    const body = (await r.json()) as { error: { status: string; message: string } };
    assert.equal(body.error.status, 'INVALID_ARGUMENT');
    assert.match(body.error.message, /labelSelector/);
  });
});

describe('Cloud Run v1 labelSelector (Kubernetes syntax: =, ==, !=, exists, !exists, in, notin)', () => {
  type List = { kind: string; items: { metadata: { name: string; labels: Record<string, string> } }[] };
  const cases: [selector: string, services: string[]][] = [
    ['', ['alpha', 'beta', 'update']],
    ['serving.knative.dev/service = beta', ['beta']],
    ['serving.knative.dev/service==beta', ['beta']],
    ['serving.knative.dev/service != beta', ['alpha', 'update']],
    ['serving.knative.dev/service in (alpha, update)', ['alpha', 'update']],
    ['serving.knative.dev/service notin (alpha,update)', ['beta']],
    ['serving.knative.dev/service', ['alpha', 'beta', 'update']],
    ['!serving.knative.dev/service', []],
    ['cloud.googleapis.com/location=us-central1,serving.knative.dev/service!=alpha', ['beta', 'update']],
    ['cloud.googleapis.com/location=europe-west1', []],
    ['no-such-label!=x', ['alpha', 'beta', 'update']],
  ];

  it('revisions and services lists (namespaced and global) select by label', async () => {
    const project = await startGcloudProject({ extraServices: ['alpha', 'beta'] });
    try {
      const get = async (path: string, selector: string) => {
        const r = await fetch(`${project.ap.apiUrl}${path}${selector ? `?labelSelector=${encodeURIComponent(selector)}` : ''}`);
        assert.equal(r.status, 200, `${path} ${selector}: ${r.status}`);
        return (await r.json()) as List;
      };
      for (const [selector, expected] of cases) {
        const revisions = await get('/apis/serving.knative.dev/v1/namespaces/demo-project/revisions', selector);
        assert.deepEqual(revisions.items.map((i) => i.metadata.labels['serving.knative.dev/service']).sort(), expected, `revisions ${selector}`);
      }
      // Services carry the location label only.
      for (const path of ['/apis/serving.knative.dev/v1/namespaces/demo-project/services', '/v1/projects/demo-project/locations/-/services']) {
        assert.deepEqual((await get(path, 'cloud.googleapis.com/location in (us-central1)')).items.map((i) => i.metadata.name).sort(), ['alpha', 'beta', 'update']);
        assert.deepEqual((await get(path, 'cloud.googleapis.com/location != us-central1')).items, []);
        assert.deepEqual((await get(path, 'serving.knative.dev/service = beta')).items, []);
      }
    } finally {
      await project.stop();
    }
  });

  it('malformed selectors get 400 INVALID_ARGUMENT naming labelSelector, on every list that takes one', async () => {
    const project = await startGcloudProject();
    try {
      for (const selector of ['= b', 'a in ()', 'a in (b', 'a = b = c', 'a b', ',', 'a,', 'bad key!=x', 'a = (b)', 'a =~ b', `a = ${'x'.repeat(64)}`]) {
        for (const path of ['/apis/serving.knative.dev/v1/namespaces/demo-project/revisions', '/apis/serving.knative.dev/v1/namespaces/demo-project/services', '/v1/projects/demo-project/locations/-/services']) {
          const r = await fetch(`${project.ap.apiUrl}${path}?labelSelector=${encodeURIComponent(selector)}`);
          const body = (await r.json()) as { error: { code: number; status: string; message: string } };
          assert.equal(r.status, 400, `${path} ${JSON.stringify(selector)}`);
          assert.equal(body.error.status, 'INVALID_ARGUMENT');
          assert.match(body.error.message, /^Invalid labelSelector /);
        }
      }
    } finally {
      await project.stop();
    }
  });
});
