// `authplane pubsub publish|deliveries`: publish a message through Pub/Sub's own REST API (topics.publish) and
// show each push delivery attempt of a subscription — status, refusal code with the front door's explanation
// and fix, the next attempt and why (retryPolicy backoff, dead-lettering) — from the request log.
import { callApi } from './api-client.js';
import { printAttempt, timeoutSeconds, waitFor, type AttemptLine } from './attempt-lines.js';
import { parseVerb, usageError } from './usage.js';

const HELP = `usage:
  authplane pubsub publish TOPIC DATA [--attribute KEY=VALUE]…   publish one message; prints its message ID
  authplane pubsub deliveries SUBSCRIPTION [--message ID]        each push attempt per message, oldest first
      --wait           first wait until every shown message is settled (acknowledged, or dead-lettered)
      --timeout SECS   how long --wait waits at most (default 120); exit 1 when it runs out
  (TOPIC and SUBSCRIPTION are IDs; add --json for the raw answer)

examples:
  authplane pubsub publish orders '{"order":42}' --attribute kind=created
  authplane pubsub deliveries orders-push-no-role --message MESSAGE_ID --wait`;

interface Entry {
  time: string;
  status: number;
  durationMs: number;
  code?: string;
  explanation?: string;
  remedy?: string;
  error?: string;
  dispatch: { attempt: number; messageId?: string; retryTime?: string; retryReason?: string };
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseVerb('pubsub', args, { json: { type: 'boolean' }, wait: { type: 'boolean' }, timeout: { type: 'string' }, message: { type: 'string' }, attribute: { type: 'string', multiple: true } }, HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [op, ...rest] = positionals;
  const state = () => callApi<{ project: { id: string } }>('GET', '/admin/v1/state');
  switch (op) {
    case 'publish': {
      if (rest.length !== 2) break;
      const attributes: Record<string, string> = {};
      for (const a of values.attribute ?? []) {
        const i = a.indexOf('=');
        if (i <= 0) return usageError('pubsub', `--attribute ${a} is not KEY=VALUE`);
        attributes[a.slice(0, i)] = a.slice(i + 1);
      }
      const { project } = await state();
      const message = { data: Buffer.from(rest[1]!).toString('base64'), ...(Object.keys(attributes).length ? { attributes } : {}) };
      const r = await callApi<{ messageIds: string[] }>('POST', `/v1/projects/${project.id}/topics/${encodeURIComponent(rest[0]!)}:publish`, { messages: [message] });
      console.log(values.json ? JSON.stringify(r, null, 2) : r.messageIds[0]);
      return 0;
    }
    case 'deliveries': {
      if (rest.length !== 1) break;
      const timeout = timeoutSeconds(values.timeout);
      if (timeout === undefined) return usageError('pubsub', `--timeout must be a number of seconds, got ${values.timeout}`);
      const { project } = await state();
      const name = `projects/${project.id}/subscriptions/${rest[0]}`;
      const get = async () => {
        const r = await callApi<{ requests: Entry[] }>('GET', `/admin/v1/requests?surface=dispatch&resource=${encodeURIComponent(name)}&limit=1000`);
        return r.requests.filter((e) => values.message === undefined || e.dispatch.messageId === values.message).reverse();
      };
      // Settled: some attempt of each message shown, the last with no next attempt due.
      const settled = (entries: Entry[]) => entries.length > 0 && [...byMessage(entries).values()].every((list) => list[list.length - 1]!.dispatch.retryTime === undefined);
      const entries = values.wait ? await waitFor(get, settled, timeout) : await get();
      if (!entries) {
        console.error(`authplane pubsub: deliveries to ${rest[0]} still retry after ${timeout} s`);
        return 1;
      }
      if (values.json) return console.log(JSON.stringify(entries, null, 2)), 0;
      if (entries.length === 0) console.log(`(no push deliveries to ${rest[0]} yet)`);
      for (const [message, list] of byMessage(entries)) {
        console.log(`message ${message} → ${rest[0]}`);
        for (const e of list) printAttempt(attemptLine(e));
      }
      return 0;
    }
  }
  return usageError('pubsub', op ? `unknown operation or arguments: ${[op, ...rest].join(' ')}` : 'give an operation: publish or deliveries');
}

function byMessage(entries: Entry[]): Map<string, Entry[]> {
  const out = new Map<string, Entry[]>();
  for (const e of entries) {
    const k = e.dispatch.messageId ?? '?';
    if (!out.has(k)) out.set(k, []);
    out.get(k)!.push(e);
  }
  return out;
}

/** A request-log attempt entry in the shape `authplane tasks attempts` prints. */
function attemptLine(e: Entry): AttemptLine {
  return {
    attempt: e.dispatch.attempt,
    dispatchTime: e.time,
    httpStatus: e.status || null,
    latencyMs: e.durationMs,
    denial: e.code ?? null,
    ...(e.explanation ? { explanation: e.explanation } : {}),
    ...(e.remedy ? { remedy: e.remedy } : {}),
    error: e.error ?? null,
    ...(e.dispatch.retryTime ? { retryTime: e.dispatch.retryTime } : {}),
    ...(e.dispatch.retryReason ? { retryReason: e.dispatch.retryReason } : {}),
  };
}
