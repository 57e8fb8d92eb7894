import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
// js-yaml rather than yaml: on a cold start it imports and reads the demo config in ≈ 15 ms against ≈ 80 ms.
import { load as parseYaml, YAMLException } from 'js-yaml';
import type { AuthplaneConfig, GatewayAuthentication } from './types.js';
import { bool, ConfigError, Ctx, duration, int, list, num, obj, oneOf, optStr, record, str, type Checker, optOneOf } from './schema-dsl.js';
import { isKnownRole } from '../iam/roles.js';
import { serviceResource, subscriptionResource, topicResource } from '../iam/resources.js';
import { memberFormRefusal } from '../iam/members.js';
import { Schedule } from '../lib/cron-schedule.js';

const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SA_NAME = /^[a-z]([-a-z0-9]{4,28}[a-z0-9])$/;
const PORT = { min: 0, max: 65535 };
// Pub/Sub topic and subscription IDs (pubsub.proto).
const PUBSUB_ID = /^(?!goog)[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
const PUBSUB_ID_HINT = '3–255 letters, digits, - _ . ~ + %, starting with a letter and not with "goog"';
const RETENTION = { minMs: 10 * 60_000, maxMs: 31 * 24 * 3_600_000 };
const optDuration = (opts: { minMs?: number; maxMs?: number }): Checker<number | null> => (v, p, c) => (v === undefined || v === null ? null : duration('0s', opts)(v, p, c));

const audienceChecker: Checker<string | { useTargetUrl: true }> = (v, path, ctx) => {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && (v as { useTargetUrl?: unknown }).useTargetUrl === true) return { useTargetUrl: true };
  ctx.report(path, 'expected an audience string or { useTargetUrl: true }', 'write audience: https://SERVICE-NUMBER.REGION.run.app or audience: { useTargetUrl: true }');
  return '';
};

const authentication: Checker<GatewayAuthentication | undefined> = (v, path, ctx) => {
  if (v === undefined || v === null) return undefined;
  const a = obj({
    googleIdToken: (x, p, c) =>
      x === undefined ? undefined : obj({ audience: audienceChecker, includeEmail: bool(false) }, { required: ['audience'] })(x, p, c),
    googleAccessToken: (x, p, c) =>
      x === undefined ? undefined : obj({ scopes: list(str(), { optional: true }) })(x, p, c),
    impersonate: (x, p, c) =>
      x === undefined
        ? undefined
        : obj(
            {
              serviceAccount: str(),
              method: oneOf(['generateIdToken', 'generateAccessToken'] as const, 'generateIdToken'),
              includeEmail: bool(false),
              audience: (y, q, d) => (y === undefined ? undefined : audienceChecker(y, q, d)),
            },
            { required: ['serviceAccount'] },
          )(x, p, c),
    headerName: str({ default: 'Authorization' }),
  })(v, path, ctx);
  const kinds = [a.googleIdToken, a.googleAccessToken, a.impersonate].filter(Boolean).length;
  if (kinds !== 1) {
    ctx.report(path, `needs exactly one of googleIdToken, googleAccessToken, impersonate (found ${kinds})`, 'keep one token source per route');
  }
  return {
    ...(a.googleIdToken ? { googleIdToken: a.googleIdToken } : {}),
    ...(a.googleAccessToken ? { googleAccessToken: { scopes: a.googleAccessToken.scopes.length ? a.googleAccessToken.scopes : ['https://www.googleapis.com/auth/cloud-platform'] } } : {}),
    ...(a.impersonate ? { impersonate: a.impersonate as NonNullable<GatewayAuthentication['impersonate']> } : {}),
    headerName: a.headerName,
  };
};

