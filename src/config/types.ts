// The validated, fully defaulted shape of an authplane config. `load.ts` turns YAML into this;
// everything downstream reads only this type, never raw YAML.

export interface ProjectConfig {
  id: string;
  number: string;
  region: string;
  /**
   * The pre-2021 rule: the Pub/Sub service agent (service-NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com)
   * needs roles/iam.serviceAccountTokenCreator to mint push tokens. Google requires it only of projects that
   * enabled Pub/Sub on or before April 8, 2021 (REFERENCE §9, PS8/PS10). Default false.
   */
  pubsubServiceAgentNeedsTokenCreator: boolean;
}

export interface ServerConfig {
  host: string;
  /** 0 = any free port (printed at start). */
  apiPort: number;
  grpcPort: number;
  /**
   * Processes that serve the front doors (node:cluster workers sharing each front door's port); 1 = the one
   * authplane process serves them. The first process keeps everything else (docs/config.md).
   */
  workers: number;
}

export interface PropagationConfig {
  /** Milliseconds. */
  minMs: number;
  maxMs: number;
  /** How many independent front ends see a change at their own time. */
  frontEnds: number;
}

export interface BindingConfig {
  resource: string;
  role: string;
  members: string[];
}

export interface ServiceAccountConfig {
  name: string;
  displayName?: string;
}

export interface UserConfig {
  email: string;
  /** Optional password asked on the IAP sign-in page. */
  password?: string;
  displayName?: string;
}

export type Ingress = 'all' | 'internal' | 'internal-and-cloud-load-balancing';

export interface IapConfig {
  enabled: boolean;
  oauthClientId?: string;
  customAudiences: string[];
}

export interface ServiceConfig {
  name: string;
  port: number;
  upstream?: string;
  command?: string;
  cwd?: string;
  env: Record<string, string>;
  serviceAccount: string;
  metadataPort: number;
  ingress: Ingress;
  invokerIamCheck: boolean;
  customAudiences: string[];
  /** The service's own VPC egress: with all-traffic its calls to other services count as internal traffic. */
  vpcEgress?: VpcEgress;
  /** Custom domains (domain mappings, load balancer hosts) routed to this service; audiences only if also in customAudiences. */
  domains: string[];
  /** Declares a Cloud Functions (2nd gen) URL https://REGION-PROJECT.cloudfunctions.net/FUNCTION for it. */
  functionName?: string;
  /** Cloud Run's request timeout, ms: a request not answered in time gets 504 and the upstream request is cancelled. */
  timeout: number;
  /** Accept audiences that carry a request path (Google refuses them; see docs/behaviour.md). */
  allowAudiencePath: boolean;
  /** How long `authplane start` waits for a supervised `command` to answer on its PORT (ms, default 30 s). */
  startupTimeoutMs: number;
  iap: IapConfig;
}

export interface QueueConfig {
  name: string;
  rateLimits: { maxDispatchesPerSecond: number; maxConcurrentDispatches: number };
  retryConfig: {
    maxAttempts: number;
    maxRetryDurationMs: number;
    minBackoffMs: number;
    maxBackoffMs: number;
    maxDoublings: number;
  };
}

/** A Cloud Scheduler HTTP job declared in config (job.proto's Job, in YAML). */
export interface SchedulerJobConfig {
  /** The job ID. */
  name: string;
  description: string;
  /** unix-cron, five fields. */
  schedule: string;
  /** tz database name; '' = UTC. */
  timeZone: string;
  /** Created paused (the state is the user's after the first start). */
  paused: boolean;
  httpTarget: {
    uri: string;
    httpMethod: 'POST' | 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';
    headers: Record<string, string>;
    /** UTF-8 text sent as the body. */
    body?: string;
    oidcToken?: { serviceAccountEmail: string; audience?: string };
    oauthToken?: { serviceAccountEmail: string; scope?: string };
  };
  retryConfig: { retryCount: number; maxRetryDurationMs: number; minBackoffMs: number; maxBackoffMs: number; maxDoublings: number };
  attemptDeadlineMs: number;
}
/** Where a workload runs, which decides what its metadata server's identity tokens carry (docs/metadata.md). */
export type WorkloadEnvironment = 'cloud-run' | 'compute-engine' | 'gke';

