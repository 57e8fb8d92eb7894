// Fastify: `app.decorateRequest('authplane', null); app.addHook('onRequest', fastifyGoogleAuth({ audience }))`;
// handlers read `request.authplane`. Typed structurally (no dependency on fastify's types).

import type { IncomingMessage } from 'node:http';
import { authenticator, type AuthOptions, type AuthplaneIdentity } from './authenticate.js';
import { nodeHeaders, requestPath } from './node.js';

export interface FastifyRequestLike {
  raw: IncomingMessage;
  url: string;
  authplane?: AuthplaneIdentity | null;
}

export interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(payload: string): FastifyReplyLike;
}

/** An `onRequest` / `preHandler` hook: sets `request.authplane`, or sends the refusal and stops the request. */
export function fastifyGoogleAuth(options: AuthOptions): (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<void> {
  const auth = authenticator(options);
  return async (request, reply) => {
    const outcome = await auth(nodeHeaders(request.raw), requestPath(request.url));
    if (outcome.ok) {
      request.authplane = outcome.identity;
      return;
    }
    const { status, headers, body } = outcome.response;
    reply.code(status).headers(headers).send(body);
  };
}
