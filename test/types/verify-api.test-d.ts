// Type-level test of the public `authplane/verify` API (compiled by tsc, never run): a change that breaks
// callers' code fails the build here. `@ts-expect-error` lines must stay errors.
import type { MiddlewareHandler } from 'hono';
import type { FastifyInstance } from 'fastify';
import type { RequestHandler } from 'express';
import * as api from '../../src/verify/index.js';
import {
  verifyGoogleIdToken,
  verifyIapAssertion,
  Verifier,
  DenialError,
  deny,
  keyRingSource,
  RemoteKeySource,
  expressGoogleAuth,
  fastifyGoogleAuth,
  honoGoogleAuth,
  nodeGoogleAuth,
  type Denial,
  type RefusalCode,
  type VerifiedToken,
  type VerifyResult,
  type AuthplaneIdentity,
  type KeySource,
  type Surface,
  type AudienceHint,
  type DenialHint,
  type IssuerHint,
} from '../../src/verify/index.js';

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
const expectTrue = <T extends true>(_?: T): void => undefined;

export function typeTests(keys: KeySource, app: FastifyInstance): void {
  // No default export: the barrel exports names only.
  expectTrue<Equal<'default' extends keyof typeof api ? true : false, false>>();

  // Library functions: audience required, resolve to a verified token.
  expectTrue<Equal<ReturnType<typeof verifyGoogleIdToken>, Promise<VerifiedToken>>>();
  expectTrue<Equal<ReturnType<typeof verifyIapAssertion>, Promise<VerifiedToken>>>();
  // @ts-expect-error audience is required
  void verifyGoogleIdToken('t', {});
  void verifyGoogleIdToken('t', { audience: ['https://x.run.app', 'custom'], clockSkewSec: 10, requireEmail: true, allowAudiencePath: false });
  // @ts-expect-error HMAC is not an algorithm the verifier accepts
  void verifyGoogleIdToken('t', { audience: 'a', algorithms: ['HS256'] });

  // The core: a discriminated result.
  const v = new Verifier({ keys, issuers: ['https://accounts.google.com'], algorithms: ['RS256'], surface: 'run' });
  const r: VerifyResult = v.verify('t', { audiences: ['https://x.run.app'] });
  if (r.ok) {
    expectTrue<Equal<typeof r.principal, string>>();
    expectTrue<Equal<typeof r.claims.exp, number>>();
    // @ts-expect-error claims are read-only
    r.claims.exp = 1;
  } else {
    expectTrue<Equal<typeof r.denial, Denial>>();
    expectTrue<Equal<typeof r.denial.code, RefusalCode>>();
    const hint: DenialHint | undefined = r.denial.hint;
    // An audience diagnosis is one kind of hint; an issuer's is another.
    const audience: DenialHint = 'path' satisfies AudienceHint;
    const issuer: DenialHint = 'iap-assertion' satisfies IssuerHint;
    void hint, audience, issuer;
  }
  // @ts-expect-error audiences are required per call
  v.verify('t', {});

  // Codes are a closed union; products build denials with the same function.
  const d = deny('PERMISSION_DENIED', 'run', { permission: 'run.routes.invoke' });
  expectTrue<Equal<typeof d.status, number>>();
  // @ts-expect-error not a refusal code
  deny('NOT_A_CODE', 'run', {});
  // @ts-expect-error not a surface
  deny('TOKEN_MISSING', 'gke', {});
  const s: Surface = 'library';
  void s;
  const e = new DenialError(d);
  expectTrue<Equal<typeof e.code, RefusalCode>>();
  expectTrue<Equal<typeof e.denial, Denial>>();

  // Key sources.
  const remote: KeySource = new RemoteKeySource({ url: 'https://www.googleapis.com/oauth2/v3/certs' });
  void remote;
  expectTrue<Equal<Parameters<typeof keyRingSource>[0], import('../../src/identity/keys.js').KeyRing>>();

  // Adapters fit their frameworks without casts.
  const h: MiddlewareHandler = honoGoogleAuth({ audience: 'a' });
  const x: RequestHandler = expressGoogleAuth({ audience: 'a' });
  app.addHook('onRequest', fastifyGoogleAuth({ audience: 'a', credential: 'iap-assertion' }));
  void h;
  void x;
  const n = nodeGoogleAuth({ audience: 'a' });
  expectTrue<Equal<Awaited<ReturnType<typeof n>>, AuthplaneIdentity | undefined>>();
  // @ts-expect-error unknown credential kind
  nodeGoogleAuth({ audience: 'a', credential: 'cookie' });
}
