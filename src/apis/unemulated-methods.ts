// Google API methods gcloud users commonly call on the surfaces authplane serves, but which authplane does
// not emulate, because what they change comes from authplane.yaml: each answers NOT_SUPPORTED naming the
// method and saying where to make the change instead, rather than a 404 that gcloud would print as a
// missing project or service. (Any other method on a served path gets the router's generic NOT_SUPPORTED.)
//
// Here: IAM v1 projects.serviceAccounts delete, patch, update, enable, disable, undelete
// (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts), as `gcloud iam
// service-accounts delete|update|enable|disable` send them (create is emulated: apis/platform-policies.ts). Products list their own (run/admin-v1.ts).

import type { Router } from './router.js';
import { notSupported } from './errors.js';

type Verb = 'post' | 'put' | 'patch' | 'delete';

/** One method authplane refuses: its route, what it is (for the message) and the fix. */
export interface UnemulatedMethod {
  verb: Verb;
  pattern: string;
  /** "Creating service accounts (projects.serviceAccounts.create)". */
  what: string;
  /** Why authplane does without it, e.g. "service accounts come from authplane.yaml". */
  because: string;
  fix: string;
}

/** Registers each method on `service` as a NOT_SUPPORTED refusal for any authenticated caller. */
export function refuseUnemulated(router: Router, service: string, methods: readonly UnemulatedMethod[]): void {
  const api = router.for(service);
  for (const m of methods) {
    api[m.verb](m.pattern, { authenticated: 'refuses every call: the method is not emulated' }, () => {
      // The fix goes in the message too: gcloud prints only the message.
      throw notSupported(`${m.what} is not emulated by authplane: ${m.because}. ${m.fix}`, m.fix);
    });
  }
}

const ACCOUNT = '/v1/projects/{project}/serviceAccounts/{account}';
const SERVICE_ACCOUNTS_FIX =
  'Create it again (gcloud iam service-accounts create), or declare it in authplane.yaml under serviceAccounts: (name, optional displayName) and restart authplane.';

const BECAUSE = 'service accounts come from authplane.yaml or projects.serviceAccounts.create, and stay as made';
const IAM_METHODS: readonly UnemulatedMethod[] = [
  { verb: 'delete', pattern: ACCOUNT, what: 'Deleting service accounts (projects.serviceAccounts.delete)', because: BECAUSE, fix: 'authplane keeps every account it has made: remove it from authplane.yaml (serviceAccounts:) if it is declared there, then empty the data directory with `authplane reset` and start again.' },
  { verb: 'patch', pattern: ACCOUNT, what: 'Changing service accounts (projects.serviceAccounts.patch)', because: BECAUSE, fix: 'Change displayName in authplane.yaml (serviceAccounts:) and restart authplane.' },
  { verb: 'put', pattern: ACCOUNT, what: 'Changing service accounts (projects.serviceAccounts.update)', because: BECAUSE, fix: 'Change displayName in authplane.yaml (serviceAccounts:) and restart authplane.' },
  { verb: 'post', pattern: `${ACCOUNT}:enable`, what: 'Enabling service accounts (projects.serviceAccounts.enable)', because: BECAUSE, fix: 'Set disabled: false (or leave it out) for the account in authplane.yaml (serviceAccounts:) and restart authplane.' },
  { verb: 'post', pattern: `${ACCOUNT}:disable`, what: 'Disabling service accounts (projects.serviceAccounts.disable)', because: BECAUSE, fix: 'Set disabled: true for the account in authplane.yaml (serviceAccounts:) and restart authplane.' },
  { verb: 'post', pattern: `${ACCOUNT}:undelete`, what: 'Undeleting service accounts (projects.serviceAccounts.undelete)', because: BECAUSE, fix: SERVICE_ACCOUNTS_FIX },
];

/** IAM's service-account methods authplane refuses. */
export function unemulatedIamRoutes(router: Router): void {
  refuseUnemulated(router, 'iam.googleapis.com', IAM_METHODS);
}
