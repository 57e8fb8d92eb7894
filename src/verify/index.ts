// authplane/verify: verify Google ID tokens and IAP assertions, in authplane and in production.
// One verifier behind every entry point; refusals carry authplane's codes (docs/refusal-codes.md).

export { verifyGoogleIdToken, verifyIapAssertion, verifyServiceAccountJwt, verifierFor, SERVICE_ACCOUNT_JWKS_URL, type VerifyTokenOptions, type VerifyServiceAccountJwtOptions } from './google.js';
export {
  Verifier,
  GOOGLE_ISSUERS,
  IAP_ISSUER,
  isServiceAccountEmail,
  type VerifierOptions,
  type VerifyCall,
  type VerifyResult,
  type VerifiedToken,
  type RefusedToken,
  type TokenClaims,
} from './verifier.js';
export { DenialError, deny, fillTemplate, templateFields, type Denial, type Evidence, type AudienceHint, type IssuerHint, type DenialHint } from './denial.js';
export { REFUSAL_CODES, REFUSAL_CODE_NAMES, googleAnswer, isRefusalCode, type RefusalCode, type Surface, type CodeSpec, type GoogleAnswer } from './codes.js';
export { keyRingSource, staticKeySource, parseKeySet, SUPPORTED_ALGORITHMS, type KeySource, type ParsedKey, type VerifyAlgorithm } from './keys.js';
export {
  RemoteKeySource,
  KeySourceError,
  resolveKeyUrl,
  GOOGLE_JWKS_URL,
  GOOGLE_PEM_CERTS_URL,
  IAP_JWKS_URL,
  AUTHPLANE_JWKS_PATH,
  AUTHPLANE_IAP_JWKS_PATH,
  type RemoteKeySourceOptions,
} from './remote.js';
export { audienceMatches, diagnoseAudience, type AudienceOwnerLookup, type AudienceDiagnosis } from './audience.js';
export { pickCredential, type Credential, type CredentialKind, type CredentialHeader, type HeaderGetter, type HeaderValue } from './credential.js';
export { denialResponse, runErrorPage, DENIAL_HEADER, type DenialResponse, type DenialResponseOptions } from './response.js';
export { type CacheStats } from './cache.js';
export { authenticator, IDENTITY_KEY, type AuthOptions, type AuthOutcome, type AuthplaneIdentity } from './adapters/authenticate.js';
export { nodeGoogleAuth } from './adapters/node.js';
export { expressGoogleAuth, type ExpressMiddleware } from './adapters/express.js';
export { fastifyGoogleAuth, type FastifyRequestLike, type FastifyReplyLike } from './adapters/fastify.js';
export { honoGoogleAuth, type HonoContextLike } from './adapters/hono.js';
