// Gateway errors in Apigee's shape:
//   {"fault":{"faultstring":"…","detail":{"errorcode":"googletoken.EmptyIDTokenAudience"}}}
// with authplane's explanation alongside in x-authplane-* headers and the request log.

import type { ServerResponse } from 'node:http';

export interface GatewayFault {
  status: number;
  errorcode: string;
  faultstring: string;
  /** For people: what happened and what to change (request log, x-authplane-explanation). */
  explanation: string;
  remedy: string;
  /** authplane's refusal code, when the fault is one (sent as x-authplane-denial). */
  denial?: string;
}

export const faults = {
  noRoute: (gateway: string, path: string): GatewayFault => ({
    status: 404,
    errorcode: 'messaging.adaptors.http.flow.ApplicationNotFound',
    faultstring: `Unable to identify proxy for host: ${gateway} and url: ${path}`,
    explanation: `No route of gateway ${gateway} matches ${path}.`,
    remedy: `Add a route whose path matches ${path} (e.g. path: /${path.split('/')[1] ?? ''}/**) under gateways[${gateway}].routes.`,
  }),
  emptyAudience: (route: string): GatewayFault => ({
    status: 500,
    errorcode: 'googletoken.EmptyIDTokenAudience',
    faultstring: 'Unable to generate Google ID token: the audience is empty',
    explanation: `Route ${route} asks for a Google ID token with an empty audience.`,
    remedy: 'Set googleIdToken.audience to the target service URL (https://SERVICE-NUMBER.REGION.run.app), or { useTargetUrl: true } for targets called at their root.',
  }),
  tokenUnavailable: (route: string, reason: string): GatewayFault => ({
    status: 500,
    errorcode: 'googletoken.TokenGenerationFailure',
    faultstring: 'UNAVAILABLE: Credentials failed to obtain metadata',
    explanation: `Route ${route}: the gateway could not obtain a token for its own service account: ${reason}`,
    remedy: 'Check that the gateway\'s service account exists and that its metadata server is running (authplane prints it at start).',
  }),
  calloutFailed: (route: string, status: number, reason: string, denial?: string): GatewayFault => ({
    status: 500,
    errorcode: 'steps.servicecallout.ExecutionFailed',
    faultstring: `Execution of ServiceCallout GenerateToken failed. Reason: ResponseCode ${status} is treated as error`,
    explanation: `Route ${route}: the IAM Credentials call that mints the impersonated token failed: ${reason}`,
    remedy: denial === 'IMPERSONATION_DENIED'
      ? 'Grant roles/iam.serviceAccountTokenCreator on the impersonated service account to the gateway\'s service account.'
      : 'See the IAM Credentials answer above; the gateway\'s service account must be allowed to mint tokens for the impersonated one.',
    ...(denial ? { denial } : {}),
  }),
  unavailable: (target: string, reason: string): GatewayFault => ({
    status: 503,
    errorcode: 'messaging.adaptors.http.flow.ServiceUnavailable',
    faultstring: 'The Service is temporarily unavailable',
    explanation: `The target ${target} could not be reached: ${reason}`,
    remedy: 'Check that the target service is running (for a Cloud Run service of this config, that its front door started).',
  }),
};

export function sendFault(res: ServerResponse, fault: GatewayFault): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ fault: { faultstring: fault.faultstring, detail: { errorcode: fault.errorcode } } });
  res.writeHead(fault.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(fault.denial ? { 'x-authplane-denial': fault.denial } : {}),
  });
  res.end(body);
}