export interface WorkloadConfig {
  name: string;
  serviceAccount: string;
  metadataPort: number;
  environment: WorkloadEnvironment;
  /** The workload's VPC egress: with all-traffic its calls to services count as internal traffic. */
  vpcEgress?: VpcEgress;
}

/** Cloud Run's VPC egress setting (absent = no VPC egress). */
export type VpcEgress = 'all-traffic' | 'private-ranges-only';

export interface GatewayAuthentication {
  googleIdToken?: { audience: string | { useTargetUrl: true }; includeEmail: boolean };
  googleAccessToken?: { scopes: string[] };
  /** Impersonate another service account through the IAM Credentials API instead of the gateway's own identity. */
  impersonate?: { serviceAccount: string; method: 'generateIdToken' | 'generateAccessToken'; includeEmail: boolean; audience?: string | { useTargetUrl: true } };
  headerName: string;
}

export interface GatewayRouteConfig {
  path: string;
  target: string;
  authentication?: GatewayAuthentication;
}

export interface GatewayConfig {
  name: string;
  port: number;
  serviceAccount: string;
  metadataPort: number;
  /** A gateway declared inside the VPC counts as internal traffic for ingress. */
  insideVpc: boolean;
  routes: GatewayRouteConfig[];
}

export interface TasksConfig {
  /** How long a task name stays reserved after the task is gone (Google: about 1 h). */
  nameReuseWindowMs: number;
  /** How long finished tasks' records are kept (Google: 31 days). */
  retentionMs: number;
}

export interface PubsubTopicConfig {
  name: string;
  labels: Record<string, string>;
  messageRetentionMs: number | null;
}

export interface PubsubSubscriptionConfig {
  name: string;
  /** The topic's ID. */
  topic: string;
  pushConfig?: {
    pushEndpoint: string;
    attributes: Record<string, string>;
    /** serviceAccountEmail is resolved to a full email. */
    oidcToken?: { serviceAccountEmail: string; audience: string };
    noWrapper?: { writeMetadata: boolean };
  };
  ackDeadlineSeconds: number;
  messageRetentionMs: number;
  /** null = never expires; default 31 days. */
  expirationTtlMs: number | null;
  retryPolicy?: { minimumBackoffMs: number; maximumBackoffMs: number };
  deadLetterPolicy?: { deadLetterTopic: string; maxDeliveryAttempts: number };
  labels: Record<string, string>;
}

export interface PubsubConfig {
  topics: PubsubTopicConfig[];
  subscriptions: PubsubSubscriptionConfig[];
  /** retryPolicy's growth per failed delivery: Google does not publish it; 2 (doubling) by default. */
  backoffMultiplier: number;
  /**
   * How a failing push endpoint is retried when the subscription has no retryPolicy: Google documents only
   * "as soon as possible" plus an unpublished push backoff; authplane backs off from min to max (unverified).
   */
  defaultPushBackoff: { minMs: number; maxMs: number };
}

export interface AuthplaneConfig {
  project: ProjectConfig;
  server: ServerConfig;
  /** Who an API call without credentials acts as; null = refuse such calls. */
  defaultPrincipal: string | null;
  iam: { propagation: PropagationConfig; bindings: BindingConfig[] };
  serviceAccounts: ServiceAccountConfig[];
  users: UserConfig[];
  services: ServiceConfig[];
  queues: QueueConfig[];
  schedulerJobs: SchedulerJobConfig[];
  workloads: WorkloadConfig[];
  gateways: GatewayConfig[];
  tasks: TasksConfig;
  pubsub: PubsubConfig;
  /** CIDRs whose callers count as inside the project's VPC (internal ingress). Empty = none. */
  vpc: { cidrs: string[] };
}
