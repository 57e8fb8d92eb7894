// Compact JWS encoding and decoding (no verification: that is verify/'s job).
import { createSign, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { jsonDepth, MAX_JSON_DEPTH } from './json-depth.js';

export interface JwtHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [k: string]: unknown;
}

export type JwtClaims = Record<string, unknown>;

export interface DecodedJwt {
  header: JwtHeader;
  claims: JwtClaims;
  signingInput: string;
  signature: Buffer;
  /** The raw signature segment. */
  signatureB64: string;
}

export const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export function encodeSegment(value: unknown): string {
  return b64url(JSON.stringify(value));
}

/** Parses a compact JWS without checking it; null when it is not three base64url JSON segments. */
export function decodeJwt(token: string): DecodedJwt | null {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1) return null;
  try {
    const headerText = Buffer.from(token.slice(0, first), 'base64url').toString('utf8');
    const claimsText = Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8');
    // A claims set nested deeper than any JSON parser of Google's takes is no JWT (and would overflow later).
    if (jsonDepth(headerText) > MAX_JSON_DEPTH || jsonDepth(claimsText) > MAX_JSON_DEPTH) return null;
    const header = JSON.parse(headerText) as unknown;
    const claims = JSON.parse(claimsText) as unknown;
    if (!header || typeof header !== 'object' || Array.isArray(header) || typeof (header as JwtHeader).alg !== 'string') return null;
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return null;
    const signatureB64 = token.slice(second + 1);
    return { header: header as JwtHeader, claims: claims as JwtClaims, signingInput: token.slice(0, second), signature: Buffer.from(signatureB64, 'base64url'), signatureB64 };
  } catch {
    return null;
  }
}

/** Signs header + claims with RS256 or ES256 (JOSE's raw r||s form for ECDSA). */
export function signJwt(header: JwtHeader, claims: JwtClaims, key: KeyObject): string {
  const input = `${encodeSegment(header)}.${encodeSegment(claims)}`;
  return `${input}.${b64url(signBytes(header.alg, input, key))}`;
}

export function signBytes(alg: string, data: string | Buffer, key: KeyObject): Buffer {
  if (alg === 'RS256') return createSign('RSA-SHA256').update(data).sign(key);
  if (alg === 'ES256') return cryptoSign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' });
  throw new TypeError(`unsupported signing algorithm ${alg}`);
}

/** Replaces the signature, as Cloud Run does before passing X-Serverless-Authorization on. */
export function stripSignature(token: string): string {
  const i = token.lastIndexOf('.');
  return i > 0 ? `${token.slice(0, i)}.SIGNATURE_REMOVED_BY_GOOGLE` : token;
}
