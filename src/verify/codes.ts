// The one table of refusal codes. Every product (front door, IAP, tasks, APIs), the library and `explain`
// build their refusals from it, so a code means the same thing, with the same words, everywhere.
// docs/refusal-codes.md is the same table for people; test/verify-codes.test.ts keeps the two in step.
//
// Templates use `{name}` placeholders filled from the denial's evidence (see denial.ts `fillTemplate`).
// Google's messages marked "authplane wording" in the docs are not recorded from real traffic.

/**
 * Where a refusal is answered: each surface speaks Google's words for that product.
 * - `run`: a Cloud Run front door (Google Front End HTML pages);
 * - `iap`: Identity-Aware Proxy (plain text, `X-Goog-IAP-Generated-Response: true`);
 * - `api`: a googleapis.com REST or gRPC API (`{"error":{code,message,status,details}}`, gRPC status);
 * - `metadata`: a workload's metadata server (plain text);
 * - `oauth`: the OAuth 2.0 token and tokeninfo endpoints (`{"error","error_description"}`, RFC 6749 §5.2);
 * - `gateway`: the Apigee-style gateway (`{"fault":{faultstring,detail:{errorcode}}}`);
 * - `library`: `authplane/verify` in the user's own service (Cloud Run's statuses and words).
 */
export type Surface = 'run' | 'iap' | 'api' | 'metadata' | 'oauth' | 'gateway' | 'library';

export const SURFACES: readonly Surface[] = ['run', 'iap', 'api', 'metadata', 'oauth', 'gateway', 'library'];

/** What Google answers on one surface. `message` may hold `{placeholders}`. */
export interface GoogleAnswer {
  readonly status: number;
  readonly message: string;
  /** Canonical google.rpc status name (google/rpc/code.proto), for REST and gRPC API surfaces. */
  readonly rpcStatus?: RpcStatus;
  /** `google.rpc.ErrorInfo` sent in `details` (reason, domain); its metadata comes from the evidence. */
  readonly errorInfo?: { readonly reason: string; readonly domain: string };
  /** The OAuth 2.0 `error` value (RFC 6749 §5.2) on the `oauth` surface. */
  readonly oauthError?: string;
  /** Apigee's `fault.detail.errorcode` on the `gateway` surface. */
  readonly errorcode?: string;
  /**
   * Products that say it in their own words, by the refusing API (`evidence.domain`, the ErrorInfo domain):
   * the template that replaces `message` for that API. Any other domain gets `message`.
   */
  readonly messageByDomain?: Readonly<Record<string, string>>;
}

/** google.rpc.Code names, as Google's JSON errors spell them. */
export type RpcStatus =
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

export interface CodeSpec {
  /** One line for the docs table: what the code means. */
  readonly summary: string;
  /**
   * Google's answer per surface. Fallbacks (googleAnswer): `library` → `run` → `api`; `metadata`, `oauth`
   * and `gateway` → their generic answer for the code's kind. Every code has `run` or `api`.
   */
  readonly google: { readonly run?: GoogleAnswer; readonly iap?: GoogleAnswer; readonly api?: GoogleAnswer; readonly metadata?: GoogleAnswer; readonly oauth?: GoogleAnswer; readonly gateway?: GoogleAnswer };
  readonly explanation: string;
  readonly remedy: string;
  /**
   * Per-hint overrides, the hint being `evidence.hint`: AUDIENCE_MISMATCH's diagnosis, and for ISSUER_UNTRUSTED
   * and SELF_SIGNED_JWT what was being verified when it is not a Google ID token (denial.ts IssuerHint).
   */
  readonly hints?: Readonly<Record<string, { readonly explanation?: string; readonly remedy: string }>>;
}

