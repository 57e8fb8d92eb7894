// A gate is a check that runs in a service's admission after ingress and before the Cloud Run invoker
// check. IAP is one: on Google, IAP for Cloud Run sits in the same request path and then calls the service
// as its own service agent. Products register gates (Product.gates); the admission decision runs them
// without knowing which product they come from.

import type { ServiceEntry } from '../services/directory.js';
import type { Denial } from '../verify/denial.js';
import type { AdmissionRequest } from './request.js';
import type { TokenChecks } from './tokens.js';

export interface GateRequest {
  service: ServiceEntry;
  request: AdmissionRequest;
  /** The request URL (path + query) as the client sent it. */
  url: URL;
  /** Whether the request counts as internal traffic (same-project VPC / Google services). */
  internal: boolean;
  /** The admission's token checks (the key ring's, or none offline): gates verify with these, never their own. */
  tokens: TokenChecks;
}

export type GateOutcome =
  | {
      kind: 'continue';
      /** Headers to set on the proxied request (after removing `removeHeaders`). */
      setHeaders?: Record<string, string>;
      /** Header names (lowercase) or prefixes ending in '*' (e.g. 'x-goog-*') to strip. */
      removeHeaders?: string[];
      /**
       * The credential the invoker check should verify instead of the client's: IAP calls
       * Cloud Run with its service agent's ID token in X-Serverless-Authorization.
       */
      invokerToken?: string;
      /** Who the gate authenticated (IAM member, for the log). */
      principal?: string;
    }
  | GateResponse;

/** The gate answers the request itself: a refusal (with its Denial), or its own page (IAP's 302 to sign-in). */
export interface GateResponse {
  kind: 'respond';
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
  /** Set when this is a refusal; its code travels in x-authplane-denial and the request log. */
  denial?: Denial;
}

export interface FrontDoorGate {
  readonly name: string;
  /** Whether this gate guards `service` (e.g. IAP enabled on it). */
  applies(service: ServiceEntry): boolean;
  handle(request: GateRequest): Promise<GateOutcome>;
}
