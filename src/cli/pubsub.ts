// `authplane pubsub publish|deliveries`: publish a message through Pub/Sub's own REST API (topics.publish) and
// show each push delivery attempt of a subscription — status, refusal code with the front door's explanation
// and fix, the next attempt and why (retryPolicy backoff, dead-lettering) — from the admin API (pubsub/admin.ts).
import { callApi } from './api-client.js';
import { printAttempt, timeoutSeconds, waitFor, type AttemptLine } from './attempt-lines.js';
import { parseVerb, refuseForOperation, refuseWithout, usageError } from './usage.js';

const HELP = `usage:
  authplane pubsub publish TOPIC DATA [--attribute KEY=VALUE]…   publish one message; prints its message ID
  authplane pubsub deliveries SUBSCRIPTION [--message ID]        each push attempt per message, oldest first
      --wait           first wait until no message (with --message: that one) waits any more: acknowledged, or dead-lettered
      --timeout SECS   how long --wait waits at most (default 120); exit 1 when it runs out
  (TOPIC and SUBSCRIPTION are IDs; add --json for the raw answer)

examples:
  authplane pubsub publish orders '{"order":42}' --attribute kind=created
  authplane pubsub deliveries orders-push-no-role --message MESSAGE_ID --wait`;

/** GET /admin/v1/subscriptions/SUB/deliveries (pubsub/admin.ts). */
interface Deliveries {
  subscription: string;
  /** Messages (with --message: copies of that one) not yet acknowledged or dead-lettered. */
  waiting: number;
  messages: { messageId: string; waiting: boolean; attempts: AttemptLine[] }[];
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseVerb('pubsub', args, { json: { type: 'boolean' }, wait: { type: 'boolean' }, timeout: { type: 'string' }, message: { type: 'string' }, attribute: { type: 'string', multiple: true } }, HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [op, ...rest] = positionals;
  // A flag another operation takes would be silently ignored here.
  const flags: Record<string, string[]> = { publish: ['attribute'], deliveries: ['message', 'wait', 'timeout'] };
  if (op !== undefined && Object.hasOwn(flags, op)) {
    const refused = refuseForOperation('pubsub', op, values, flags[op]!) ?? refuseWithout('pubsub', values, 'timeout', 'wait', 'it bounds how long --wait waits');
    if (refused !== undefined) return refused;
  }
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
      const sub = rest[0]!;
      // Google's NOT_FOUND (non-zero exit) for a subscription or message authplane does not know, as tasks attempts.
      const get = () => callApi<Deliveries>('GET', `/admin/v1/subscriptions/${encodeURIComponent(sub)}/deliveries${values.message !== undefined ? `?messageId=${encodeURIComponent(values.message)}` : ''}`);
      // Settled: nothing shown waits any more (acknowledged, or dead-lettered); with --message, that message.
      const r = values.wait ? await waitFor(get, (d) => d.waiting === 0, timeout) : await get();
      if (!r) {
        console.error(`authplane pubsub: ${values.message !== undefined ? `message ${values.message} still waits` : 'messages still wait'} in ${sub} after ${timeout} s (authplane pubsub deliveries ${sub}${values.message !== undefined ? ` --message ${values.message}` : ''} shows its attempts)`);
        return 1;
      }
      if (values.json) return console.log(JSON.stringify(r, null, 2)), 0;
      if (r.messages.length === 0) console.log(`(no push deliveries to ${sub} yet)`);
      for (const m of r.messages) {
        console.log(`message ${m.messageId} → ${sub}${m.waiting ? ' (waiting)' : ''}`);
        if (m.attempts.length === 0) console.log('     (not attempted yet)');
        for (const a of m.attempts) printAttempt(a);
      }
      return 0;
    }
  }
  return usageError('pubsub', op ? `unknown operation or arguments: ${[op, ...rest].join(' ')}` : 'give an operation: publish or deliveries');
}