const RUN_401: GoogleAnswer = { status: 401, message: 'The request was not authorized to invoke this service', rpcStatus: 'UNAUTHENTICATED' };
const RUN_403: GoogleAnswer = {
  status: 403,
  message: 'Forbidden: Your client does not have permission to get URL {path} from this server.',
  rpcStatus: 'PERMISSION_DENIED',
};
const IAP_PARSE: GoogleAnswer = { status: 401, message: 'Invalid IAP credentials: Unable to parse JWT' };
const IAP_SIGNATURE: GoogleAnswer = { status: 401, message: 'Invalid IAP credentials: JWT signature is invalid' };
const IAP_DENIED: GoogleAnswer = { status: 403, message: '403 Access denied' };
// ErrorInfo's domain is the API that refused; products put theirs in `evidence.domain` (default below).
// IAM's words (iamcredentials, REFERENCE §2) unless the refusing API has recorded words of its own;
// `{googleResource}` is the full resource name Google puts there (a queue, a location, a job).
const LACKS_IAM_PERMISSION = 'The principal (user or service account) lacks IAM permission "{permission}" for the resource "{googleResource}" (or the resource may not exist).';
const IAM_API_PERMISSION: GoogleAnswer = {
  status: 403,
  message: "Permission '{permission}' denied on resource (or it may not exist).",
  rpcStatus: 'PERMISSION_DENIED',
  errorInfo: { reason: 'IAM_PERMISSION_DENIED', domain: 'iam.googleapis.com' },
};
const API_PERMISSION: GoogleAnswer = {
  ...IAM_API_PERMISSION,
  messageByDomain: {
    // Recorded: googleapis/repo-automation-bots#5598 (REST, 2024), TEAMMATES/teammates#10974 (gRPC), on
    // "projects/P/locations/L/queues/Q".
    'cloudtasks.googleapis.com': LACKS_IAM_PERMISSION,
    // Recorded: hashicorp/terraform-provider-google#7001, #12069 (cloudscheduler.jobs.create on "projects/P/locations/L").
    'cloudscheduler.googleapis.com': LACKS_IAM_PERMISSION,
    // Recorded over gRPC and REST, naming neither permission nor resource: googleapis/nodejs-pubsub#1180,
    // #1385, googleapis/gax-nodejs#545.
    'pubsub.googleapis.com': 'User not authorized to perform this action.',
  },
};
// Google's words for a bad or missing OAuth credential on googleapis.com (recorded across APIs).
const API_UNAUTHENTICATED: GoogleAnswer = {
  status: 401,
  message:
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  rpcStatus: 'UNAUTHENTICATED',
  errorInfo: { reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED', domain: 'googleapis.com' },
};
const API_CREDENTIALS_MISSING: GoogleAnswer = {
  status: 401,
  message:
    'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  rpcStatus: 'UNAUTHENTICATED',
  errorInfo: { reason: 'CREDENTIALS_MISSING', domain: 'googleapis.com' },
};
/** An answer whose words are the instance's own (`evidence.message`): Google's API errors name the field or resource. */
const apiAnswer = (status: number, rpcStatus: RpcStatus): GoogleAnswer => ({ status, message: '{message}', rpcStatus });

const MINT_ID_TOKEN =
  'generateIdToken (not generateAccessToken), the metadata server\'s …/service-accounts/default/identity?audience=… (not …/token), or `gcloud auth print-identity-token` (not print-access-token)';

export const REFUSAL_CODES = {
  TOKEN_MISSING: {
    summary: 'The request carried no credential at all.',
    google: {
      run: { status: 403, message: 'The request was not authenticated. Either allow public access or set the proper Authorization header', rpcStatus: 'PERMISSION_DENIED' },
      iap: { status: 401, message: 'Invalid IAP credentials: empty token' },
      api: API_CREDENTIALS_MISSING,
    },
    explanation: 'The request carried no ID token: neither X-Serverless-Authorization nor Authorization held a Bearer credential.',
    remedy:
      'Send `Authorization: Bearer ID_TOKEN` with an ID token whose audience is {expectedAudience} (from code: the metadata server\'s identity endpoint or google-auth-library\'s getIdTokenClient; by hand: `gcloud auth print-identity-token --impersonate-service-account=SA --audiences={expectedAudience}`). If the service is meant to be public: `gcloud run services update SERVICE --no-invoker-iam-check` (invokerIamCheck: false), or bind allUsers to roles/run.invoker.',
  },
  TOKEN_MALFORMED: {
    summary: 'The credential is not a well-formed Google ID token (not a JWT, bad base64/JSON, missing iat/exp, lifetime too long).',
    google: { run: RUN_401, iap: IAP_PARSE, api: API_UNAUTHENTICATED },
    explanation: 'The credential is not a well-formed ID token: {reason}.',
    remedy:
      'Send the token exactly as it was minted: three base64url segments separated by dots, after "Bearer " and nothing else (no quotes, no line breaks, no second token). Mint it with ' + MINT_ID_TOKEN + '.',
  },
  ACCESS_TOKEN_NOT_ID_TOKEN: {
    summary: 'An OAuth access (or refresh) token was sent where an OpenID Connect ID token is required.',
    google: { run: RUN_401, iap: IAP_PARSE, api: API_UNAUTHENTICATED },
    explanation:
      'The credential is {tokenKind}, not an OpenID Connect ID token. Cloud Run and IAP accept only Google-signed ID tokens; access tokens authorise calls to Google APIs, not to your services.',
    remedy: 'Mint an ID token with audience {expectedAudience} instead: ' + MINT_ID_TOKEN + '.',
  },
  SIGNATURE_INVALID: {
    summary: 'The signature does not verify with the key the token names.',
    google: { run: RUN_401, iap: IAP_SIGNATURE, api: API_UNAUTHENTICATED },
    explanation: 'The token\'s {alg} signature does not verify with key {kid}: {reason}.',
    remedy:
      'Send the token unmodified, as minted. A token passed on by Cloud Run in X-Serverless-Authorization has its signature removed and cannot be forwarded: mint a new ID token for the next hop.',
  },
  KEY_UNKNOWN: {
    summary: 'The token names a signing key (kid) that the verifier does not know.',
    google: { run: RUN_401, iap: IAP_SIGNATURE, api: API_UNAUTHENTICATED },
    explanation:
      'The token was signed with key {kid}, which {keySource} does not publish. It was minted by another issuer than the one that verifies it (real Google vs. authplane, or an authplane whose keys were reset), or its key was retired longer ago than tokens live.',
    remedy:
      'Mint the token where it will be verified: against authplane, point the client at authplane (GCE_METADATA_HOST for the metadata server, the IAM Credentials endpoint option for impersonation); against Google, use Google\'s endpoints. Do not keep tokens across a key reset.',
  },
  ALG_NOT_ALLOWED: {
    summary: 'The token\'s algorithm is not on the allow-list (alg none, HS256, …).',
    google: { run: RUN_401, iap: IAP_SIGNATURE, api: API_UNAUTHENTICATED },
    explanation:
      'The token says alg {alg}; only {allowedAlgorithms} is accepted. Google signs ID tokens with RS256 and IAP assertions with ES256; unsigned (none) and HMAC (HS256) tokens are never accepted, since an HS256 token keyed with a public key is a classic forgery.',
    remedy: 'Use a token minted by Google (or authplane) rather than one signed yourself: ' + MINT_ID_TOKEN + '.',
  },
  ISSUER_UNTRUSTED: {
    summary: 'The token was issued by someone other than the accepted issuers.',
    google: { run: RUN_401, iap: { status: 401, message: 'Invalid IAP credentials: JWT issuer is invalid' }, api: API_UNAUTHENTICATED },
    explanation: 'The token was issued by {iss}; accepted issuers are {issuers}. Cloud Run\'s invoker check accepts only Google-signed ID tokens: tokens of other identity providers (Firebase, Identity Platform, Auth0, your own app) never pass it.',
    remedy:
      'Three ways out, depending on who should check this token. (1) The service checks its callers\' tokens itself (an ESP or API-gateway container, an app verifying Firebase or Identity Platform tokens): let Cloud Run admit everyone — `gcloud run services update SERVICE --no-invoker-iam-check` (invokerIamCheck: false), or bind allUsers to roles/run.invoker — and keep verifying the app token in the service. (2) The service must stay private to Google identities too: send a Google ID token for the service in X-Serverless-Authorization and keep the app\'s token in Authorization; Cloud Run checks only the former and passes the latter on untouched. (3) The caller should not be sending this token: mint a Google ID token instead — ' + MINT_ID_TOKEN + '.',
      hints: {
      'iap-assertion': {
        explanation: 'The token was issued by {iss}; IAP\'s signed header x-goog-iap-jwt-assertion is always issued by {issuers}, so this is not IAP\'s assertion: often the request\'s Authorization token was checked instead, or the request did not come through IAP.',
        remedy:
          'Verify the x-goog-iap-jwt-assertion header, which IAP adds to every request it lets through (audience /projects/NUMBER/global/backendServices/ID or /projects/NUMBER/apps/PROJECT_ID), and let requests reach the service only through IAP.',
      },
      'service-account-jwt': {
        explanation: 'The token was issued by {iss}; this check accepts only JWTs that {issuers} signed for itself (iss = sub = its email).',
        remedy: 'Sign the JWT as {issuers} (IAM Credentials signJwt for that account, or its key file), with iss = sub = its email. A Google ID token is verified with verifyGoogleIdToken instead.',
      },
    },
  },
  TOKEN_EXPIRED: {
    summary: 'The token\'s exp is in the past, beyond the clock-skew allowance.',
    google: { run: RUN_401, iap: { status: 401, message: 'Invalid IAP credentials: Expired JWT' }, api: API_UNAUTHENTICATED },
    explanation: 'The token expired at {expIso}, {expiredForSec} s ago (the allowance for clock skew is {clockSkewSec} s).',
    remedy:
      'Fetch a fresh token for each call, or reuse one only until 5 minutes before its exp (google-auth-library\'s IdTokenClient does this). ID tokens live one hour.',
  },
  TOKEN_NOT_YET_VALID: {
    summary: 'The token\'s iat (or nbf) is in the future, beyond the clock-skew allowance.',
    google: { run: RUN_401, iap: { status: 401, message: 'Invalid IAP credentials: JWT issued in the future' }, api: API_UNAUTHENTICATED },
    explanation: 'The token becomes valid at {validFromIso}, {earlyBySec} s from now (the allowance for clock skew is {clockSkewSec} s): the minting machine\'s clock runs ahead of this one.',
    remedy: 'Synchronise the clocks (NTP) of the machine that minted the token and the one that verifies it.',
  },
  AUDIENCE_MISMATCH: {
    summary: 'The token\'s aud is not one of the audiences this service accepts; the hint names the nearest accepted audience and the exact difference (path, path-missing, query, scheme, port, trailing-slash, case, another-service, custom-domain, functions-vs-run, iap-client-id-expected, missing, other).',
    google: {
      run: RUN_401,
      iap: {
        status: 401,
        message: "Invalid IAP credentials: JWT audience doesn't match this application ('aud' claim ({aud}) doesn't match expected value ({expectedAudience}))",
      },
      api: API_UNAUTHENTICATED,
    },
    explanation: 'The token\'s audience is {aud}; this service accepts {audiences}.',
    remedy: 'Mint the token with audience {expectedAudience}, or add {aud} to the service\'s custom audiences (`gcloud run services update SERVICE --add-custom-audiences={aud}`).',
    hints: {
      path: {
        explanation: 'The token\'s audience {aud} is the accepted audience {expectedAudience} plus the path {audiencePath}. Cloud Run compares the audience as a whole string; a path makes it a different audience.',
        remedy:
          'Set the audience to {expectedAudience}, without the path {audiencePath}. Cloud Tasks, Cloud Scheduler and Pub/Sub push default oidcToken.audience to the full URL (the task URL, the job\'s uri, the push endpoint) and Apigee\'s useTargetUrl appends the request path: set the audience explicitly (oidcToken.audience, or a literal <Audience>).',
      },
      'path-missing': {
        explanation: 'The token\'s audience {aud} lacks the path {audiencePath} of the accepted audience {expectedAudience}: a function\'s URL (https://REGION-PROJECT.cloudfunctions.net/FUNCTION) is its audience whole, path included.',
        remedy: 'Set the audience to the whole URL {expectedAudience}.',
      },
      query: {
        explanation: 'The token\'s audience {aud} differs from the accepted audience {expectedAudience} by its query {audiencePath}; audiences are compared as whole strings.',
        remedy: 'Set the audience to {expectedAudience}, without the query (Apigee\'s useTargetUrl drops it; a hand-built audience must too).',
      },
      scheme: {
        explanation: 'The token\'s audience {aud} names the host of {expectedAudience} without its https:// scheme (or with another one); an audience is a whole URL, compared as a string.',
        remedy: 'Set the audience to {expectedAudience}: the full https:// URL, not a host name or host:port.',
      },
      port: {
        explanation: 'The token\'s audience {aud} carries an explicit port that the accepted audience {expectedAudience} does not (or the other way round); audiences are compared as strings, so :443 makes a difference.',
        remedy: 'Set the audience to exactly {expectedAudience}.',
      },
      'trailing-slash': {
        explanation: 'The token\'s audience {aud} differs from the accepted audience {expectedAudience} only by a trailing slash, which is tolerated only for a service\'s root URL.',
        remedy: 'Set the audience to exactly {expectedAudience}.',
      },
      case: {
        explanation: 'The token\'s audience {aud} differs from the accepted audience {expectedAudience} only in upper and lower case; audiences are compared exactly.',
        remedy: 'Set the audience to exactly {expectedAudience}.',
      },
      'another-service': {
        explanation: 'The token\'s audience {aud} belongs to {audienceOwner}, not to this service ({audiences}). Typically the target URL comes from a variable that holds another service\'s URL.',
        remedy: 'Mint the token for the service you call: audience {expectedAudience}. Check the environment variable or configuration that supplies the target URL.',
      },
      'custom-domain': {
        explanation: 'The token\'s audience {aud} is this service\'s custom domain (a domain mapping or a load balancer host). Requests to it reach the service, but Cloud Run accepts it as an audience only when it is one of the service\'s custom audiences.',
        remedy:
          'Either add {aud} to the service\'s custom audiences (`gcloud run services update SERVICE --add-custom-audiences={aud}`; customAudiences in authplane.yaml), or mint the token for {expectedAudience}.',
      },
      'functions-vs-run': {
        explanation: 'The token\'s audience {aud} is in the other URL family (cloudfunctions.net vs run.app) than this service accepts ({audiences}).',
        remedy: 'Use the URL you call as the audience: {expectedAudience}. Calls to a cloudfunctions.net URL use that whole URL (path included); calls to a run.app URL use its origin.',
      },
      'iap-client-id-expected': {
        explanation: 'IAP expects the OAuth client ID of the IAP resource (or its custom audience) as the audience; the token\'s audience {aud} is an application URL.',
        remedy: 'Mint the ID token with audience {expectedAudience} and includeEmail: true.',
      },
      missing: {
        explanation: 'The token carries no aud claim; this service accepts {audiences}.',
        remedy: 'Mint the token with audience {expectedAudience}.',
      },
    },
  },
  EMAIL_CLAIM_MISSING: {
    summary: 'The token has no string email claim where one is required (IAP).',
    google: { run: RUN_401, iap: { status: 401, message: "Invalid IAP credentials: JWT 'email' claim isn't a string" }, api: API_UNAUTHENTICATED },
    explanation: 'The token carries no email claim (email: {emailClaim}); IAP identifies callers by email. Tokens minted without includeEmail (Apigee\'s <IncludeEmail> defaults to false) carry only sub.',
    remedy:
      'Mint the token with the email claim, as your caller\'s way of minting allows: IAM Credentials generateIdToken with includeEmail: true; on Compute Engine or GKE, the metadata server\'s identity endpoint with format=full (its default, format=standard, has no email; on Cloud Run and Cloud Functions it always has one); `gcloud auth print-identity-token --include-email` for a service account; <IncludeEmail>true</IncludeEmail> in Apigee.',
  },
  MULTIPLE_CREDENTIALS: {
    summary: 'The request carried more than one authorization header, or more than one token in one header.',
    google: { run: RUN_401, iap: IAP_PARSE, api: API_UNAUTHENTICATED },
    explanation: 'The request carried {credentialCount} credentials in {header}; Cloud Run refuses more than one authorization header or more than one JWT in a header.',
    remedy: 'Send exactly one ID token: one Authorization header, or the ID token in X-Serverless-Authorization so that Authorization passes to your code untouched.',
  },
  PERMISSION_DENIED: {
    summary: 'The caller is authenticated but lacks the permission (run.routes.invoke, IAP access, …).',
    google: { run: RUN_403, iap: IAP_DENIED, api: API_PERMISSION },
    explanation: '{principal} does not hold {permission} on {resource}.',
    remedy: 'Grant {role} on {resource} to {member}: `{grantCommand}` (in authplane: `authplane iam add {resource} {role} {member}`).',
  },
  IAM_NOT_YET_PROPAGATED: {
    summary: 'A binding that grants the permission exists but is not yet visible to this front end (IAM propagation).',
    google: { run: RUN_403, iap: IAP_DENIED, api: API_PERMISSION },
    explanation:
      '{member} was granted {role} on {resource} at {grantedAt}, but the change is not yet visible here; it becomes visible at {visibleAt}. IAM changes typically propagate in 2 minutes and may take 7 or more, and front ends see them at different times.',
    remedy: 'Wait and retry (Cloud Tasks\' retries recover such attempts); grant roles before sending traffic. In authplane, iam.propagation sets the delay.',
  },
  INGRESS_BLOCKED: {
    summary: 'The service\'s ingress setting does not admit traffic from where the request came from (404, not logged by Google).',
    google: { run: { status: 404, message: 'Page not found', rpcStatus: 'NOT_FOUND' } },
    explanation: 'The service\'s ingress is {ingress}; this request came from {source}, which counts as external traffic, so Cloud Run answers 404 and logs nothing.',
    remedy:
      'Call the service from an internal source: Cloud Tasks, Cloud Scheduler, Pub/Sub or Workflows of the same project; a caller inside the project\'s VPC (vpc.cidrs, a gateway declared insideVpc); or, for a caller that is itself a Cloud Run service or a workload, with VPC egress that routes all traffic (vpcEgress: all-traffic; on Google `gcloud run services update CALLER --vpc-egress=all-traffic` with Direct VPC egress or a connector — private-ranges-only does not carry run.app traffic). Or admit outside traffic: `gcloud run services update SERVICE --ingress=all` (ingress: all).',
  },
  IMPERSONATION_DENIED: {
    summary: 'The caller may not mint tokens for the service account (iam.serviceAccounts.getOpenIdToken / getAccessToken / signJwt).',
    google: { api: IAM_API_PERMISSION },
    explanation: '{principal} may not act for {serviceAccount}: it lacks {permission} (held by roles/iam.serviceAccountTokenCreator) on it.',
    remedy:
      'Grant roles/iam.serviceAccountTokenCreator on serviceAccounts/{serviceAccount} to {member}: `gcloud iam service-accounts add-iam-policy-binding {serviceAccount} --member={member} --role=roles/iam.serviceAccountTokenCreator`. With delegates, each account in the chain needs it on the next.',
  },
  ACT_AS_DENIED: {
    summary: 'The caller may not run work as the service account (iam.serviceAccounts.actAs), e.g. when creating a task.',
    google: {
      api: {
        status: 403,
        message: 'The principal (user or service account) lacks IAM permission "iam.serviceAccounts.actAs" for the resource "{serviceAccount}" (or the resource may not exist).',
        rpcStatus: 'PERMISSION_DENIED',
        errorInfo: { reason: 'IAM_PERMISSION_DENIED', domain: 'iam.googleapis.com' },
      },
    },
    explanation: '{principal} asked for work to run as {serviceAccount} but does not hold iam.serviceAccounts.actAs on it.',
    remedy: 'Grant roles/iam.serviceAccountUser on serviceAccounts/{serviceAccount} to {member}: `gcloud iam service-accounts add-iam-policy-binding {serviceAccount} --member={member} --role=roles/iam.serviceAccountUser`.',
  },
  SERVICE_ACCOUNT_UNKNOWN: {
    summary: 'The named service account does not exist (Google answers 403 PERMISSION_DENIED to a caller who could not use it anyway).',
    google: { api: { status: 404, message: 'Not found; Gaia id not found for email {serviceAccount}', rpcStatus: 'NOT_FOUND' } },
    explanation: 'No service account {serviceAccount} exists in this project. (An account of another project counts as unknown here: a task\'s, job\'s or push subscription\'s account must be in the project of the queue, job or subscription.)',
    remedy: 'Check the email (NAME@PROJECT_ID.iam.gserviceaccount.com, with this project\'s ID), or declare the account under serviceAccounts: in authplane.yaml.',
  },
  SELF_SIGNED_JWT: {
    summary: 'A JWT signed by a service account\'s own key (signJwt, a key file), not by Google: never a Google ID token, whatever its claims say.',
    google: { run: RUN_401, iap: IAP_SIGNATURE, api: API_UNAUTHENTICATED },
    explanation:
      'The token is a JWT of the service account {signer} (its issuer, or its key id {kid}, is that account\'s), the kind signJwt and service-account key files make, not one of Google\'s ID tokens. Such a JWT carries whatever claims its maker wrote (here iss {iss}, email {email}); Google accepts only ID tokens it signed itself, and publishes service-account keys only at googleapis.com/service_accounts/v1/jwk/{signer}.',
    remedy:
      'Ask Google for an ID token instead: generateIdToken for {signer} (iamcredentials …/serviceAccounts/{signer}:generateIdToken), the metadata server\'s …/service-accounts/default/identity?audience=…, or with a key file the JWT-bearer grant with target_audience (google-auth-library\'s getIdTokenClient does it). Behind IAP only, a service account may send a JWT it signed for itself in the documented form: iss = sub = its own email, aud = the resource URL, exp ≤ iat + 1 h.',
    hints: {
      'another-service-account': {
        explanation: 'The token is a JWT of the service account {signer} (its issuer, or its key id {kid}, is that account\'s); this check accepts only JWTs that {issuers} signed for itself.',
        remedy: 'Sign the JWT as {issuers} (IAM Credentials signJwt for that account, or its key file), or verify {signer}\'s JWTs with a check of their own if that account is to be trusted too.',
      },
    },
  },
  INVALID_ARGUMENT: {
    summary: 'A request field is missing, malformed or out of range; Google\'s message names the field.',
    google: {
      api: apiAnswer(400, 'INVALID_ARGUMENT'),
      metadata: { status: 400, message: '{message}' },
      oauth: { status: 400, message: '{message}', oauthError: 'invalid_request' },
    },
    explanation: 'Google refuses the request because of {field}: {message}',
    remedy: 'Correct {field}. REST bodies are proto3 JSON: lowerCamelCase field names, no unknown fields, durations as strings such as "10s", timestamps in RFC 3339, bytes in base64, 64-bit integers as strings.',
  },
  SCOPE_INVALID: {
    summary: 'An access token was asked for a scope that is no OAuth scope (often a service URL: an audience passed as a scope).',
    google: { api: apiAnswer(400, 'INVALID_ARGUMENT'), oauth: { status: 400, message: '{message}', oauthError: 'invalid_scope' } },
    explanation: '{scope} is not an OAuth scope. Scopes name the Google APIs an access token may call (https://www.googleapis.com/auth/cloud-platform, openid, email…); a service URL is an audience, which belongs in an ID token.',
    remedy: 'Ask for scopes such as https://www.googleapis.com/auth/cloud-platform. To call a Cloud Run service or IAP, mint an ID token instead: generateIdToken with audience {scope} (gcloud auth print-identity-token --audiences={scope}).',
  },
  RESOURCE_NOT_FOUND: {
    summary: 'The named resource (queue, task, service, service account, key, project, location) does not exist.',
    google: { api: apiAnswer(404, 'NOT_FOUND'), metadata: { status: 404, message: '{message}' } },
    explanation: '{resource} does not exist here.',
    remedy: 'Check the name {resource} (the project ID or number, the location, the spelling); list the collection to see what exists, or declare the resource in authplane.yaml.',
  },
  ALREADY_EXISTS: {
    summary: 'A resource with this name exists, or existed too recently to reuse the name.',
    google: { api: apiAnswer(409, 'ALREADY_EXISTS') },
    explanation: '{resource} already exists, or existed recently: Google keeps a task\'s name reserved for about an hour after the task is gone.',
    remedy: 'Use another name, or leave the name out and let the API choose one.',
  },
  FAILED_PRECONDITION: {
    summary: 'The request is well-formed but the resource is not in a state that allows it.',
    google: { api: apiAnswer(400, 'FAILED_PRECONDITION') },
    explanation: '{message}',
    remedy: '{fix}',
  },
  POLICY_ETAG_CONFLICT: {
    summary: 'setIamPolicy carried a stale etag: the policy changed since it was read.',
    google: { api: { status: 409, message: 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.', rpcStatus: 'ABORTED' } },
    explanation: 'The policy of {resource} changed after it was read: the etag sent ({etag}) is no longer the current one.',
    remedy: 'Read the policy again (getIamPolicy), apply your change to what it returns, and set it with the new etag; gcloud add-iam-policy-binding does this read-modify-write for you.',
  },
  NOT_SUPPORTED: {
    summary: 'A Google feature authplane does not emulate (e.g. App Engine targets).',
    // UNIMPLEMENTED (gRPC, and the JSON body's status), over HTTP 400 rather than its usual 501: Google has
    // these methods, so a client must stop and show the fix, and gcloud's apitools retries every 5xx five
    // times with backoff (apitools/base/py/http_wrapper.py CheckResponse), half a minute before it prints it.
    google: { api: apiAnswer(400, 'UNIMPLEMENTED') },
    explanation: '{message}',
    remedy: '{fix}',
  },
  ACCESS_TOKEN_INVALID: {
    summary: 'An API call carried a credential that is not a valid, unexpired OAuth access token of this emulator.',
    google: { api: API_UNAUTHENTICATED, oauth: { status: 400, message: 'Invalid Value', oauthError: 'invalid_token' } },
    explanation: 'The API call\'s Authorization header does not hold a valid access token: {reason}.',
    remedy:
      'Send `Authorization: Bearer ACCESS_TOKEN` with an access token minted by this authplane (the metadata server\'s …/token, generateAccessToken, a key file\'s token_uri, or `gcloud auth print-access-token` under `authplane gcloud`), or send none to act as the default principal (when one is configured). ID tokens authenticate calls to your services, not to Google APIs.',
  },
  CROSS_ORIGIN_REFUSED: {
    summary: 'A state-changing request came from a web page of another origin, or in a form a web page can send without asking (CSRF).',
    google: { api: { status: 403, message: 'Cross-origin request refused: {reason}', rpcStatus: 'PERMISSION_DENIED' } },
    explanation:
      'authplane refused {method} {path}: {reason}. A web page on another site could otherwise change IAM or mint tokens through your browser, acting as the default principal.',
    remedy:
      'Send state-changing API calls from a program, not a web page: with `content-type: application/json` (every Google client does) or an Authorization header. Browser pages may call the API only from authplane\'s own origin ({origin}).',
  },
  REQUEST_TOO_LARGE: {
    summary: 'The request body, or a gRPC request message, exceeds the limit (Google Front End answers 413; gRPC RESOURCE_EXHAUSTED).',
    google: { run: { status: 413, message: 'Your client issued a request that was too large.' }, api: { status: 413, message: 'Your client issued a request that was too large.', rpcStatus: 'RESOURCE_EXHAUSTED' } },
    explanation: 'The request body is {size} bytes or more; the limit is {limit} bytes.',
    remedy: 'Send a smaller body: Cloud Run accepts up to 32 MiB per HTTP/1 request, Google\'s APIs 32 MiB per request message; Cloud Tasks up to 1 MB per task.',
  },
  REQUEST_HEADERS_TOO_LARGE: {
    summary: 'The request line and headers exceed the limit (Google Front End answers 413).',
    google: { run: { status: 413, message: 'Your client issued a request that was too large.' }, api: { status: 413, message: 'Your client issued a request that was too large.', rpcStatus: 'RESOURCE_EXHAUSTED' } },
    explanation: 'The request line and headers exceed {limit} bytes, so the front end refused the request before reading on.',
    remedy:
      'Send a shorter URL or fewer and smaller headers; an oversized Cookie header is the usual cause (clear the cookies of the host). Google does not publish its limit; authplane accepts {limit} bytes of request line and headers.',
  },
  REQUEST_MALFORMED: {
    summary: 'The request is not well-formed HTTP/1.1 (Google Front End answers 400 before any service sees it).',
    google: {
      run: { status: 400, message: 'Your client has issued a malformed or illegal request.' },
      api: { status: 400, message: 'Your client has issued a malformed or illegal request.', rpcStatus: 'INVALID_ARGUMENT' },
      gateway: { status: 400, message: 'Your client has issued a malformed or illegal request.', errorcode: 'protocol.http.BadRequest' },
      metadata: { status: 400, message: 'Your client has issued a malformed or illegal request.' },
    },
    explanation: 'The front end could not read the request as HTTP/1.1 ({reason}), so it refused it before any service, check or log saw it.',
    remedy:
      'Send a well-formed HTTP/1.1 request: a standard method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS), a request target that starts with / and is percent-encoded, and header lines of the form `Name: value` without spaces in the name or control characters in the value.',
  },
  INTERNAL_ERROR: {
    summary: 'authplane failed while handling the request: a bug in authplane, not in the caller.',
    google: {
      run: { status: 500, message: 'Internal Server Error' },
      api: { status: 500, message: 'Internal error encountered.', rpcStatus: 'INTERNAL' },
      gateway: { status: 500, message: 'Internal error', errorcode: 'messaging.runtime.InternalError' },
      metadata: { status: 500, message: 'Internal error' },
    },
    explanation: 'authplane failed while handling request {requestId}: {reason}.',
    remedy: 'Retry; if it keeps failing, report it with the request id {requestId} (authplane\'s own output has the stack trace).',
  },
  METADATA_FLAVOR_MISSING: {
    summary: 'A metadata-server request lacked `Metadata-Flavor: Google`, or came through a proxy (X-Forwarded-For).',
    google: { metadata: { status: 403, message: '{message}' } },
    explanation: 'The metadata server answers only requests that carry `Metadata-Flavor: Google` and no X-Forwarded-For header ({reason}); this protects it from requests a workload is tricked into forwarding (SSRF).',
    remedy: 'Add the header `Metadata-Flavor: Google` (Google\'s client libraries send it); do not send metadata requests through a proxy.',
  },
  OAUTH_GRANT_INVALID: {
    summary: 'The OAuth token endpoint refused a grant (bad assertion, unknown account, bad signature, wrong lifetime, unknown refresh token).',
    google: { oauth: { status: 400, message: '{message}', oauthError: 'invalid_grant' }, api: { status: 400, message: '{message}', rpcStatus: 'INVALID_ARGUMENT' } },
    explanation: 'The token endpoint refused the grant: {reason}.',
    remedy: '{fix}',
  },
  OAUTH_GRANT_TYPE_UNSUPPORTED: {
    summary: 'The OAuth token endpoint was asked for a grant type it does not serve.',
    google: { oauth: { status: 400, message: 'Invalid grant_type: {grantType}', oauthError: 'unsupported_grant_type' }, api: { status: 400, message: 'Invalid grant_type: {grantType}', rpcStatus: 'INVALID_ARGUMENT' } },
    explanation: 'grant_type {grantType} is not one the token endpoint serves ({supported}).',
    remedy: 'Use one of {supported}: key files use urn:ietf:params:oauth:grant-type:jwt-bearer, gcloud\'s user credentials refresh_token.',
  },
  PROJECT_NOT_EMULATED: {
    summary: 'A resource name names a project this authplane does not emulate.',
    google: { api: { status: 403, message: 'Permission denied on resource project {project}.', rpcStatus: 'PERMISSION_DENIED', errorInfo: { reason: 'CONSUMER_INVALID', domain: 'googleapis.com' } } },
    explanation: 'authplane emulates project {emulated} (number {emulatedNumber}); {project} is not it. Google answers a project the caller cannot see with this 403.',
    remedy: 'Use projects/{emulated}/… (or the project number) in resource names, or set project.id in authplane.yaml to {project}.',
  },
  GATEWAY_NO_ROUTE: {
    summary: 'No route of the gateway matches the request path (Apigee: ApplicationNotFound).',
    google: { gateway: { status: 404, message: 'Unable to identify proxy for host: {gateway} and url: {path}', errorcode: 'messaging.adaptors.http.flow.ApplicationNotFound' } },
    explanation: 'No route of gateway {gateway} matches {path}.',
    remedy: 'Add a route whose path matches {path} (e.g. path: /{firstSegment}/**) under the gateway\'s routes in authplane.yaml.',
  },
  GATEWAY_EMPTY_AUDIENCE: {
    summary: 'A gateway route asks for a Google ID token with an empty audience (Apigee: googletoken.EmptyIDTokenAudience).',
    google: { gateway: { status: 500, message: 'Unable to generate Google ID token: the audience is empty', errorcode: 'googletoken.EmptyIDTokenAudience' } },
    explanation: 'Route {route} asks for a Google ID token with an empty audience.',
    remedy: 'Set googleIdToken.audience to the target service URL (https://SERVICE-NUMBER.REGION.run.app), or { useTargetUrl: true } for targets called at their root.',
  },
  GATEWAY_TOKEN_UNAVAILABLE: {
    summary: 'The gateway could not obtain a token for its own service account (Apigee: UNAVAILABLE: Credentials failed to obtain metadata).',
    google: { gateway: { status: 500, message: 'UNAVAILABLE: Credentials failed to obtain metadata', errorcode: 'googletoken.TokenGenerationFailure' } },
    explanation: 'Route {route}: the gateway could not obtain a token for its own service account: {reason}',
    remedy: 'Check that the gateway\'s service account exists and that its metadata server is running (authplane prints it at start).',
  },
  GATEWAY_CALLOUT_FAILED: {
    summary: 'The IAM Credentials call a gateway route makes to impersonate an account failed (Apigee: steps.servicecallout.ExecutionFailed).',
    google: { gateway: { status: 500, message: 'Execution of ServiceCallout GenerateToken failed. Reason: ResponseCode {calloutStatus} is treated as error', errorcode: 'steps.servicecallout.ExecutionFailed' } },
    explanation: 'Route {route}: the IAM Credentials call that mints the impersonated token failed: {reason}',
    remedy: 'See the IAM Credentials answer: the gateway\'s service account must be allowed to mint tokens for the impersonated one (roles/iam.serviceAccountTokenCreator on it).',
  },
  GATEWAY_TARGET_UNAVAILABLE: {
    summary: 'The gateway could not reach its target, or the target did not answer in time (Apigee: ServiceUnavailable, GatewayTimeout).',
    google: { gateway: { status: 503, message: 'The Service is temporarily unavailable', errorcode: 'messaging.adaptors.http.flow.ServiceUnavailable' } },
    explanation: 'The target {target} could not be reached: {reason}',
    remedy: 'Check that the target service is running (for a Cloud Run service of this config, that its front door started and its upstream answers).',
  },
  GATEWAY_TARGET_TIMEOUT: {
    summary: 'The gateway\'s target did not answer within the target timeout (Apigee: GatewayTimeout).',
    google: { gateway: { status: 504, message: 'Gateway Timeout', errorcode: 'messaging.adaptors.http.flow.GatewayTimeout' } },
    explanation: 'The target {target} did not answer in time: {reason}',
    remedy: 'Make the target answer faster, or check that it is not stuck (Apigee\'s io.timeout.millis is 55 s).',
  },
  ACCESS_TOKEN_SCOPE_INSUFFICIENT: {
    summary: 'The access token was minted without a scope the API accepts (e.g. cloud-platform).',
    google: {
      api: {
        status: 403,
        message: 'Request had insufficient authentication scopes.',
        rpcStatus: 'PERMISSION_DENIED',
        errorInfo: { reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', domain: 'googleapis.com' },
      },
    },
    explanation: 'The access token carries the scopes {scopes}; {service} accepts only {acceptedScopes}.',
    remedy:
      'Mint the access token with https://www.googleapis.com/auth/cloud-platform (the metadata server\'s …/token?scopes=…, generateAccessToken\'s scope, a key file client\'s scopes, `gcloud auth print-access-token`): Google Cloud APIs all accept it, and IAM decides what the caller may do.',
  },
  SERVICE_UNAVAILABLE: {
    summary: 'The service could not be reached: its process does not listen, broke the connection, or did not become ready in time (Cloud Run: 503).',
    // Cloud Run's text, as its troubleshooting page quotes it (#malformed-response-or-connection-error).
    google: {
      run: {
        status: 503,
        message:
          'The request failed because either the HTTP response was malformed or connection to the instance had an error. Additional troubleshooting documentation can be found at: https://cloud.google.com/run/docs/troubleshooting#malformed-response-or-connection-error',
      },
    },
    explanation: 'The front door could not get an answer from the service: {reason}.',
    remedy:
      'Make the service listen on 127.0.0.1 at the port in its PORT variable and answer with well-formed HTTP; if authplane runs its command, its output (printed by authplane) says why it stopped — a restarting command gets 30 s to answer before requests are refused.',
  },
  REQUEST_TIMEOUT: {
    summary: 'The service did not answer within its request timeout (Cloud Run: 504; the request is cancelled).',
    google: { run: { status: 504, message: 'The request has been terminated because it has reached the maximum request timeout.' } },
    explanation: 'The service took longer than its request timeout ({timeout}) to answer {path}; Cloud Run answered 504 and cancelled the request to the container.',
    remedy:
      'Make the request finish sooner (do long work in the background: Cloud Tasks, Pub/Sub), or raise the timeout: `gcloud run services update SERVICE --timeout=SECONDS` (timeout: in authplane.yaml; at most 3600s). Pub/Sub push, Cloud Scheduler and Cloud Tasks apply their own deadlines too.',
  },
  CONCURRENT_CHANGE: {
    summary: 'A replace or update carried a stale version of the resource: it changed since it was read.',
    google: { api: { status: 409, message: '{message}', rpcStatus: 'ABORTED' } },
    explanation: '{resource} changed after it was read: the request was based on {sent}, and the resource is now at {current}.',
    remedy: 'Read the resource again and apply your change to what it returns (gcloud run services update does this read-modify-write for you; run it again).',
  },
  PROXY_TARGET_REFUSED: {
    summary: 'An HTTP forward-proxy request (absolute-form target or CONNECT) named a host authplane does not answer for.',
    google: { api: { status: 403, message: 'authplane answers forward-proxy requests only for Google API hosts and itself, not for {target}.', rpcStatus: 'PERMISSION_DENIED' } },
    explanation:
      'The API port received {method} {target} as a forward-proxy request. It answers such requests for *.googleapis.com hosts (also with gcloud\'s REGION- prefix, e.g. us-central1-run.googleapis.com) and for its own address (also REGION-prefixed, as gcloud derives it from an endpoint override) by serving them itself; it forwards nothing anywhere{why}.',
    remedy:
      'Send requests for other hosts directly, not through authplane. For an HTTPS Google API, point the client at authplane over http instead (gcloud: api_endpoint_overrides/API = {apiUrl}/, which `authplane gcloud` writes for iamcredentials, iam, run, cloudtasks, logging, cloudresourcemanager, cloudscheduler and pubsub).',
  },
} as const satisfies Record<string, CodeSpec>;

export type RefusalCode = keyof typeof REFUSAL_CODES;

export const REFUSAL_CODE_NAMES = Object.keys(REFUSAL_CODES) as RefusalCode[];

export function isRefusalCode(value: unknown): value is RefusalCode {
  return typeof value === 'string' && Object.hasOwn(REFUSAL_CODES, value);
}

/** tokeninfo's answer for any token it cannot verify (recorded: `{"error":"invalid_token","error_description":"Invalid Value"}`). */
const OAUTH_INVALID_TOKEN: GoogleAnswer = { status: 400, message: 'Invalid Value', oauthError: 'invalid_token' };

/**
 * Google's answer for `code` on `surface`. A surface without its own answer falls back: `library` → `run` →
 * `api`; `oauth` → tokeninfo's invalid_token for token refusals, else `api`; `metadata` and `gateway` → `api`
 * → `run`.
 */
export function googleAnswer(code: RefusalCode, surface: Surface): GoogleAnswer {
  const g: CodeSpec['google'] = REFUSAL_CODES[code].google;
  let answer: GoogleAnswer | undefined;
  if (surface === 'library') answer = g.run ?? g.api;
  else if (surface === 'oauth') answer = g.oauth ?? (g.run?.status === 401 ? OAUTH_INVALID_TOKEN : (g.api ?? g.run));
  else if (surface === 'run' || surface === 'iap') answer = g[surface] ?? g.run ?? g.api;
  else answer = g[surface] ?? g.api ?? g.run;
  if (!answer) throw new Error(`refusal code ${code} has no Google answer`);
  return answer;
}
