// `authplane logs [FILTER] [--limit N] [--order asc|desc] [--json]`: Cloud Logging's view of authplane
// for people without gcloud — the same entries.list call `gcloud logging read FILTER` makes, one line
// per entry, with authplane's explanation and fix under each refusal.

import { parseArgs } from 'node:util';
import { callApi } from './api-client.js';
import { usageError } from './usage.js';

const HELP = `usage: authplane logs [FILTER] [--limit N] [--order asc|desc] [--json]

Reads the project's log entries as Cloud Logging shows them — Cloud Run request logs, audit logs of
refused API calls, Cloud Tasks, Cloud Scheduler and Pub/Sub push attempts — made from authplane's
request log, through entries.list (POST /v2/entries:list), as \`gcloud logging read FILTER\` does.

  FILTER            a Logging query language filter (quote it for the shell); empty = everything
  --limit N         at most N entries (default 20)
  --order asc|desc  oldest or newest first (default desc)
  --json            print the entries as JSON

examples:
  authplane logs 'resource.type=cloud_run_revision AND httpRequest.status>=400' --limit 5
  authplane logs 'labels."authplane.dev/denial"="PERMISSION_DENIED" AND timestamp>="2024-06-01"'
  authplane logs 'resource.type=cloud_tasks_queue AND severity>=ERROR' --order asc`;

interface Entry {
  timestamp: string;
  severity: string;
  resource: { type: string; labels: Record<string, string> };
  httpRequest?: { requestMethod?: string; requestUrl?: string; status?: number };
  labels?: Record<string, string>;
  jsonPayload?: Record<string, unknown>;
  protoPayload?: { methodName?: string; resourceName?: string; status?: { code?: number } };
}

const RPC_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { limit: { type: 'string' }, order: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    return usageError('logs', (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const limit = Number(values.limit ?? 20);
  const order = values.order ?? 'desc';
  if (positionals.length > 1 || !Number.isInteger(limit) || limit < 1 || (order !== 'asc' && order !== 'desc')) {
    console.error(`authplane logs: ${positionals.length > 1 ? 'give the filter as one argument (quote it)' : !Number.isInteger(limit) || limit < 1 ? '--limit must be a positive whole number' : '--order must be asc or desc'}\n\n${HELP}`);
    return 2;
  }
  const state = await callApi<{ project: { id: string } }>('GET', '/admin/v1/state');
  const entries: Entry[] = [];
  let pageToken: string | undefined;
  do {
    const page = await callApi<{ entries?: Entry[]; nextPageToken?: string }>('POST', '/v2/entries:list', {
      resourceNames: [`projects/${state.project.id}`],
      filter: positionals[0] ?? '',
      orderBy: `timestamp ${order}`,
      pageSize: Math.min(limit - entries.length, 1000),
      ...(pageToken !== undefined ? { pageToken } : {}),
    });
    entries.push(...(page.entries ?? []));
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined && entries.length < limit);
  if (values.json) {
    console.log(JSON.stringify(entries, null, 2));
    return 0;
  }
  if (entries.length === 0) console.log('(no entries match)');
  for (const e of entries) console.log(describe(e));
  return 0;
}

/** time, severity, resource, status, code, what was called; then why and the fix for a refusal. */
function describe(e: Entry): string {
  const labels = e.resource.labels;
  const name = labels['service_name'] ?? labels['queue_id'] ?? labels['job_id'] ?? labels['subscription_id'] ?? labels['service'] ?? '';
  const json = e.jsonPayload ?? {};
  const attempt = (json['attemptResponseLog'] ?? {}) as Record<string, unknown>;
  const rpc = e.protoPayload?.status?.code;
  const status = e.httpRequest?.status ?? attempt['status'] ?? json['status'] ?? (rpc !== undefined ? (RPC_NAMES[rpc] ?? rpc) : undefined) ?? (typeof json['@type'] === 'string' ? json['@type'].split('.').pop() : '-');
  const what = e.httpRequest?.requestUrl
    ? `${e.httpRequest.requestMethod ?? ''} ${e.httpRequest.requestUrl}`.trim()
    : e.protoPayload?.methodName
      ? `${e.protoPayload.methodName} ${e.protoPayload.resourceName ?? ''}`.trim()
      : String(attempt['targetAddress'] ?? json['url'] ?? json['pushEndpoint'] ?? '');
  const code = e.labels?.['authplane.dev/denial'] ?? '-';
  let line = `${e.timestamp}  ${e.severity.padEnd(7)}  ${`${e.resource.type}/${name}`.padEnd(32)}  ${String(status).padEnd(4)}  ${code.padEnd(24)}  ${what}`;
  const why = e.labels?.['authplane.dev/explanation'];
  const fix = e.labels?.['authplane.dev/remedy'];
  if (why !== undefined) line += `\n    why: ${why}`;
  if (fix !== undefined) line += `\n    fix: ${fix}`;
  return line;
}