const schema = obj(
  {
    project: obj(
      {
        id: str({ pattern: /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, hint: 'a project ID is 6–30 lowercase letters, digits or hyphens, starting with a letter', default: 'demo-project' }),
        number: str({ pattern: /^\d{6,20}$/, hint: 'a project number is 6 to 20 digits, e.g. "123456789012" (quote it)', default: '123456789012' }),
        region: str({ pattern: /^[a-z]+-[a-z]+\d+$/, hint: 'a region such as us-central1', default: 'us-central1' }),
        pubsubServiceAgentNeedsTokenCreator: bool(false),
      },
    ),
    server: obj({
      host: str({ default: '127.0.0.1' }),
      apiPort: int({ ...PORT, default: 8930 }),
      grpcPort: int({ ...PORT, default: 8123 }),
      // Front-door processes (docs/config.md, docs/performance.md): 1 = everything in one process.
      workers: int({ min: 1, max: 64, default: 1, hint: 'write how many processes serve the front doors, e.g. 2 (one per core)' }),
    }),
    defaultPrincipal: (v, path, ctx) => {
      if (v === undefined) return 'user:developer@example.com';
      if (v === null || v === 'none') return null;
      return str({ pattern: /^(user|serviceAccount):\S+@\S+$/, hint: 'write user:EMAIL, serviceAccount:EMAIL, or none' })(v, path, ctx);
    },
    iam: obj({
      propagation: obj({
        min: duration('0s', { maxMs: 24 * 3_600_000 }),
        max: duration('0s', { maxMs: 24 * 3_600_000 }),
        frontEnds: int({ min: 1, max: 64, default: 8 }),
      }),
      bindings: list(
        obj({ resource: str(), role: str(), members: list(str(), { optional: false }) }, { required: ['resource', 'role', 'members'] }),
      ),
    }),
    serviceAccounts: list(
      obj({ name: str({ pattern: SA_NAME, hint: 'a service account name is 6–30 lowercase letters, digits or hyphens' }), displayName: optStr() }, { required: ['name'] }),
    ),
    users: list(obj({ email: str({ pattern: /^[^@\s]+@[^@\s]+$/, hint: 'an email address' }), password: optStr(), displayName: optStr() }, { required: ['email'] })),
    services: list(
      obj(
        {
          name: str({ pattern: NAME, hint: 'a service name is lowercase letters, digits and hyphens, starting with a letter' }),
          port: int({ ...PORT, default: 0 }),
          upstream: optStr({ pattern: /^https?:\/\/\S+$/, hint: 'an http:// URL such as http://127.0.0.1:3001' }),
          command: optStr(),
          cwd: optStr(),
          env: record(str()),
          serviceAccount: str({ default: '' }),
          metadataPort: int({ ...PORT, default: 0 }),
          ingress: oneOf(['all', 'internal', 'internal-and-cloud-load-balancing'] as const, 'all'),
          invokerIamCheck: bool(true),
          customAudiences: list(str()),
          vpcEgress: optOneOf(['all-traffic', 'private-ranges-only'] as const),
          domains: list(str({ pattern: /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, hint: 'a custom domain is a host name such as api.example.com (no scheme, no path, lowercase)' })),
          functionName: optStr({ pattern: NAME }),
          allowAudiencePath: bool(false),
          // Cloud Run's request timeout: default 300 s, 1 s to 3600 s (https://cloud.google.com/run/docs/configuring/request-timeout).
          timeout: duration('300s', { minMs: 1_000, maxMs: 3_600_000 }),
          // Cloud Run's default startup probe gives a container 240 s; authplane's default is shorter because
          // a local command that has not listened in 30 s is almost always broken.
          startupTimeout: duration('30s', { minMs: 1000, maxMs: 3_600_000 }),
          iap: obj({ enabled: bool(false), oauthClientId: optStr(), customAudiences: list(str()) }),
        },
        { required: ['name'] },
      ),
    ),
    queues: list(
      obj(
        {
          name: str({ pattern: /^[A-Za-z0-9-]{1,100}$/, hint: 'a queue ID is 1–100 letters, digits or hyphens' }),
          rateLimits: obj({
            maxDispatchesPerSecond: int({ min: 1, max: 500, default: 500, hint: 'Cloud Tasks allows at most 500' }),
            maxConcurrentDispatches: int({ min: 1, max: 5000, default: 1000 }),
          }),
          retryConfig: obj({
            maxAttempts: int({ min: -1, default: 100 }),
            maxRetryDuration: duration('0s'),
            minBackoff: duration('0.1s'),
            maxBackoff: duration('3600s'),
            maxDoublings: int({ min: 0, default: 16 }),
          }),
        },
        { required: ['name'] },
      ),
    ),
    schedulerJobs: list(
      obj(
        {
          name: str({ pattern: /^[A-Za-z0-9_-]{1,500}$/, hint: 'a job ID is 1–500 letters, digits, hyphens or underscores' }),
          description: str({ default: '' }),
          schedule: str({ hint: 'a unix-cron schedule such as "0 3 * * *" (quote it)' }),
          timeZone: str({ default: '' }),
          paused: bool(false),
          httpTarget: obj(
            {
              uri: str({ pattern: /^https?:\/\/\S+$/, hint: 'an absolute http(s) URL such as https://update-123456789012.us-central1.run.app/' }),
              httpMethod: oneOf(['POST', 'GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const, 'POST'),
              headers: record(str()),
              body: optStr(),
              oidcToken: (x, p, c) => (x === undefined ? undefined : obj({ serviceAccountEmail: str(), audience: optStr() }, { required: ['serviceAccountEmail'] })(x, p, c)),
              oauthToken: (x, p, c) => (x === undefined ? undefined : obj({ serviceAccountEmail: str(), scope: optStr() }, { required: ['serviceAccountEmail'] })(x, p, c)),
            },
            { required: ['uri'], optional: false },
          ),
          retryConfig: obj({
            retryCount: int({ min: 0, max: 5, default: 0, hint: 'Cloud Scheduler allows 0 to 5 retries' }),
            maxRetryDuration: duration('0s'),
            minBackoffDuration: duration('5s'),
            maxBackoffDuration: duration('3600s'),
            maxDoublings: int({ min: 0, default: 5 }),
          }),
          attemptDeadline: duration('180s', { minMs: 15_000, maxMs: 30 * 60_000 }),
        },
        { required: ['name', 'schedule', 'httpTarget'] },
      ),
    ),
    workloads: list(
      obj(
        {
          name: str({ pattern: NAME }),
          serviceAccount: str(),
          metadataPort: int({ ...PORT, default: 0 }),
          environment: oneOf(['cloud-run', 'compute-engine', 'gke'] as const, 'cloud-run'),
          vpcEgress: optOneOf(['all-traffic', 'private-ranges-only'] as const),
        },
        { required: ['name', 'serviceAccount'] },
      ),
    ),
    gateways: list(
      obj(
        {
          name: str({ pattern: NAME }),
          port: int({ ...PORT, default: 0 }),
          serviceAccount: str({ default: '' }),
          metadataPort: int({ ...PORT, default: 0 }),
          insideVpc: bool(false),
          routes: list(obj({ path: str(), target: str({ pattern: /^https?:\/\/\S+$/, hint: 'an absolute http(s) URL' }), authentication }, { required: ['path', 'target'] })),
        },
        { required: ['name'] },
      ),
    ),
    tasks: obj({ nameReuseWindow: duration('1h'), retention: duration('31d') }),
    pubsub: obj({
      topics: list(obj({ name: str({ pattern: PUBSUB_ID, hint: PUBSUB_ID_HINT }), labels: record(str()), messageRetentionDuration: optDuration(RETENTION) }, { required: ['name'] })),
      subscriptions: list(
        obj(
          {
            name: str({ pattern: PUBSUB_ID, hint: PUBSUB_ID_HINT }),
            topic: str({ pattern: PUBSUB_ID, hint: 'the ID of a topic declared under pubsub.topics' }),
            pushConfig: (x, p, c) =>
              x === undefined
                ? undefined
                : obj(
                    {
                      pushEndpoint: str({ pattern: /^https?:\/\/\S+$/, hint: 'an absolute http(s) URL, e.g. https://SERVICE-NUMBER.REGION.run.app/push' }),
                      attributes: record(str()),
                      oidcToken: (y, q, d) => (y === undefined ? undefined : obj({ serviceAccountEmail: str(), audience: str({ default: '' }) }, { required: ['serviceAccountEmail'] })(y, q, d)),
                      noWrapper: (y, q, d) => (y === undefined ? undefined : obj({ writeMetadata: bool(false) })(y, q, d)),
                    },
                    { required: ['pushEndpoint'] },
                  )(x, p, c),
            ackDeadlineSeconds: int({ min: 10, max: 600, default: 10, hint: 'Pub/Sub allows 10 to 600 seconds' }),
            messageRetentionDuration: duration('7d', RETENTION),
            expirationPolicy: (x, p, c) => (x === undefined ? undefined : obj({ ttl: optDuration({ minMs: 24 * 3_600_000 }) })(x, p, c)),
            retryPolicy: (x, p, c) =>
              x === undefined ? undefined : obj({ minimumBackoff: duration('10s', { maxMs: 600_000 }), maximumBackoff: duration('600s', { maxMs: 600_000 }) })(x, p, c),
            deadLetterPolicy: (x, p, c) =>
              x === undefined
                ? undefined
                : obj({ deadLetterTopic: str({ pattern: PUBSUB_ID, hint: 'the ID of a topic declared under pubsub.topics' }), maxDeliveryAttempts: int({ min: 5, max: 100, default: 5 }) }, { required: ['deadLetterTopic'] })(x, p, c),
            labels: record(str()),
          },
          { required: ['name', 'topic'] },
        ),
      ),
      backoffMultiplier: num({ min: 1, max: 10, default: 2 }),
      defaultPushBackoff: obj({ min: duration('100ms', { maxMs: 600_000 }), max: duration('60s', { maxMs: 600_000 }) }),
    }),
    vpc: obj({ cidrs: list(str()) }),
  },
  { required: [] },
);

/** Resolves `name` or `name@project.iam.gserviceaccount.com` to an email in this project. */
export function serviceAccountEmail(nameOrEmail: string, projectId: string): string {
  return nameOrEmail.includes('@') ? nameOrEmail : `${nameOrEmail}@${projectId}.iam.gserviceaccount.com`;
}

export function validateConfig(raw: unknown, source = 'config'): AuthplaneConfig {
  const ctx = new Ctx();
  const c = schema(raw ?? {}, '', ctx);
  const project = c.project;
  const saEmails = new Set(c.serviceAccounts.map((s) => serviceAccountEmail(s.name, project.id)));
  const checkSa = (value: string, path: string, required: boolean): string => {
    if (!value) {
      if (required) ctx.report(path, 'is required', `name one of serviceAccounts (${[...saEmails].map((e) => e.split('@')[0]).join(', ') || 'none declared'})`);
      return value;
    }
    const email = serviceAccountEmail(value, project.id);
    if (!saEmails.has(email) && email.endsWith('.iam.gserviceaccount.com') && email.split('@')[1] === `${project.id}.iam.gserviceaccount.com`) {
      ctx.report(path, `service account ${value} is not declared`, `add "- { name: ${email.split('@')[0]} }" under serviceAccounts, or fix the name`);
    }
    return email;
  };

  const seenNames = (items: { name: string }[], path: string) => {
    const seen = new Set<string>();
    items.forEach((it, i) => {
      if (seen.has(it.name)) ctx.report(`${path}[${i}].name`, `${it.name} is declared twice`, 'give each one its own name');
      seen.add(it.name);
    });
  };
  seenNames(c.serviceAccounts, 'serviceAccounts');
  seenNames(c.services, 'services');
  seenNames(c.queues, 'queues');
  seenNames(c.schedulerJobs, 'schedulerJobs');
  // Cloud Tasks' CreateQueue refuses it (tasks/queue-model.ts), so the config does too.
  c.queues.forEach((q, i) => {
    const { minBackoff, maxBackoff } = q.retryConfig;
    if (minBackoff > maxBackoff) {
      ctx.report(
        `queues[${i}].retryConfig.minBackoff`,
        `${minBackoff / 1000}s is longer than maxBackoff (${maxBackoff / 1000}s); CreateQueue answers "queue.retry_config.min_backoff (${minBackoff / 1000}s) must not be greater than max_backoff (${maxBackoff / 1000}s)."`,
        'set minBackoff ≤ maxBackoff',
      );
    }
  });
  seenNames(c.workloads, 'workloads');
  seenNames(c.gateways, 'gateways');
  seenNames(c.pubsub.topics, 'pubsub.topics');
  seenNames(c.pubsub.subscriptions, 'pubsub.subscriptions');

  // Fixed ports must not collide (0 = pick any, never collides).
  const ports = new Map<number, string>();
  const claimPort = (port: number, path: string) => {
    if (port === 0) return;
    const other = ports.get(port);
    if (other) ctx.report(path, `port ${port} is also used by ${other}`, 'give each listener its own port, or 0 for any free port');
    else ports.set(port, path);
  };
  claimPort(c.server.apiPort, 'server.apiPort');
  claimPort(c.server.grpcPort, 'server.grpcPort');

  const services = c.services.map((s, i) => {
    const path = `services[${i}]`;
    claimPort(s.port, `${path}.port`);
    claimPort(s.metadataPort, `${path}.metadataPort`);
    if (!s.upstream && !s.command) ctx.report(path, 'has neither upstream nor command', 'add upstream: http://127.0.0.1:PORT, or command: "node server.js"');
    if (s.upstream && s.command) ctx.report(path, 'has both upstream and command', 'keep one: upstream for a server you run, command for one authplane supervises');
    if (s.iap.enabled && !s.iap.oauthClientId) ctx.report(`${path}.iap.oauthClientId`, 'is required when IAP is enabled', 'add oauthClientId: NUMBER-xxxx.apps.googleusercontent.com');
    return {
      ...s,
      serviceAccount: s.serviceAccount ? checkSa(s.serviceAccount, `${path}.serviceAccount`, false) : `${project.number}-compute@developer.gserviceaccount.com`,
      iap: { enabled: s.iap.enabled, customAudiences: s.iap.customAudiences, ...(s.iap.oauthClientId ? { oauthClientId: s.iap.oauthClientId } : {}) },
    };
  });
  const workloads = c.workloads.map((w, i) => {
    claimPort(w.metadataPort, `workloads[${i}].metadataPort`);
    return { ...w, serviceAccount: checkSa(w.serviceAccount, `workloads[${i}].serviceAccount`, true) };
  });
  const gateways = c.gateways.map((g, i) => {
    claimPort(g.port, `gateways[${i}].port`);
    claimPort(g.metadataPort, `gateways[${i}].metadataPort`);
    if (!g.serviceAccount) {
      ctx.report(`gateways[${i}].serviceAccount`, 'is required: a proxy that uses Google authentication must run as a service account (Apigee refuses the deployment otherwise)', 'add serviceAccount: NAME');
    }
    const routes = g.routes.map((r, j) => {
      const imp = r.authentication?.impersonate;
      if (imp) imp.serviceAccount = checkSa(imp.serviceAccount, `gateways[${i}].routes[${j}].authentication.impersonate.serviceAccount`, true);
      const out: { path: string; target: string; authentication?: GatewayAuthentication } = { path: r.path, target: r.target };
      if (r.authentication) out.authentication = r.authentication;
      return out;
    });
    return { ...g, serviceAccount: checkSa(g.serviceAccount, `gateways[${i}].serviceAccount`, false), routes };
  });

  // Bindings: the resource must exist, the role must be known, members must be well-formed.
  const resources = new Set<string>([
    `projects/${project.id}`,
    ...[...saEmails].map((e) => `serviceAccounts/${e}`),
    ...services.map((s) => serviceResource(s.name)),
    ...services.filter((s) => s.iap.enabled).map((s) => `iap/${s.name}`),
    ...c.queues.map((q) => `queues/${q.name}`),
    ...c.pubsub.topics.map((t) => topicResource(t.name)),
    ...c.pubsub.subscriptions.map((s) => subscriptionResource(s.name)),
  ]);
  const bindings = c.iam.bindings.map((b, i) => {
    const path = `iam.bindings[${i}]`;
    let resource = b.resource;
    if (resource.startsWith('serviceAccounts/')) resource = `serviceAccounts/${serviceAccountEmail(resource.slice('serviceAccounts/'.length), project.id)}`;
    if (!resources.has(resource)) {
      ctx.report(`${path}.resource`, `${b.resource} is not a resource of this config`, `use one of: ${[...resources].join(', ')}`);
    }
    if (b.role && !isKnownRole(b.role)) ctx.report(`${path}.role`, `${b.role} is not a role authplane knows`, 'see docs/iam.md for the role catalog (e.g. roles/run.invoker)');
    const members = b.members.map((m, j) => {
      const mp = `${path}.members[${j}]`;
      if (m === 'allUsers' || m === 'allAuthenticatedUsers') return m;
      const match = /^(user|serviceAccount|group|domain):(.+)$/.exec(m);
      if (!match) {
        ctx.report(mp, `${JSON.stringify(m)} is not a member`, 'write user:EMAIL, serviceAccount:EMAIL, group:EMAIL, domain:DOMAIN, allUsers or allAuthenticatedUsers');
        return m;
      }
      if (match[1] === 'serviceAccount') return `serviceAccount:${checkSa(match[2]!, mp, true)}`;
      // What setIamPolicy refuses, the config refuses too, in Google's words (iam/members.ts).
      const refused = memberFormRefusal(m);
      if (refused) ctx.report(mp, `${JSON.stringify(m)} would be refused by setIamPolicy: ${refused.message}`, refused.fix);
      else if (match[1] !== 'domain' && saEmails.has(match[2]!)) {
        ctx.report(mp, `${match[2]} is a service account: Account ${match[2]} is of type "serviceAccount".`, `write serviceAccount:${match[2]}`);
      }
      return m;
    });
    return { resource, role: b.role, members };
  });

  const schedulerJobs = c.schedulerJobs.map((j, i) => {
    const path = `schedulerJobs[${i}]`;
    const parsed = Schedule.parse(j.schedule, j.timeZone);
    if (!(parsed instanceof Schedule)) {
      const hint = parsed.notEmulated?.fix ?? parsed.fix ?? (parsed.field === 'schedule' ? 'write five fields, e.g. "0 3 * * *" (03:00 every day) or "*/5 * * * *"' : 'use a tz database name such as Europe/Paris, America/New_York or utc');
      ctx.report(`${path}.${parsed.field === 'schedule' ? 'schedule' : 'timeZone'}`, parsed.error, hint);
    }
    const t = j.httpTarget;
    if (t.oidcToken && t.oauthToken) ctx.report(`${path}.httpTarget`, 'has both oidcToken and oauthToken', 'keep one: oidcToken for Cloud Run and your own endpoints, oauthToken for Google APIs');
    if (t.body !== undefined && !['POST', 'PUT', 'PATCH'].includes(t.httpMethod)) ctx.report(`${path}.httpTarget.body`, `a body is only allowed with POST, PUT or PATCH (httpMethod is ${t.httpMethod})`, 'remove the body, or set httpMethod: POST');
    if (j.retryConfig.minBackoffDuration > j.retryConfig.maxBackoffDuration) ctx.report(`${path}.retryConfig.minBackoffDuration`, 'is longer than maxBackoffDuration', 'set minBackoffDuration ≤ maxBackoffDuration');
    const token = t.oidcToken
      ? { oidcToken: { serviceAccountEmail: checkSa(t.oidcToken.serviceAccountEmail, `${path}.httpTarget.oidcToken.serviceAccountEmail`, true), ...(t.oidcToken.audience ? { audience: t.oidcToken.audience } : {}) } }
      : t.oauthToken
        ? { oauthToken: { serviceAccountEmail: checkSa(t.oauthToken.serviceAccountEmail, `${path}.httpTarget.oauthToken.serviceAccountEmail`, true), ...(t.oauthToken.scope ? { scope: t.oauthToken.scope } : {}) } }
        : {};
    return {
      name: j.name,
      description: j.description,
      schedule: j.schedule,
      timeZone: j.timeZone,
      paused: j.paused,
      httpTarget: { uri: t.uri, httpMethod: t.httpMethod, headers: t.headers, ...(t.body !== undefined ? { body: t.body } : {}), ...token },
      retryConfig: {
        retryCount: j.retryConfig.retryCount,
        maxRetryDurationMs: j.retryConfig.maxRetryDuration,
        minBackoffMs: j.retryConfig.minBackoffDuration,
        maxBackoffMs: j.retryConfig.maxBackoffDuration,
        maxDoublings: j.retryConfig.maxDoublings,
      },
      attemptDeadlineMs: j.attemptDeadline,
    };
  });

  c.vpc.cidrs.forEach((cidr, i) => {
    const [addr, bits, extra] = cidr.split('/');
    const family = isIP(addr ?? '');
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      ctx.report(`vpc.cidrs[${i}]`, `${JSON.stringify(cidr)} is not an address range`, 'write a CIDR such as 10.8.0.0/16 or fd00::/8 (or a single address)');
    }
  });

  if (c.iam.propagation.max < c.iam.propagation.min) {
    ctx.report('iam.propagation.max', 'is shorter than min', 'set max ≥ min, e.g. { min: 20s, max: 120s }');
  }

  // Pub/Sub: subscriptions name declared topics; push accounts are declared service accounts.
  const topicIds = new Set(c.pubsub.topics.map((t) => t.name));
  const subscriptions = c.pubsub.subscriptions.map((s, i) => {
    const path = `pubsub.subscriptions[${i}]`;
    if (!topicIds.has(s.topic)) ctx.report(`${path}.topic`, `topic ${s.topic} is not declared`, `add "- { name: ${s.topic} }" under pubsub.topics, or fix the name`);
    if (s.deadLetterPolicy && !topicIds.has(s.deadLetterPolicy.deadLetterTopic)) {
      ctx.report(`${path}.deadLetterPolicy.deadLetterTopic`, `topic ${s.deadLetterPolicy.deadLetterTopic} is not declared`, `add "- { name: ${s.deadLetterPolicy.deadLetterTopic} }" under pubsub.topics`);
    }
    if (s.retryPolicy && s.retryPolicy.maximumBackoff < s.retryPolicy.minimumBackoff) ctx.report(`${path}.retryPolicy.maximumBackoff`, 'is shorter than minimumBackoff', 'set maximumBackoff ≥ minimumBackoff');
    const push = s.pushConfig;
    const oidc = push?.oidcToken;
    return {
      name: s.name,
      topic: s.topic,
      ...(push
        ? {
            pushConfig: {
              pushEndpoint: push.pushEndpoint,
              attributes: push.attributes,
              ...(oidc ? { oidcToken: { serviceAccountEmail: checkSa(oidc.serviceAccountEmail, `${path}.pushConfig.oidcToken.serviceAccountEmail`, true), audience: oidc.audience } } : {}),
              ...(push.noWrapper ? { noWrapper: push.noWrapper } : {}),
            },
          }
        : {}),
      ackDeadlineSeconds: s.ackDeadlineSeconds,
      messageRetentionMs: s.messageRetentionDuration,
      // Google's default expiration policy: 31 days of inactivity; a policy without ttl never expires.
      expirationTtlMs: s.expirationPolicy === undefined ? 31 * 24 * 3_600_000 : s.expirationPolicy.ttl,
      ...(s.retryPolicy ? { retryPolicy: { minimumBackoffMs: s.retryPolicy.minimumBackoff, maximumBackoffMs: s.retryPolicy.maximumBackoff } } : {}),
      ...(s.deadLetterPolicy ? { deadLetterPolicy: s.deadLetterPolicy } : {}),
      labels: s.labels,
    };
  });
  if (c.pubsub.defaultPushBackoff.max < c.pubsub.defaultPushBackoff.min) ctx.report('pubsub.defaultPushBackoff.max', 'is shorter than min', 'set max ≥ min');

  const defaultPrincipal = c.defaultPrincipal;
  if (ctx.problems.length) throw new ConfigError(source, ctx.problems);
  return {
    project,
    server: c.server,
    defaultPrincipal,
    iam: {
      propagation: { minMs: c.iam.propagation.min, maxMs: c.iam.propagation.max, frontEnds: c.iam.propagation.frontEnds },
      bindings,
    },
    serviceAccounts: c.serviceAccounts.map((s) => ({ name: s.name, ...(s.displayName ? { displayName: s.displayName } : {}) })),
    users: c.users.map((u) => ({ email: u.email, ...(u.password ? { password: u.password } : {}), ...(u.displayName ? { displayName: u.displayName } : {}) })),
    services: services.map((s) => {
      const { upstream, command, cwd, functionName, startupTimeout, ...rest } = s;
      return {
        ...rest,
        startupTimeoutMs: startupTimeout,
        ...(upstream ? { upstream } : {}),
        ...(command ? { command } : {}),
        ...(cwd ? { cwd } : {}),
        ...(functionName ? { functionName } : {}),
      };
    }),
    queues: c.queues.map((q) => ({
      name: q.name,
      rateLimits: q.rateLimits,
      retryConfig: {
        maxAttempts: q.retryConfig.maxAttempts,
        maxRetryDurationMs: q.retryConfig.maxRetryDuration,
        minBackoffMs: q.retryConfig.minBackoff,
        maxBackoffMs: q.retryConfig.maxBackoff,
        maxDoublings: q.retryConfig.maxDoublings,
      },
    })),
    schedulerJobs,
    workloads,
    gateways,
    tasks: { nameReuseWindowMs: c.tasks.nameReuseWindow, retentionMs: c.tasks.retention },
    pubsub: {
      topics: c.pubsub.topics.map((t) => ({ name: t.name, labels: t.labels, messageRetentionMs: t.messageRetentionDuration })),
      subscriptions,
      backoffMultiplier: c.pubsub.backoffMultiplier,
      defaultPushBackoff: { minMs: c.pubsub.defaultPushBackoff.min, maxMs: c.pubsub.defaultPushBackoff.max },
    },
    vpc: c.vpc,
  };
}

export function loadConfigFile(file: string): AuthplaneConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [{ path: '', problem: `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, fix: 'check the path given to --config' }]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { filename: file });
  } catch (e) {
    // js-yaml's mark counts lines and columns from 0; people (and editors) count from 1.
    const pos = e instanceof YAMLException && e.mark ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : '';
    const reason = e instanceof YAMLException ? e.reason : (e as Error).message.split('\n')[0];
    throw new ConfigError(file, [{ path: '', problem: `is not valid YAML${pos}: ${reason}`, fix: 'fix the YAML syntax' }]);
  }
  // An empty file (or one of comments only) is most likely the wrong file: refuse it rather than start an
  // empty project on the default ports. A list or a scalar is refused by validateConfig.
  if (raw === null || raw === undefined) {
    throw new ConfigError(file, [{ path: '', problem: 'the file holds no config (it is empty)', fix: 'write the project\'s config (see docs/config.md), or leave out --config to run the demo project' }]);
  }
  const config = validateConfig(raw, file);
  // Supervised commands run from the config file's folder unless told otherwise.
  for (const s of config.services) if (s.command) s.cwd = resolve(dirname(resolve(file)), s.cwd ?? '.');
  return config;
}
