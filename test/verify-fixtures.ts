// Test keys and Google-shaped tokens for the verifier tests: a fixed clock, an RS256 key (ID tokens),
// an ES256 key (IAP assertions), and a key nobody publishes.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signJwt, encodeSegment, type JwtClaims, type JwtHeader } from '../src/lib/jwt.js';
import { staticKeySource, type KeySource, type VerifyAlgorithm } from '../src/verify/keys.js';

export const NOW_MS = Date.UTC(2025, 0, 15, 12, 0, 0);
export const NOW = NOW_MS / 1000;
export const SERVICE_URL = 'https://update-123456789012.us-central1.run.app';
export const HASH_URL = 'https://update-abc123def4-uc.a.run.app';
export const SA = 'tasks-invoker@demo-project.iam.gserviceaccount.com';

export const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const RSA_KID = 'a'.repeat(38) + '01';
export const EC_KID = 'iapKey';

export function keys(): KeySource {
  return staticKeySource(
    new Map<string, { alg: VerifyAlgorithm; key: KeyObject }>([
      [RSA_KID, { alg: 'RS256', key: rsa.publicKey }],
      [EC_KID, { alg: 'ES256', key: ec.publicKey }],
    ]),
    'the test key set',
  );
}

export function idClaims(over: JwtClaims = {}): JwtClaims {
  return {
    aud: SERVICE_URL,
    azp: '104567890123456789012',
    email: SA,
    email_verified: true,
    exp: NOW + 3600 - 60,
    iat: NOW - 60,
    iss: 'https://accounts.google.com',
    sub: '104567890123456789012',
    ...over,
  };
}

export function idToken(over: JwtClaims = {}, header: Partial<JwtHeader> = {}, key: KeyObject = rsa.privateKey): string {
  return signJwt({ alg: 'RS256', kid: RSA_KID, typ: 'JWT', ...header }, idClaims(over), key);
}

export function iapAssertion(over: JwtClaims = {}): string {
  return signJwt(
    { alg: 'ES256', kid: EC_KID, typ: 'JWT' },
    { aud: '/projects/123456789012/locations/us-central1/services/update', email: 'alice@example.com', sub: 'accounts.google.com:1234', iss: 'https://cloud.google.com/iap', iat: NOW - 10, exp: NOW + 590, ...over },
    ec.privateKey,
  );
}

/** A token with an arbitrary header and no valid signature (alg none, HS256 …). */
export function unsigned(header: Record<string, unknown>, claims: JwtClaims, signature = ''): string {
  return `${encodeSegment(header)}.${encodeSegment(claims)}.${signature}`;
}
