// authplane/client: get a Google ID token for a target and call it — from the metadata server, by
// impersonation (with delegates), or from a service-account key file — with Google's audience rules, a
// header of your choice, early-refreshing caches and a fetch-compatible wrapper. Google's endpoints by
// default; authplane's through options or GCE_METADATA_HOST / AUTHPLANE_URL (docs/client.md).

export { createAuthorizedFetch, type AuthorizedFetch } from './authorized-fetch.js';
export { IdTokenClient, getIdToken, resolveSource, type IdTokenClientOptions, type IdTokenHeader, type ImpersonationOptions } from './id-token-client.js';
export { deriveAudience, audienceForUrl, type DerivedAudience, type AudienceRule } from './audience.js';
export { AudienceWarning, TokenFetchError, type AudienceWarningCode, type TokenFetchErrorCode } from './errors.js';
export { metadataServerSource, type MetadataSourceOptions } from './metadata-source.js';
export { impersonatedSource, type ImpersonatedSourceOptions } from './impersonated-source.js';
export { keyFileSource, readKeyFile, type KeyFileSourceOptions, type ServiceAccountKeyFile } from './key-file-source.js';
export { cachedSource, TokenCache, REFRESH_MARGIN_MS, type TokenCacheOptions } from './token-cache.js';
export { type TokenSource, type Token, type IdTokenRequest, type AccessTokenRequest } from './source.js';
export {
  GOOGLE_METADATA_HOST,
  GOOGLE_IAM_CREDENTIALS_URL,
  GOOGLE_TOKEN_URL,
  CLOUD_PLATFORM_SCOPE,
  metadataBaseUrl,
  iamCredentialsBaseUrl,
  type Env,
} from './endpoints.js';
