// gcloud against authplane's Pub/Sub, as a user would point it: a private CLOUDSDK_CONFIG with
// api_endpoint_overrides/pubsub, and --access-token-file holding an access token from a workload's metadata
// server (docs/pubsub.md, "gcloud"). The commands:
// `topics create`, `subscriptions create --push-endpoint --push-auth-service-account` and `topics publish`;
// then the push delivery that follows: the endpoint has a path and gcloud sets no audience, so the token's
// audience is the endpoint and Cloud Run answers 401 AUDIENCE_MISMATCH (SCENARIOS row 20).
//
// gcloud and the authplane it talks to run together in a private network namespace (`unshare -n`, only
// `lo`), so nothing gcloud might try reaches beyond this machine. Skipped, loudly, without /usr/bin/gcloud.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_MAIN } from './support/cli.js';

const GCLOUD = '/usr/bin/gcloud';
const ECHO = fileURLToPath(new URL('../../demo/echo.mjs', import.meta.url));
const SA = (n: string) => `${n}@demo-project.iam.gserviceaccount.com`;
const ENDPOINT = 'https://update-123456789012.us-central1.run.app/push';

if (!existsSync(GCLOUD)) console.log(`# SKIPPED test/pubsub-gcloud: ${GCLOUD} is not installed; gcloud's Pub/Sub commands are untested here`);

test('gcloud pubsub topics create, subscriptions create --push-endpoint --push-auth-service-account, topics publish', { skip: !existsSync(GCLOUD) && `${GCLOUD} is absent` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-gcloud-pubsub-'));
  try {
    // Fixed ports are safe: the namespace is new and empty.
    writeFileSync(
      join(dir, 'authplane.yaml'),
      JSON.stringify({
        server: { host: '127.0.0.1', apiPort: 18930, grpcPort: 18123 },
        serviceAccounts: [{ name: 'push-invoker' }, { name: 'deployer' }, { name: 'update-runtime' }],
        workloads: [{ name: 'deployer', serviceAccount: 'deployer', metadataPort: 18200 }],
        services: [{ name: 'update', command: `node ${ECHO}`, serviceAccount: 'update-runtime', port: 18001, metadataPort: 18201 }],
        iam: {
          bindings: [
            { resource: 'projects/demo-project', role: 'roles/pubsub.editor', members: ['serviceAccount:deployer'] },
            { resource: 'serviceAccounts/push-invoker', role: 'roles/iam.serviceAccountUser', members: ['serviceAccount:deployer'] },
            { resource: 'services/update', role: 'roles/run.invoker', members: ['serviceAccount:push-invoker'] },
          ],
        },
      }),
    );
    const out = (name: string) => join(dir, name);
    const script = `
set -u
ip link set lo up
node ${CLI_MAIN} start --config ${out('authplane.yaml')} --data ${out('data')} > ${out('authplane.log')} 2>&1 &
AP=$!
for i in $(seq 1 600); do grep -q "authplane ready" ${out('authplane.log')} && break; sleep 0.1; done
node -e 'fetch("http://127.0.0.1:18200/computeMetadata/v1/instance/service-accounts/default/token",{headers:{"Metadata-Flavor":"Google"}}).then(r=>r.json()).then(j=>require("fs").writeFileSync(process.argv[1],j.access_token))' ${out('token')}
export CLOUDSDK_CONFIG=${out('gcloud')} CLOUDSDK_CORE_DISABLE_PROMPTS=1 GCE_METADATA_ROOT=127.0.0.1:9
mkdir -p $CLOUDSDK_CONFIG/configurations
printf default > $CLOUDSDK_CONFIG/active_config
printf '[core]\\nproject = demo-project\\ndisable_usage_reporting = true\\ncheck_gce_metadata = false\\n[component_manager]\\ndisable_update_check = true\\n[api_endpoint_overrides]\\npubsub = http://127.0.0.1:18930/\\n' > $CLOUDSDK_CONFIG/configurations/config_default
T=--access-token-file=${out('token')}
${GCLOUD} pubsub topics create orders $T > ${out('1.out')} 2>&1; echo $? >> ${out('1.out')}
${GCLOUD} pubsub subscriptions create orders-push --topic=orders --push-endpoint=${ENDPOINT} --push-auth-service-account=${SA('push-invoker')} $T > ${out('2.out')} 2>&1; echo $? >> ${out('2.out')}
${GCLOUD} pubsub topics publish orders --message='hello world' --attribute=k=v $T > ${out('3.out')} 2>&1; echo $? >> ${out('3.out')}
for i in $(seq 1 300); do
  node -e 'fetch("http://127.0.0.1:18930/admin/v1/requests?surface=dispatch").then(r=>r.text()).then(t=>require("fs").writeFileSync(process.argv[1],t))' ${out('attempts.json')}
  grep -q '"attempt":1' ${out('attempts.json')} && break; sleep 0.1
done
node -e 'fetch("http://127.0.0.1:18930/v1/projects/demo-project/subscriptions/orders-push").then(r=>r.text()).then(t=>require("fs").writeFileSync(process.argv[1],t))' ${out('subscription.json')}
kill $AP; wait $AP
`;
    const r = spawnSync('unshare', ['-n', 'bash', '-c', script], { encoding: 'utf8', timeout: 480_000 });
    assert.equal(r.error, undefined, `could not run gcloud in a private network namespace (unshare -n, as root): ${String(r.error)}`);
    assert.equal(r.status, 0, `unshare -n: ${r.stderr}`);
    const read = (f: string) => (existsSync(out(f)) ? readFileSync(out(f), 'utf8') : `(no ${f}; authplane log: ${readFileSync(out('authplane.log'), 'utf8').slice(-2000)})`);

    assert.match(read('1.out'), /Created topic \[projects\/demo-project\/topics\/orders\]\.\n0\n$/, read('1.out'));
    assert.match(read('2.out'), /Created subscription \[projects\/demo-project\/subscriptions\/orders-push\]\.\n0\n$/, read('2.out'));
    assert.match(read('3.out'), /messageIds:\n- '\d+'\n0\n$/, read('3.out'));

    const sub = JSON.parse(read('subscription.json')) as { pushConfig: { pushEndpoint: string; oidcToken: { serviceAccountEmail: string; audience?: string } } };
    assert.equal(sub.pushConfig.pushEndpoint, ENDPOINT);
    assert.deepEqual(sub.pushConfig.oidcToken, { serviceAccountEmail: SA('push-invoker') }, 'gcloud sets no audience');

    const { requests } = JSON.parse(read('attempts.json')) as { requests: { status: number; code?: string; evidence?: { hint?: string }; dispatch: { attempt: number; messageId: string } }[] };
    const first = requests.find((e) => e.dispatch.attempt === 1)!;
    assert.ok(first, read('attempts.json'));
    assert.equal(first.status, 401);
    assert.equal(first.code, 'AUDIENCE_MISMATCH');
    assert.equal(first.evidence?.hint, 'path');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
