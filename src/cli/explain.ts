// `authplane explain --token T --url U`: how the front door of the service at U would treat T — the same
// admission decision the front door makes (src/admission/explain.ts): asked of the running authplane
// (POST /admin/v1/admission:explain), or with --offline (or when authplane is not reachable) made in this
// process from the config, without checking the signature.

import { parseArgs } from 'node:util';
import { EXPLAIN_HEADERS, type ExplainHeader, type ExplainInput, type Finding } from '../admission/explain.js';
import type { AttemptFinding } from '../admission/explain-attempt.js';
import type { Denial } from '../verify/denial.js';
import { ApiCallError, apiUrl, callApi } from './api-client.js';
import { refuseTogether, usageError } from './usage.js';

export type { Finding };

const HELP = `usage: authplane explain --token TOKEN --url URL [--header NAME] [-X METHOD] [--internal] [--offline [--config FILE]] [--json]
       authplane explain --job JOB | --subscription SUBSCRIPTION | --task QUEUE/TASK [--json]

Explains how the front door of the service at URL would treat TOKEN: the same admission decision the front
door makes (ingress, IAP, which credential, the verifier, run.routes.invoke) — the refusal code Google's
answer would carry, what it means, the evidence and the fix; or who the call would run as.

  --token TOKEN   the token as sent (a leading "Bearer " is ignored; "-" reads it from stdin; "" for none)
  --url URL       where it is sent: a run.app, cloudfunctions.net, custom-domain or local front-door URL
  --header NAME   the header it travels in: ${EXPLAIN_HEADERS.join(', ')} (default authorization)
  -X METHOD       the request method (default GET)
  --internal      as same-project traffic (Cloud Tasks, Scheduler, Pub/Sub, a caller inside the VPC)
  --offline       decide in this process from the config, without a running authplane (signatures are not
                  checked: there are no keys); also used when authplane is not reachable
  --config FILE   the config for --offline (default: the built-in demo project)
  --json          print the finding as JSON

  --job JOB, --subscription SUBSCRIPTION, --task QUEUE/TASK
                  the request Cloud Scheduler, Pub/Sub push or Cloud Tasks would send on the next attempt (its URL,
                  method and token, minted as the attempt mints it), explained the same way (a running authplane)

example:
  authplane explain --token "$(authplane token --impersonate tasks-invoker --audience https://update-123456789012.us-central1.run.app/v1)" \\
    --url https://update-123456789012.us-central1.run.app/v1`;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        token: { type: 'string' },
        url: { type: 'string' },
        header: { type: 'string' },
        request: { type: 'string', short: 'X' },
        internal: { type: 'boolean' },
        offline: { type: 'boolean' },
        config: { type: 'string' },
        json: { type: 'boolean' },
        job: { type: 'string' },
        subscription: { type: 'string' },
        task: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (e) {
    return usageError('explain', (e as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const attempt = (['job', 'subscription', 'task'] as const).filter((k) => values[k] !== undefined);
  if (attempt.length > 0) {
    const alone = refuseTogether('explain', values, attempt[0]!, [...attempt.slice(1), 'token', 'url', 'header', 'request', 'internal', 'offline', 'config'], '--job, --subscription and --task each stand alone (the attempt carries its own URL, method, header and token, and the store is the running authplane\'s)');
    if (alone !== undefined) return alone;
    const kind = attempt[0]!;
    const finding = await callApi<AttemptFinding>('POST', '/admin/v1/admission:explainAttempt', { kind, id: values[kind] });
    if (values.json) console.log(JSON.stringify(finding, null, 2));
    else {
      console.log(`attempt    ${finding.caller}: ${finding.method} ${finding.url}  (${finding.resource})`);
      printFinding(finding);
    }
    return finding.accepted ? 0 : 1;
  }
  if (values.token === undefined || !values.url) {
    console.error(`authplane explain: --token and --url are required\n\n${HELP}`);
    return 2;
  }
  if (values.header !== undefined && !(EXPLAIN_HEADERS as readonly string[]).includes(values.header.toLowerCase())) {
    console.error(`authplane explain: --header must be one of ${EXPLAIN_HEADERS.join(', ')}`);
    return 2;
  }
  try {
    if (!/^https?:$/.test(new URL(values.url).protocol)) throw new TypeError('not http(s)');
  } catch {
    console.error(`authplane explain: --url ${values.url} is not a URL (write it with its scheme, e.g. https://update-123456789012.us-central1.run.app/)`);
    return 2;
  }
  const token = values.token === '-' ? (await readStdin()).trim() : values.token;
  const input: ExplainInput = {
    token,
    url: values.url,
    ...(values.header !== undefined ? { header: values.header.toLowerCase() as ExplainHeader } : {}),
    ...(values.request !== undefined ? { method: values.request.toUpperCase() } : {}),
    ...(values.internal ? { internal: true } : {}),
  };
  const finding = await explain(input.token, input.url, { offline: values.offline ?? false, input, ...(values.config !== undefined ? { config: values.config } : {}) });
  if (values.json) console.log(JSON.stringify(finding, null, 2));
  else printFinding(finding);
  return finding.accepted ? 0 : 1;
}

/** The finding for `token` at `url`: from the running authplane, or offline from `config` (default: the demo). */
export async function explain(token: string, url: string, opts: { offline: boolean; input?: ExplainInput; config?: string }): Promise<Finding> {
  const input: ExplainInput = opts.input ?? { token, url };
  if (!opts.offline) {
    try {
      return await callApi<Finding>('POST', '/admin/v1/admission:explain', input);
    } catch (e) {
      if (e instanceof ApiCallError) throw e;
      // Not reachable: the offline decision, said so.
      const f = await offline(input, opts.config);
      f.notes.unshift(`authplane is not reachable at ${apiUrl()}: decided offline from ${opts.config ?? 'the demo config'}.`);
      return f;
    }
  }
  return offline(input, opts.config);
}

async function offline(input: ExplainInput, configFile: string | undefined): Promise<Finding> {
  // Loaded only here: the offline decision needs every product's gates, the live one none of them.
  const [{ explainRequest }, { demoConfigPath }, { loadConfigFile }, { offlineExplainDeps }] = await Promise.all([
    import('../admission/explain.js'),
    import('../config/demo.js'),
    import('../config/load.js'),
    import('../server/offline.js'),
  ]);
  const { deps, close } = await offlineExplainDeps(loadConfigFile(configFile ?? demoConfigPath()));
  try {
    return await explainRequest(input, deps);
  } finally {
    await close();
  }
}

function printFinding(f: Finding): void {
  const out: string[] = [];
  out.push(`url        ${f.url}${f.service ? `  (service ${f.service})` : ''}`);
  out.push(`audiences  ${f.audiences.join(', ')}`);
  if (f.header) out.push(`header     ${JSON.stringify(f.header)}`);
  if (f.claims) out.push(`claims     ${JSON.stringify(f.claims)}`);
  if (f.accepted) out.push(`result     ACCEPTED${f.principal ? ` as ${f.principal}` : ''}${f.mode === 'offline' ? ' (offline: as far as can be told)' : ''}`);
  if (f.denial) out.push(...denialLines({ ...f.denial, status: typeof f.status === 'number' ? f.status : f.denial.status }));
  for (const n of f.notes) out.push(`note       ${n}`);
  console.log(out.join('\n'));
}

/** The refusal as printed lines (a Denial, or the same fields read back from the request log). */
export function denialLines(d: Pick<Denial, 'code' | 'status' | 'message' | 'explanation' | 'remedy' | 'evidence'>): string[] {
  return [
    `result     REFUSED ${d.status} ${d.code}`,
    `google     ${d.message}`,
    `why        ${d.explanation}`,
    `fix        ${d.remedy}`,
    `evidence   ${JSON.stringify(d.evidence)}`,
  ];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
