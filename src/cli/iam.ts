// `authplane iam show|add|remove|check`: IAM bindings through the admin API. A resource that does not exist, a
// service account that is not declared, a role where a permission is expected (or the reverse) are refused by
// the API (INVALID_ARGUMENT, NOT_FOUND): said here in one line, exit 2.

import { ApiCallError, callApi } from './api-client.js';
import { resolveAccount } from './token.js';
import { parseVerb, usageError } from './usage.js';

const HELP = `usage:
  authplane iam show RESOURCE                      the policy
  authplane iam add RESOURCE ROLE MEMBER           add a binding (propagation applies)
  authplane iam remove RESOURCE ROLE MEMBER        remove a binding
  authplane iam check MEMBER PERMISSION RESOURCE   would MEMBER be allowed, as each front end sees it now?
  (add --json for the raw answer)

RESOURCE: projects/PROJECT, services/NAME, iap/NAME, serviceAccounts/NAME|EMAIL, queues/NAME, topics/ID,
subscriptions/ID. MEMBER: serviceAccount:NAME|EMAIL, user:EMAIL, group:EMAIL, domain:DOMAIN, allUsers.
check exits 0 when every front end allows, 1 otherwise.

examples:
  authplane iam show services/update
  authplane iam add services/update roles/run.invoker serviceAccount:tasks-no-role
  authplane iam check serviceAccount:tasks-no-role run.routes.invoke services/update
  authplane iam remove services/update roles/run.invoker serviceAccount:tasks-no-role`;

/** serviceAccounts/NAME → serviceAccounts/EMAIL; serviceAccount:NAME → serviceAccount:EMAIL. */
async function normalize(value: string): Promise<string> {
  const m = /^(serviceAccounts\/|serviceAccount:)([^@]+)$/.exec(value);
  return m ? `${m[1]}${await resolveAccount(m[2]!)}` : value;
}

interface Decision {
  allowed: boolean;
  frontEnd: number;
  grantedBy?: { role: string; resource: string };
  propagating?: { fullyVisibleAt: number; visibleAt: number };
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseVerb('iam', args, { json: { type: 'boolean' } }, HELP);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [op, ...rest] = positionals;
  const want = { show: 1, add: 3, remove: 3, check: 3 }[op as 'show'] as number | undefined;
  if (want === undefined) return usageError('iam', op ? `unknown operation "${op}": use show, add, remove or check` : 'give an operation: show, add, remove or check');
  if (rest.length !== want) return usageError('iam', `${op} takes ${want === 1 ? 'RESOURCE' : op === 'check' ? 'MEMBER PERMISSION RESOURCE' : 'RESOURCE ROLE MEMBER'}`);
  const print = (v: unknown) => console.log(JSON.stringify(v, null, 2));
  try {
    switch (op) {
      case 'show':
        print(await callApi('GET', `/admin/v1/iam/${await normalize(rest[0]!)}`));
        return 0;
      case 'add':
      case 'remove': {
        const [resource, role, member] = await Promise.all(rest.map(normalize));
        const policy = await callApi('POST', `/admin/v1/iam:${op === 'add' ? 'addBinding' : 'removeBinding'}`, { resource, role, member });
        if (values.json) print(policy);
        else console.log(`${op === 'add' ? 'added' : 'removed'} ${member} ${op === 'add' ? 'to' : 'from'} ${role} on ${resource}; undo: authplane iam ${op === 'add' ? 'remove' : 'add'} ${rest.join(' ')}`);
        return 0;
      }
      default: {
        const [member, permission, resource] = [await normalize(rest[0]!), rest[1]!, await normalize(rest[2]!)];
        const state = await callApi<{ propagation: { frontEnds: number } }>('GET', '/admin/v1/state');
        const decisions: Decision[] = [];
        for (let f = 0; f < state.propagation.frontEnds; f++) decisions.push(await callApi<Decision>('POST', '/admin/v1/iam:check', { member, permission, resource, frontEnd: f }));
        const allowed = decisions.filter((d) => d.allowed).length;
        if (values.json) print({ member, permission, resource, allowed, frontEnds: decisions.length, decisions });
        else {
          for (const d of decisions) {
            console.log(`front end ${d.frontEnd}: ${d.allowed ? `allowed by ${d.grantedBy?.role} on ${d.grantedBy?.resource}` : d.propagating ? `denied — still propagating, here by ${new Date(d.propagating.visibleAt).toISOString()}, everywhere by ${new Date(d.propagating.fullyVisibleAt).toISOString()}` : 'denied'}`);
          }
          console.log(`${allowed}/${decisions.length} front ends allow ${member} ${permission} on ${resource}`);
        }
        return allowed === decisions.length ? 0 : 1;
      }
    }
  } catch (e) {
    // The API's refusal of what was given (a resource, a member, a role): the argument's fault.
    if (e instanceof ApiCallError && (e.status === 400 || e.status === 404)) {
      const message = (e.body as { error?: { message?: string } })?.error?.message ?? e.message;
      return usageError('iam', message);
    }
    throw e;
  }
}
