import { callApi } from './api-client.js';
import { resolveAccount } from './token.js';

const HELP = `usage:
  authplane iam show RESOURCE                      the policy (projects/P, services/NAME, serviceAccounts/EMAIL, iap/NAME, queues/NAME)
  authplane iam add RESOURCE ROLE MEMBER           add a binding (propagation applies)
  authplane iam remove RESOURCE ROLE MEMBER        remove a binding
  authplane iam check MEMBER PERMISSION RESOURCE   would MEMBER be allowed, as each front end sees it now?`;

/** serviceAccounts/NAME → serviceAccounts/EMAIL; serviceAccount:NAME → serviceAccount:EMAIL. */
async function normalize(value: string): Promise<string> {
  const m = /^(serviceAccounts\/|serviceAccount:)([^@]+)$/.exec(value);
  return m ? `${m[1]}${await resolveAccount(m[2]!)}` : value;
}

export async function run(args: string[]): Promise<number> {
  const [op, ...rest] = args;
  switch (op) {
    case 'show': {
      if (rest.length !== 1) break;
      console.log(JSON.stringify(await callApi('GET', `/admin/v1/iam/${await normalize(rest[0]!)}`), null, 2));
      return 0;
    }
    case 'add':
    case 'remove': {
      if (rest.length !== 3) break;
      const [resource, role, member] = await Promise.all(rest.map(normalize));
      const policy = await callApi('POST', `/admin/v1/iam:${op === 'add' ? 'addBinding' : 'removeBinding'}`, { resource, role, member });
      console.log(JSON.stringify(policy, null, 2));
      return 0;
    }
    case 'check': {
      if (rest.length !== 3) break;
      const [member, permission, resource] = [await normalize(rest[0]!), rest[1]!, await normalize(rest[2]!)];
      const state = await callApi<{ propagation: { frontEnds: number } }>('GET', '/admin/v1/state');
      let allowed = 0;
      for (let f = 0; f < state.propagation.frontEnds; f++) {
        const d = await callApi<{ allowed: boolean; grantedBy?: { role: string; resource: string }; propagating?: { fullyVisibleAt: number } }>('POST', '/admin/v1/iam:check', { member, permission, resource, frontEnd: f });
        if (d.allowed) allowed++;
        console.log(`front end ${f}: ${d.allowed ? `allowed by ${d.grantedBy?.role} on ${d.grantedBy?.resource}` : d.propagating ? `denied — still propagating, everywhere by ${new Date(d.propagating.fullyVisibleAt).toISOString()}` : 'denied'}`);
      }
      console.log(`${allowed}/${state.propagation.frontEnds} front ends allow ${member} ${permission} on ${resource}`);
      return allowed === state.propagation.frontEnds ? 0 : 1;
    }
  }
  console.log(HELP);
  return op === '--help' || op === '-h' ? 0 : 2;
}
