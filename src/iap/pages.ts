// The HTML IAP and its sign-in pages show. Plain, server-rendered, no scripts (the one exception closes
// the session-refresh window); every value is escaped.

import type { UserConfig } from '../config/types.js';

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE =
  'body{font-family:Roboto,Arial,sans-serif;background:#f1f3f4;margin:0}main{max-width:420px;margin:48px auto;background:#fff;border:1px solid #dadce0;border-radius:8px;padding:32px}' +
  'h1{font-size:24px;font-weight:400;margin:0 0 8px}p{color:#3c4043}button,.account{display:block;width:100%;text-align:left;padding:12px;margin:8px 0;background:#fff;border:1px solid #dadce0;border-radius:4px;font-size:15px;cursor:pointer}' +
  '.primary{background:#1a73e8;color:#fff;text-align:center}.error{color:#d93025}.small{font-size:13px;color:#5f6368}input[type=password]{width:100%;padding:10px;font-size:15px;box-sizing:border-box}';

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>\n`;
}

/** Hidden inputs that carry the OAuth request from one sign-in step to the next. */
function hiddenFields(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
}

export function accountChooserPage(appName: string, users: readonly UserConfig[], fields: Record<string, string>, error?: string): string {
  const accounts = users.length
    ? users
        .map(
          (u) =>
            `<button class="account" type="submit" name="email" value="${escapeHtml(u.email)}">${escapeHtml(u.displayName ?? u.email)}<br><span class="small">${escapeHtml(u.email)}</span></button>`,
        )
        .join('')
    : '<p class="error">No users are configured. Add them under <code>users:</code> in authplane.yaml.</p>';
  return page(
    'Sign in - authplane Accounts',
    `<h1>Choose an account</h1><p>to continue to <b>${escapeHtml(appName)}</b></p>${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}` +
      `<form method="post" action="/iap/signin">${hiddenFields(fields)}${accounts}</form>`,
  );
}

export function passwordPage(appName: string, email: string, fields: Record<string, string>, error?: string): string {
  return page(
    'Sign in - authplane Accounts',
    `<h1>Welcome</h1><p>${escapeHtml(email)}</p><p>to continue to <b>${escapeHtml(appName)}</b></p>${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}` +
      `<form method="post" action="/iap/signin">${hiddenFields({ ...fields, email })}<label>Enter your password<input type="password" name="password" autofocus></label>` +
      `<button class="primary" type="submit">Next</button></form>`,
  );
}

export function consentPage(appName: string, clientId: string, email: string, pending: string): string {
  return page(
    'Sign in - authplane Accounts',
    `<h1>${escapeHtml(appName)} wants to access your account</h1><p class="small">${escapeHtml(email)}</p>` +
      `<p>This will allow <b>${escapeHtml(appName)}</b> (OAuth client <code>${escapeHtml(clientId)}</code>) to:</p>` +
      '<ul><li>Associate you with your personal info</li><li>See your primary email address</li></ul>' +
      `<form method="post" action="/iap/signin/consent">${hiddenFields({ pending })}` +
      '<button class="primary" type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny">Cancel</button></form>',
  );
}

/** Google's OAuth error page ("Error 400: redirect_uri_mismatch"). */
export function oauthErrorPage(error: string, detail: string): string {
  return page(`Error 400: ${error}`, `<h1>Access blocked: authorization error</h1><p><b>Error 400: ${escapeHtml(error)}</b></p><p>${escapeHtml(detail)}</p>`);
}

/** What a signed-in user without access sees (the body of IAP's 403). */
export function accessDeniedPage(message: string, email: string | undefined, signOutPath: string): string {
  return page(
    message,
    `<h1>${escapeHtml(message)}</h1><p>You don't have access to this page.</p>` +
      (email ? `<p class="small">Signed in as ${escapeHtml(email)}. <a href="${escapeHtml(signOutPath)}">Sign in with a different account</a></p>` : ''),
  );
}

export function signedOutPage(): string {
  return page('Signed out', '<h1>You have been signed out</h1><p><a href="/">Sign in again</a></p>');
}

export function sessionRefreshedPage(): string {
  return page('Session refreshed', '<h1>Session refreshed</h1><p>You can close this window.</p><script>window.close()</script>');
}

export function signinFailedPage(reason: string): string {
  return page('Sign-in failed', `<h1>Sign-in failed</h1><p>${escapeHtml(reason)}</p><p><a href="/">Try again</a></p>`);
}
