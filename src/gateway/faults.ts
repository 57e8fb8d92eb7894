// Gateway refusals: Denials on the `gateway` surface, so they answer in Apigee's shape
//   {"fault":{"faultstring":"…","detail":{"errorcode":"googletoken.EmptyIDTokenAudience"}}}
// (verify/response.ts) with the code, explanation and remedy of the one table (verify/codes.ts).

import type { RefusalCode } from '../verify/codes.js';
import { deny, type Denial } from '../verify/denial.js';

export const faults = {
  noRoute: (gateway: string, path: string): Denial => deny('GATEWAY_NO_ROUTE', 'gateway', { gateway, path, firstSegment: path.split('/')[1] ?? '' }),
  emptyAudience: (route: string): Denial => deny('GATEWAY_EMPTY_AUDIENCE', 'gateway', { route }),
  tokenUnavailable: (route: string, reason: string): Denial => deny('GATEWAY_TOKEN_UNAVAILABLE', 'gateway', { route, reason }),
  /** The callout's own refusal code (IMPERSONATION_DENIED, …) is the code; Apigee's callout fault is the answer. */
  calloutFailed: (route: string, status: number, reason: string, impersonated: string, gatewayAccount: string, cause?: RefusalCode): Denial =>
    deny(cause ?? 'GATEWAY_CALLOUT_FAILED', 'gateway', { route, calloutStatus: status, reason, serviceAccount: impersonated, member: `serviceAccount:${gatewayAccount}`, principal: gatewayAccount }, { answerAs: 'GATEWAY_CALLOUT_FAILED' }),
  unavailable: (target: string, reason: string): Denial => deny('GATEWAY_TARGET_UNAVAILABLE', 'gateway', { target, reason }),
  timedOut: (target: string, reason: string): Denial => deny('GATEWAY_TARGET_TIMEOUT', 'gateway', { target, reason }),
};
