// Reading the Cookie header and writing Set-Cookie, with the attributes IAP's cookies always carry:
// HttpOnly (scripts cannot read the credential), SameSite=Lax (sent on top-level navigations back
// from the sign-in page, not on cross-site subrequests), Path=/, and Secure when served over https.

export interface CookieOptions {
  maxAgeSec: number;
  secure: boolean;
}

/** name → value of a Cookie header (the first value wins for repeated names, as browsers send the most specific first). */
export function parseCookies(header: string | string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** The Cookie header without the named cookies (undefined when nothing is left). */
export function withoutCookies(header: string | string[] | undefined, drop: (name: string) => boolean): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  const kept = text
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '' && !drop(p.slice(0, Math.max(0, p.indexOf('='))).trim()));
  return kept.length ? kept.join('; ') : undefined;
}

export function setCookie(name: string, value: string, opts: CookieOptions): string {
  return `${name}=${value}; Path=/; Max-Age=${Math.max(0, Math.floor(opts.maxAgeSec))}; HttpOnly; SameSite=Lax${opts.secure ? '; Secure' : ''}`;
}

export function clearCookie(name: string, secure: boolean): string {
  return `${name}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
