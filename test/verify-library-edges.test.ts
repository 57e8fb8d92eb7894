// authplane/verify's library functions at their edges: a service account's own JWT across two clocks, the
// words of an issuer refusal when the verifier expects no Google ID token, the verified-token cache and a
// call's own `now`, and a token whose header segment is empty.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signJwt } from '../src/lib/jwt.js';
import { DenialError } from '../src/verify/denial.js';
import { verifyIapAssertion, verifyServiceAccountJwt } from '../src/verify/google.js';
import { Verifier } from '../src/verify/verifier.js';
import { NOW, NOW_MS, RSA_KID, SA, SERVICE_URL, idToken, keys, rsa } from './verify-fixtures.js';

const OTHER_SA = 'caller@demo-project.iam.gserviceaccount.com';
const AUD = 'https://portal-123456789012.us-central1.run.app/';

/** A JWT `iss` signed "for itself" with the fixtures' RSA key (which `keys()` publishes). */
const ownJwt = (claims: Record<string, unknown>, iss = SA) => signJwt({ alg: 'RS256', kid: RSA_KID, typ: 'JWT' }, { iss, sub: iss, aud: AUD, ...claims }, rsa.privateKey);

async function refusal(p: Promise<unknown>): Promise<DenialError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DenialError) return e;
    throw e;
  }
  assert.fail('expected a refusal');
}

describe("verifyServiceAccountJwt: the signer's clock and Google's", () => {
  const verify = (token: string) => verifyServiceAccountJwt(token, { serviceAccount: SA, audience: AUD, keys: keys(), now: NOW_MS });

  it("admits an hour-long JWT minted by a clock up to the skew ahead, and one whose exp Google's clock filled in", async () => {
    for (const ahead of [0, 2, 10, 120, 299]) {
      const t = await verify(ownJwt({ iat: NOW + ahead, exp: NOW + ahead + 3600 }));
      assert.equal(t.principal, SA, `a clock ${ahead} s ahead`);
    }
    // signJwt adds exp = Google's now + 1 h; the signer's iat came from a clock 40 s behind.
    assert.equal((await verify(ownJwt({ iat: NOW - 40, exp: NOW + 3600 }))).principal, SA);
  });

  it('still refuses a JWT that lives longer than an hour beyond the skew, or starts beyond it', async () => {
    assert.equal((await refusal(verify(ownJwt({ iat: NOW, exp: NOW + 7200 })))).code, 'TOKEN_MALFORMED');
    // exp within reach of now, but 6,800 s after iat.
    const long = await refusal(verify(ownJwt({ iat: NOW - 3000, exp: NOW + 3800 })));
    assert.equal(long.code, 'TOKEN_MALFORMED');
    assert.match(String(long.evidence['reason']), /6800 s after iat; .* at most 3600 s/);
    assert.equal((await refusal(verify(ownJwt({ iat: NOW + 400, exp: NOW + 3800 })))).code, 'TOKEN_NOT_YET_VALID');
  });

  it("another account's JWT: SELF_SIGNED_JWT in the words of this check, not a call to mint ID tokens", async () => {
    const e = await refusal(verify(ownJwt({ iat: NOW, exp: NOW + 3600 }, OTHER_SA)));
    assert.equal(e.code, 'SELF_SIGNED_JWT');
    assert.equal(e.denial.hint, 'another-service-account');
    assert.match(e.denial.explanation, new RegExp(`only JWTs that ${SA} signed for itself`));
    assert.match(e.remedy, new RegExp(`Sign the JWT as ${SA}`));
    assert.doesNotMatch(e.remedy, /Ask Google for an ID token/);
  });

  it("a Google ID token: ISSUER_UNTRUSTED saying what this check accepts, not Cloud Run's invoker check", async () => {
    const e = await refusal(verify(idToken({ aud: AUD })));
    assert.equal(e.code, 'ISSUER_UNTRUSTED');
    assert.equal(e.denial.hint, 'service-account-jwt');
    assert.doesNotMatch(`${e.denial.explanation} ${e.remedy}`, /Cloud Run|invoker check/);
    assert.match(e.remedy, /verifyGoogleIdToken/);
  });
});

describe('verifyIapAssertion', () => {
  it("a token of another issuer: ISSUER_UNTRUSTED about IAP's header, not Cloud Run", async () => {
    const e = await refusal(verifyIapAssertion(idToken(), { audience: '/projects/123456789012/apps/demo-project', keys: keys(), now: NOW_MS, algorithms: ['RS256'] }));
    assert.equal(e.code, 'ISSUER_UNTRUSTED');
    assert.equal(e.denial.hint, 'iap-assertion');
    assert.match(e.denial.explanation, /x-goog-iap-jwt-assertion/);
    assert.doesNotMatch(`${e.denial.explanation} ${e.remedy}`, /Cloud Run|invoker check/);
  });
});

describe("the verified-token cache and a call's own now", () => {
  it('a token admitted at a later now is not admitted from the cache at the clock, where its lifetime is too long', () => {
    const v = new Verifier({ keys: keys(), clock: () => NOW_MS });
    const farExp = idToken({ iat: NOW - 60, exp: NOW + 200_000 });
    assert.equal(v.verify(farExp, { audiences: [SERVICE_URL] }).ok, false, 'at the clock: exp 200,000 s ahead');
    assert.ok(v.verify(farExp, { audiences: [SERVICE_URL], now: (NOW + 190_000) * 1000 }).ok, 'at a later now: 10,000 s ahead');
    const r = v.verify(farExp, { audiences: [SERVICE_URL] });
    assert.equal(r.ok ? 'ok' : r.denial.code, 'TOKEN_MALFORMED');
    assert.equal(v.cacheStats().hits, 0);
  });

  it('tokens verified at the clock are still served from the cache', () => {
    const v = new Verifier({ keys: keys(), clock: () => NOW_MS });
    const t = idToken();
    for (let i = 0; i < 3; i++) assert.ok(v.verify(t, { audiences: [SERVICE_URL] }).ok);
    assert.equal(v.cacheStats().hits, 2);
  });
});

describe('a token whose header segment is empty', () => {
  it('says so instead of miscounting its segments', () => {
    const v = new Verifier({ keys: keys(), clock: () => NOW_MS });
    for (const token of ['..', '.a.b']) {
      const r = v.verify(token, { audiences: [SERVICE_URL] });
      assert.equal(r.ok ? 'ok' : r.denial.code, 'TOKEN_MALFORMED');
      if (!r.ok) assert.match(String(r.denial.evidence['reason']), /header segment is empty/, token);
    }
  });
});
