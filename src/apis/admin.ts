// authplane's own admin API (not Google's): state, key rotation, IAM checks and binding edits.
// The CLI and the dashboard are thin clients of these routes. Callers need roles/owner on the project.

import type { SigningAlg } from '../store/store.js';
import { isKnownRole } from '../iam/roles.js';
import { projectResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { callerOf } from './caller.js';
import { invalidArgument } from './errors.js';
import { requirePermission } from './iam-policy.js';
import type { Router } from './router.js';

export function adminRoutes(router: Router, platform: Platform): void {
  const requireOwner = async (headers: Parameters<typeof callerOf>[1]) => {
    const caller = await callerOf(platform, headers);
    requirePermission(platform, caller, 'resourcemanager.projects.setIamPolicy', projectResource(platform.config.project.id), 'authplane');
    return caller;
  };

  router.get('/admin/v1/state', async () => {
    const { config, directory } = platform;
    return {
      body: {
        project: config.project,
        apiUrl: platform.apiUrl,
        propagation: config.iam.propagation,
        serviceAccounts: (await platform.identity.listServiceAccounts()).map((s) => ({ email: s.email, uniqueId: s.uniqueId })),
        users: config.users.map((u) => u.email),
        services: directory.all().map((s) => ({
          name: s.config.name,
          urls: s.urls,
          audiences: s.audiences,
          ingress: s.config.ingress,
          invokerIamCheck: s.config.invokerIamCheck,
          iap: s.config.iap.enabled,
          serviceAccount: s.config.serviceAccount,
        })),
        metadataServers: [...platform.metadataServers.values()].map((m) => ({ name: m.name, serviceAccount: m.serviceAccount, hostPort: m.hostPort })),
      },
    };
  });

  router.post('/admin/v1/keys:rotate', async (req) => {
    await requireOwner(req.headers);
    const body = await req.json<{ alg?: unknown }>();
    const alg = (body.alg ?? 'RS256') as SigningAlg;
    if (alg !== 'RS256' && alg !== 'ES256') throw invalidArgument('alg must be RS256 or ES256', 'alg');
    const key = await platform.identity.keys.rotate(alg);
    return { body: { kid: key.record.kid, alg } };
  });

  // Explains an IAM decision as one front end sees it (what `authplane iam check` prints).
  router.post('/admin/v1/iam:check', async (req) => {
    await callerOf(platform, req.headers);
    const b = await req.json<{ member?: unknown; permission?: unknown; resource?: unknown; frontEnd?: unknown }>();
    if (typeof b.member !== 'string' || typeof b.permission !== 'string' || typeof b.resource !== 'string') {
      throw invalidArgument('member, permission and resource are required strings');
    }
    await platform.iam.sync();
    const decision = platform.iam.check(b.member, b.permission, b.resource, typeof b.frontEnd === 'number' ? { frontEnd: b.frontEnd } : {});
    return { body: decision };
  });

  // Adds or removes one binding, keeping the rest (gcloud add-iam-policy-binding / remove-…).
  router.post('/admin/v1/iam:{op}', async (req) => {
    const op = req.params.op;
    if (op !== 'addBinding' && op !== 'removeBinding') throw invalidArgument(`unknown operation ${op}`);
    await requireOwner(req.headers);
    const b = await req.json<{ resource?: unknown; role?: unknown; member?: unknown }>();
    if (typeof b.resource !== 'string' || typeof b.role !== 'string' || typeof b.member !== 'string') {
      throw invalidArgument('resource, role and member are required strings');
    }
    if (!isKnownRole(b.role)) throw invalidArgument(`Role ${b.role} is not supported for this resource.`, 'role');
    const policy = op === 'addBinding' ? await platform.iam.addBinding(b.resource, b.role, b.member) : await platform.iam.removeBinding(b.resource, b.role, b.member);
    return { body: policy };
  });

  router.get('/admin/v1/iam/{resource=**}', async (req) => ({ body: platform.iam.getPolicy(req.params.resource!) }));
}
