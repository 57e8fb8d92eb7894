// Hono: `app.use(honoGoogleAuth({ audience }))`; handlers read `c.get('authplane')`.
// Typed structurally (no dependency on hono's types). Fetch's Headers joins repeated headers with ", ",
// which the credential rules read as several credentials, as Cloud Run does.

import { authenticator, type AuthOptions, type AuthplaneIdentity } from './authenticate.js';

export interface HonoContextLike {
  req: { header(name: string): string | undefined; path: string };
  set(key: 'authplane', value: AuthplaneIdentity): void;
}

export function honoGoogleAuth(options: AuthOptions): (c: HonoContextLike, next: () => Promise<void>) => Promise<Response | void> {
  const auth = authenticator(options);
  return async (c, next) => {
    const outcome = await auth((name) => c.req.header(name), c.req.path);
    if (!outcome.ok) {
      const { status, headers, body } = outcome.response;
      return new Response(body, { status, headers });
    }
    c.set('authplane', outcome.identity);
    await next();
    return undefined;
  };
}
