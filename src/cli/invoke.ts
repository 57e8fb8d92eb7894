// `authplane invoke [--impersonate SA] [-X METHOD] [--data BODY] [-H 'K: V'] URL`: the seed's
// "impersonate and curl" check. Mints an ID token through the IAM Credentials API (audience derived from
// the URL as Google's samples do), calls the URL through its front door on this machine, and prints the
// status, the token's claims and, on refusal, the code with its explanation from the request log.

import { audienceForUrl } from '../client/audience.js';
import { decodeJwt } from '../lib/jwt.js';
import { isRefusalCode, REFUSAL_CODES, type CodeSpec, type RefusalCode } from '../verify/codes.js';
import { callApi } from './api-client.js';
import { denialLines } from './explain.js';
import { resolveAccount } from './token.js';
import { parseVerb, refuseTogether, usageError } from './usage.js';

const HELP = `usage: authplane invoke --impersonate SA [-X METHOD] [--data BODY] [-H 'Name: value']… [options] URL

Mints an ID token for SA (generateIdToken, as gcloud --impersonate-service-account does), calls URL
through its front door on this machine, and prints the status, the token's claims and any refusal
code with its explanation and fix.

  --impersonate SA      NAME or NAME@PROJECT.iam.gserviceaccount.com (you need Token Creator on it)
  -X, --request METHOD  HTTP method (default GET, or POST with --data)
  -d, --data BODY       request body
  -H, --header 'K: V'   extra header (repeatable)
  --audience AUD        the token's audience (default: the URL's origin; for cloudfunctions.net the function's URL)
  --header-name NAME    authorization (default) or x-serverless-authorization
  --no-email            mint without the email claim (includeEmail: false)
  --access-token        send an access token instead (to see ACCESS_TOKEN_NOT_ID_TOKEN)
  --json                print {status, service, claims, refusal, body} as JSON

Exits 0 when the service answered 2xx, 1 otherwise.

example:
  authplane invoke --impersonate tasks-invoker -X PUT --data '{"taskId":"test"}' https://update-123456789012.us-central1.run.app/`;

