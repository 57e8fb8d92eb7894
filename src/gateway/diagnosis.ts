// When a target refuses a gateway's request, the gateway knows what the target cannot: how the token was
// made. This turns the target's refusal code plus the route's authentication into a sentence about the
// route (request log, surface "gateway"), e.g. "useTargetUrl carried the request path into the audience".

import type { GatewayAuthentication, GatewayConfig } from '../config/types.js';

export interface TokenUsed {
  kind: 'googleIdToken' | 'googleAccessToken' | 'impersonate';
  /** The audience the token was minted for (ID tokens). */
  audience?: string;
  /** How the audience was chosen. */
  audienceMode?: 'literal' | 'useTargetUrl' | 'target';
  method?: 'generateIdToken' | 'generateAccessToken';
  serviceAccount?: string;
}

export interface GatewayDiagnosis {
  explanation: string;
  remedy: string;
  evidence: Record<string, unknown>;
}

export function diagnoseRefusal(
  gateway: GatewayConfig,
  routePath: string,
  auth: GatewayAuthentication | undefined,
  used: TokenUsed | undefined,
  code: string,
  target: { configuredTarget: string; suffix: string },
): GatewayDiagnosis | undefined {
  const route = `Route ${routePath} of gateway ${gateway.name}`;
  const evidence: Record<string, unknown> = { gateway: gateway.name, route: routePath, upstreamCode: code, ...(used ?? {}) };
  if (code === 'AUDIENCE_MISMATCH' && used?.audienceMode === 'useTargetUrl' && target.suffix !== '' && target.suffix !== '/') {
    return {
      explanation:
        `${route} mints its ID token with audience { useTargetUrl: true }, which Apigee computes as the target URL plus the request path (without the query): ` +
        `this request's token carried the audience ${used.audience}, i.e. ${target.configuredTarget} plus the path ${target.suffix}. ` +
        'Cloud Run compares the audience with the service URL as a whole string, so the path makes it a different audience and the call is refused with 401.',
      remedy: `Give the route a literal audience: googleIdToken: { audience: ${target.configuredTarget} }. useTargetUrl only works for requests to the target's root.`,
      evidence: { ...evidence, audiencePath: target.suffix, expectedAudience: target.configuredTarget },
    };
  }
  if (code === 'ACCESS_TOKEN_NOT_ID_TOKEN' && used?.kind === 'impersonate' && used.method === 'generateAccessToken') {
    return {
      explanation: `${route} impersonates ${used.serviceAccount} with generateAccessToken, which returns an OAuth access token (ya29.…). Cloud Run and IAP accept only Google-signed ID tokens, so the target refused it.`,
      remedy: `Set the route's impersonate.method to generateIdToken (audience ${target.configuredTarget}; includeEmail: true if IAP is in front).`,
      evidence,
    };
  }
  if (code === 'ACCESS_TOKEN_NOT_ID_TOKEN' && used?.kind === 'googleAccessToken') {
    return {
      explanation: `${route} sends the gateway's OAuth access token (googleAccessToken); Cloud Run and IAP accept only ID tokens. Access tokens are for Google APIs (*.googleapis.com).`,
      remedy: `Use googleIdToken with audience ${target.configuredTarget} for this route.`,
      evidence,
    };
  }
  if (code === 'EMAIL_CLAIM_MISSING' && used?.kind !== 'googleAccessToken') {
    return {
      explanation: `${route} mints its ID token without the email claim (includeEmail defaults to false, as in Apigee); IAP identifies callers by email.`,
      remedy: `Set includeEmail: true on the route's ${auth?.impersonate ? 'impersonate' : 'googleIdToken'} block.`,
      evidence,
    };
  }
  if (code === 'PERMISSION_DENIED' || code === 'IAM_NOT_YET_PROPAGATED') {
    const who = used?.kind === 'impersonate' ? used.serviceAccount : gateway.serviceAccount;
    return {
      explanation: `${route} calls the target as ${who}, which the target does not (yet) let in (${code}).`,
      remedy: `Grant roles/run.invoker (or, behind IAP, roles/iap.httpsResourceAccessor) on the target to serviceAccount:${who}.`,
      evidence,
    };
  }
  return undefined;
}
