// node:http: `const auth = nodeGoogleAuth({ audience }); http.createServer(async (req, res) => {
//   const id = await auth(req, res); if (!id) return; … id.principal … })`.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeaderGetter } from '../credential.js';
import { authenticator, IDENTITY_KEY, type AuthOptions, type AuthplaneIdentity } from './authenticate.js';

/** Reads headers keeping repeats: Node drops a second `Authorization` from `req.headers`, not from `headersDistinct`. */
export function nodeHeaders(req: IncomingMessage): HeaderGetter {
  const distinct = req.headersDistinct as Record<string, string[] | undefined> | undefined;
  return distinct ? (name) => distinct[name] : (name) => req.headers[name];
}

export function requestPath(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Resolves to the caller's identity (also set as `req.authplane`), or answers the refusal Google-style
 * (status, body, `x-authplane-denial`) and resolves to undefined. Rejects only when keys cannot be fetched.
 */
export function nodeGoogleAuth(options: AuthOptions): (req: IncomingMessage, res: ServerResponse) => Promise<AuthplaneIdentity | undefined> {
  const auth = authenticator(options);
  return async (req, res) => {
    const outcome = await auth(nodeHeaders(req), requestPath(req.url));
    if (outcome.ok) {
      (req as IncomingMessage & { [IDENTITY_KEY]?: AuthplaneIdentity })[IDENTITY_KEY] = outcome.identity;
      return outcome.identity;
    }
    const { status, headers, body } = outcome.response;
    res.writeHead(status, headers).end(body);
    return undefined;
  };
}