export async function run(args: string[]): Promise<number> {
  const parsed = parseVerb(
    'invoke',
    args,
    {
      impersonate: { type: 'string' },
      request: { type: 'string', short: 'X' },
      data: { type: 'string', short: 'd' },
      header: { type: 'string', short: 'H', multiple: true },
      audience: { type: 'string' },
      'header-name': { type: 'string' },
      'no-email': { type: 'boolean' },
      'access-token': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const target = positionals[0];
  if (!target || positionals.length > 1) return usageError('invoke', 'give one URL');
  if (!values.impersonate) return usageError('invoke', '--impersonate SA is required (the account whose ID token is sent)');
  const mixed = refuseTogether('invoke', values, 'access-token', ['audience', 'no-email'], 'an access token has neither an audience nor an email claim (leave out --access-token to send an ID token)');
  if (mixed !== undefined) return mixed;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    console.error(`authplane invoke: ${target} is not a URL (write it with its scheme)`);
    return 2;
  }
  const headerName = (values['header-name'] ?? 'authorization').toLowerCase();
  if (headerName !== 'authorization' && headerName !== 'x-serverless-authorization') {
    console.error('authplane invoke: --header-name must be authorization or x-serverless-authorization');
    return 2;
  }
  const extra: [string, string][] = [];
  for (const h of values.header ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) {
      console.error(`authplane invoke: -H ${JSON.stringify(h)} is not "Name: value"`);
      return 2;
    }
    extra.push([h.slice(0, i).trim(), h.slice(i + 1).trim()]);
  }

  const services = (await callApi<{ services: ServiceState[] }>('GET', '/admin/v1/state')).services;
  const svc = serviceForUrl(services, url.href);
  if (!svc?.urls.local) {
    console.error(`authplane invoke: ${url.origin} is not one of this authplane's services (${services.map((s) => s.urls.deterministic ?? s.urls.hashed).join(', ') || 'none'}).`);
    return 2;
  }
  const sa = await resolveAccount(values.impersonate);
  const account = `/v1/projects/-/serviceAccounts/${encodeURIComponent(sa)}`;
  const audience = values.audience ?? audienceForUrl(url.href);
  const token = values['access-token']
    ? (await callApi<{ accessToken: string }>('POST', `${account}:generateAccessToken`, { scope: ['https://www.googleapis.com/auth/cloud-platform'] })).accessToken
    : (await callApi<{ token: string }>('POST', `${account}:generateIdToken`, { audience, includeEmail: !values['no-email'] }, { audience: `--audience ${audience}` })).token;

  const local = new URL(url.pathname + url.search, svc.urls.local);
  const method = (values.request ?? (values.data !== undefined ? 'POST' : 'GET')).toUpperCase();
  const headers = new Headers(extra);
  headers.set(headerName, `Bearer ${token}`);
  if (values.data !== undefined && !headers.has('content-type')) headers.set('content-type', values.data.trim().startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded');
  const res = await fetch(local, { method, headers, ...(values.data !== undefined ? { body: values.data } : {}) });
  const body = await res.text();

  const decoded = decodeJwt(token);
  const code = res.headers.get('x-authplane-denial');
  const id = res.headers.get('x-authplane-request-id');
  type Entry = { code: RefusalCode; status: number; message: string; explanation: string; remedy: string; evidence: Record<string, unknown> };
  const entry = code && id ? await callApi<Entry>('GET', `/admin/v1/requests/${encodeURIComponent(id)}`).catch(() => undefined) : undefined;
  if (values.json) {
    console.log(JSON.stringify({ method, url: url.href, localUrl: local.href, service: svc.name, status: res.status, token: { type: values['access-token'] ? 'access' : 'id', serviceAccount: sa, audience, claims: decoded?.claims ?? null }, code, refusal: entry ?? null, body }, null, 2));
    return res.ok ? 0 : 1;
  }
  console.log(`${method} ${url.href}  →  ${local.href}  (service ${svc.name})`);
  console.log(`status     ${res.status} ${res.statusText}`);
  console.log(`token      ${values['access-token'] ? 'access token' : `ID token for ${sa}, aud ${audience}`} in ${headerName}`);
  if (decoded) console.log(`claims     ${JSON.stringify(decoded.claims)}`);
  if (code) {
    if (entry) console.log(denialLines(entry).join('\n'));
    else if (isRefusalCode(code)) {
      // Refused before it was a request (e.g. by the HTTP parser), so not in the request log: the code's own words.
      const spec: CodeSpec = REFUSAL_CODES[code];
      console.log(`result     REFUSED ${res.status} ${code} (not in the request log)\nwhy        ${spec.summary}\nfix        ${spec.remedy.replace(/\{\w+\}/g, '…')}`);
    } else console.log(`result     REFUSED ${res.status} ${code}`);
  }
  console.log(`body       ${body.length > 2000 ? `${body.slice(0, 2000)}… (${body.length} bytes)` : body}`);
  return res.ok ? 0 : 1;
}

/** A service as GET /admin/v1/state lists it. */
interface ServiceState {
  name: string;
  urls: { deterministic?: string; hashed: string; functions?: string; local?: string };
}

/** The configured service a URL points at (its run.app, functions or local URL; localhost for 127.0.0.1). */
function serviceForUrl(services: ServiceState[], url: string): ServiceState | undefined {
  const u = new URL(url);
  return services.find((s) =>
    [s.urls.deterministic, s.urls.hashed, s.urls.functions, s.urls.local].some((x) => {
      if (!x) return false;
      const xu = new URL(x);
      if (xu.hostname === '127.0.0.1' && u.hostname === 'localhost') return xu.port === u.port;
      return xu.host === u.host && (!x.includes('cloudfunctions.net') || u.pathname === xu.pathname || u.pathname.startsWith(`${xu.pathname}/`));
    }),
  );
}
