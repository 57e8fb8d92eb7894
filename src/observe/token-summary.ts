// How a credential appears in logs: decoded header and claims for JWTs, shape only for anything else.
// Never the signature, never the whole token.

import { parseSegment } from '../verify/verifier.js';
import type { TokenSummary } from './request-log.js';

export function summarizeToken(header: string, token: string): TokenSummary {
  const parts = token.split('.');
  if (parts.length === 3) {
    const jwtHeader = parseSegment(parts[0]!);
    const claims = parseSegment(parts[1]!);
    if (jwtHeader && claims) return { header, jwtHeader, claims };
  }
  // The prefix tells an access token (ya29.) or a refresh token (1//) apart without revealing it.
  return { header, opaque: { length: token.length, prefix: token.slice(0, Math.min(5, Math.floor(token.length / 4))) } };
}
