// Which strings are OAuth 2.0 scopes of Google APIs. Google mints access tokens only for scopes it knows:
// generateAccessToken with `scope: ["https://svc-123.us-central1.run.app"]` (an audience passed where a
// scope belongs) is a 400 INVALID_ARGUMENT "Request contains an invalid argument." (issue 12, case 2).
// authplane cannot hold Google's whole scope registry, so it accepts what the registry is made of
// ("OAuth 2.0 Scopes for Google APIs", https://developers.google.com/identity/protocols/oauth2/scopes):
// URLs under https://www.googleapis.com/auth/, the OpenID Connect scopes openid, email and profile, and the
// few older scope URLs on other Google hosts that the page still lists.

const GOOGLEAPIS_AUTH = /^https:\/\/www\.googleapis\.com\/auth\/[A-Za-z0-9][A-Za-z0-9._\-/]*$/;
const OPENID = new Set(['openid', 'email', 'profile']);
const OLDER_SCOPE_URLS = new Set([
  'https://mail.google.com/',
  'https://www.google.com/m8/feeds',
  'https://www.google.com/calendar/feeds',
  'https://spreadsheets.google.com/feeds',
  'https://docs.google.com/feeds',
  'https://sites.google.com/feeds',
]);

/** Whether `scope` is an OAuth scope Google would mint a token for (see the file header). */
export function isOAuthScope(scope: string): boolean {
  return OPENID.has(scope) || GOOGLEAPIS_AUTH.test(scope) || OLDER_SCOPE_URLS.has(scope);
}
