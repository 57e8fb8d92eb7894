// Express (4 and 5): `app.use(expressGoogleAuth({ audience }))`; handlers read `req.authplane`.
// Typed structurally so that using authplane/verify does not require express's types.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticator, IDENTITY_KEY, type AuthOptions, type AuthplaneIdentity } from './authenticate.js';
import { nodeHeaders, requestPath } from './node.js';

export type ExpressMiddleware = (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: (err?: unknown) => void) => void;

export function expressGoogleAuth(options: AuthOptions): ExpressMiddleware {
  const auth = authenticator(options);
  return (req, res, next) => {
    auth(nodeHeaders(req), requestPath(req.originalUrl ?? req.url)).then((outcome) => {
      if (outcome.ok) {
        (req as IncomingMessage & { [IDENTITY_KEY]?: AuthplaneIdentity })[IDENTITY_KEY] = outcome.identity;
        next();
        return;
      }
      const { status, headers, body } = outcome.response;
      res.writeHead(status, headers).end(body);
    }, next);
  };
}
