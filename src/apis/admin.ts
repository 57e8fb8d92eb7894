// authplane's own admin API (not Google's): state, key rotation, IAM checks and binding edits.
// The CLI and the dashboard are thin clients of these routes.

import { admissionContext } from '../admission/context.js';
import { EXPLAIN_HEADERS, explainRequest, type ExplainHeader } from '../admission/explain.js';
import { explainAttempt } from '../admission/explain-attempt.js';
import { PREVIEW_KINDS } from '../dispatch/attempt-preview.js';
import { DispatchTokens } from '../dispatch/tokens.js';
import type { SigningAlg } from '../store/store.js';
import { projectResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { checkMember } from './iam-policy.js';
import { requireKnownMember, requireKnownResource, requirePermissionName, requireRole } from './binding-check.js';
import { invalidArgument, notFound } from './errors.js';
import type { Router } from './router.js';

export function adminRoutes(router: Router, platform: Platform): void {
  const api = router.for('authplane.admin');
  const project = () => projectResource(platform.config.project.id);
  // Changing keys or IAM is what a project owner may do (resourcemanager.projects.setIamPolicy).
  const owner = { permission: 'resourcemanager.projects.setIamPolicy', on: project } as const;

  api.get('/admin/v1/state', { permission: 'resourcemanager.projects.get', on: project, quiet: true }, async () => {
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

  api.post('/admin/v1/keys:rotate', owner, async (req) => {
    const body = await req.json<{ alg?: unknown }>();
    const alg = (body.alg ?? 'RS256') as SigningAlg;
    if (alg !== 'RS256' && alg !== 'ES256') throw invalidArgument('alg must be RS256 or ES256', 'alg');
    const key = await platform.identity.keys.rotate(alg);
    return { body: { kid: key.record.kid, alg } };
  });

  // Explains an IAM decision as one front end sees it (what `authplane iam check` prints).
  api.post('/admin/v1/iam:check', { permission: 'resourcemanager.projects.getIamPolicy', on: project }, async (req) => {
    const b = await req.json<{ member?: unknown; permission?: unknown; resource?: unknown; frontEnd?: unknown }>();
    for (const f of ['member', 'permission', 'resource'] as const) if (typeof b[f] !== 'string' || b[f] === '') throw invalidArgument(`${f} is required (a string)`, f);
    requirePermissionName(b.permission as string);
    await requireKnownResource(platform, b.resource as string);
    await requireKnownMember(platform, b.member as string);
    await platform.iam.sync();
    const decision = platform.iam.check(b.member as string, b.permission as string, b.resource as string, typeof b.frontEnd === 'number' ? { frontEnd: b.frontEnd } : {});
    return { body: decision };
  });

  // Adds or removes one binding, keeping the rest (gcloud add-iam-policy-binding / remove-…).
  api.post('/admin/v1/iam:{op}', owner, async (req) => {
    const op = req.params.op;
    if (op !== 'addBinding' && op !== 'removeBinding') throw invalidArgument(`unknown operation ${op}: use iam:addBinding or iam:removeBinding`, 'name');
    const b = await req.json<{ resource?: unknown; role?: unknown; member?: unknown }>();
    for (const f of ['resource', 'role', 'member'] as const) if (typeof b[f] !== 'string' || b[f] === '') throw invalidArgument(`${f} is required (a string)`, f);
    await requireKnownResource(platform, b.resource as string);
    requireRole(b.role as string);
    await requireKnownMember(platform, b.member as string);
    // What setIamPolicy would refuse is not stored here either (a stored bad member makes every later
    // read-modify-write setIamPolicy, e.g. gcloud add-iam-policy-binding, fail); removing one stays possible.
    if (op === 'addBinding') await checkMember(platform, b.member as string, 'member');
    const policy = op === 'addBinding' ? await platform.iam.addBinding(b.resource as string, b.role as string, b.member as string) : await platform.iam.removeBinding(b.resource as string, b.role as string, b.member as string);
    return { body: policy };
  });

  // The admission decision of a service's front door, for a token and a URL (what `authplane explain` and
  // the dashboard's token inspector show): the same function the front door runs.
  api.post('/admin/v1/admission:explain', { permission: 'run.services.get', on: project }, async (req) => {
    const b = await req.json<{ token?: unknown; url?: unknown; header?: unknown; method?: unknown; internal?: unknown }>();
    if (typeof b.token !== 'string') throw invalidArgument('token is required (a string; "" for no credential)', 'token');
    if (typeof b.url !== 'string' || !isHttpUrl(b.url)) throw invalidArgument('url must be an http(s) URL, e.g. https://update-123456789012.us-central1.run.app/', 'url');
    if (b.header !== undefined && !(EXPLAIN_HEADERS as readonly unknown[]).includes(b.header)) throw invalidArgument(`header must be one of ${EXPLAIN_HEADERS.join(', ')}`, 'header');
    if (b.method !== undefined && (typeof b.method !== 'string' || !/^[A-Z]+$/.test(b.method))) throw invalidArgument('method must be an HTTP method such as GET or PUT', 'method');
    if (b.internal !== undefined && typeof b.internal !== 'boolean') throw invalidArgument('internal must be true or false', 'internal');
    const finding = await explainRequest(
      { token: b.token, url: b.url, ...(b.header !== undefined ? { header: b.header as ExplainHeader } : {}), ...(b.method !== undefined ? { method: b.method as string } : {}), ...(b.internal !== undefined ? { internal: b.internal as boolean } : {}) },
      { directory: platform.directory, admission: admissionContext(platform), internalSecret: platform.internalSecret },
    );
    return { body: finding };
  });

  // The same, for the request a Cloud Scheduler job, a Pub/Sub push subscription or a Cloud Tasks task would
  // send on its next attempt (admission/explain-attempt.ts).
  let tokens: DispatchTokens | undefined;
  api.post('/admin/v1/admission:explainAttempt', { permission: 'run.services.get', on: project }, async (req) => {
    const b = await req.json<{ kind?: unknown; id?: unknown }>();
    const previewer = platform.attemptPreviewers.find((p) => p.kind === b.kind);
    if (!previewer) throw invalidArgument(`kind must be one of ${PREVIEW_KINDS.join(', ')}`, 'kind');
    if (typeof b.id !== 'string' || b.id === '') throw invalidArgument(`id is required: the ${previewer.kind}'s ID${previewer.kind === 'task' ? ' as QUEUE/TASK' : ''}`, 'id');
    const preview = await previewer.preview(b.id);
    if (!preview) throw notFound(`No ${previewer.kind} ${b.id} in project ${platform.config.project.id}.`, `${previewer.kind} ${b.id}`);
    tokens ??= new DispatchTokens(platform);
    const finding = await explainAttempt(preview, { directory: platform.directory, admission: admissionContext(platform), internalSecret: platform.internalSecret, tokens });
    return { body: finding };
  });

  // Every resource's newest policy and how far it has propagated: when each simulated front end enforces it
  // (the dashboard's IAM view counts down to "enforced everywhere"). `now` is authplane's clock.
  api.get('/admin/v1/policies', { permission: 'resourcemanager.projects.getIamPolicy', on: project, quiet: true }, async () => {
    await platform.iam.sync();
    const { minMs, maxMs, frontEnds } = platform.config.iam.propagation;
    return {
      body: {
        now: platform.clock(),
        propagation: { minMs, maxMs, frontEnds },
        policies: platform.iam.resources().flatMap((r) => platform.iam.rollout(r) ?? []),
      },
    };
  });

  api.get('/admin/v1/iam/{resource=**}', { permission: 'resourcemanager.projects.getIamPolicy', on: project }, async (req) => {
    await requireKnownResource(platform, req.params.resource!);
    return { body: platform.iam.getPolicy(req.params.resource!) };
  });
}

function isHttpUrl(s: string): boolean {
  try {
    return /^https?:$/.test(new URL(s).protocol);
  } catch {
    return false;
  }
}
