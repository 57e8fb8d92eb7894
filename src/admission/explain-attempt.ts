// `explain --job|--subscription|--task`: the admission decision for the request one of Google's callers would
// send on its next attempt — built by the caller's own attempt code (dispatch/attempt-preview.ts), with the
// token minted as the attempt would mint it — so "why will my job get 401?" is answered before it runs.

import type { AttemptPreview } from '../dispatch/attempt-preview.js';
import type { DispatchTokens } from '../dispatch/tokens.js';
import { explainRequest, type ExplainDeps, type Finding } from './explain.js';

export interface AttemptFinding extends Finding {
  caller: string;
  resource: string;
  method: string;
  /** The token the attempt carries: its kind, account and audience or scope; null when it goes out without one. */
  token: { kind: 'oidc'; serviceAccountEmail: string; audience: string } | { kind: 'oauth'; serviceAccountEmail: string; scope: string } | null;
}

export async function explainAttempt(preview: AttemptPreview, deps: ExplainDeps & { tokens: DispatchTokens }): Promise<AttemptFinding> {
  const { request } = preview;
  let token = '';
  const notes: string[] = [];
  if (request.token) {
    const t = request.token;
    token = t.kind === 'oidc' ? await deps.tokens.idToken(t.serviceAccountEmail, t.audience) : await deps.tokens.accessToken(t.serviceAccountEmail, t.scope);
    notes.push(
      t.kind === 'oidc'
        ? `${preview.caller} sends an ID token for ${t.serviceAccountEmail} with audience ${t.audience}${t.audience === request.url ? ' (the target URL, as it defaults to when no audience is set)' : ''}.`
        : `${preview.caller} sends an OAuth access token for ${t.serviceAccountEmail} (scope ${t.scope}): Cloud Run accepts ID tokens only for services on run.app.`,
    );
  } else if (request.withoutToken) notes.push(`${preview.caller}: ${request.withoutToken}.`);
  else notes.push(`${preview.caller} sends no token: the target has no oidcToken or oauthToken.`);
  // Google's callers reach a service of the project as internal traffic (REFERENCE §1 ingress).
  const internal = deps.directory.resolve(request.url) !== undefined;
  const finding = await explainRequest({ token, url: request.url, method: request.method, header: 'authorization', internal }, deps);
  return { ...finding, notes: [...notes, ...finding.notes], caller: preview.caller, resource: preview.resource, method: request.method, token: request.token ?? null };
}
