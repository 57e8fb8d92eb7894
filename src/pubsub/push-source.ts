// Pub/Sub push on the shared dispatch core (dispatch/dispatcher.ts): each push subscription is a lane; a
// claim leases due messages of it (the lease is the ack deadline — push's request timeout — plus a grace),
// within the subscription's slow-start concurrency; each attempt is a POST through the front doors with the
// push account's ID token; the outcome is an acknowledgement (102/200/201/202/204), a retry after the
// retryPolicy's backoff, or, after maxDeliveryAttempts, a forward to the dead-letter topic (REFERENCE §9).

import type { DispatchSource, LaneClaim, LaneStatus, Settled } from '../dispatch/dispatcher.js';
import type { AttemptOutcome, HttpAttemptRequest } from '../dispatch/http-attempt.js';
import type { AttemptPreview } from '../dispatch/attempt-preview.js';
import { failedPrecondition } from '../apis/errors.js';
import { serviceAccountResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { dueForDeadLetter, redeliveryDelayMs } from '../store/pubsub-rows.js';
import type { ClaimTerms, LeasedMessage, PushCompletion, SubscriptionRecord } from '../store/pubsub-store.js';
import { pushRedelivery } from './messages.js';
import { subscriptionName, topicName } from './names.js';
import type { SubscriptionNews } from './news.js';
import { PUBSUB_API } from './proto.js';
import { PUSH_ACK_STATUSES, pushRequest } from './push-request.js';

export interface PushItem {
  message: LeasedMessage;
  /** The subscription as the claim read it (its push config and policies govern this attempt). */
  subscription: SubscriptionRecord;
}

/** A push lease outlives the attempt's timeout by this much, so only a dead process's attempts come due again. */
const LEASE_GRACE_MS = 5_000;
/**
 * Slow start (REFERENCE §9, PS2): one message at a time at first, doubled on each success, halved on each
 * failure down to 1, "capped by quotas": authplane's cap per subscription and process.
 */
export const MAX_PUSH_CONCURRENCY = 300;

interface SlowStart {
  limit: number;
  inFlight: number;
}

export class PushSource implements DispatchSource<PushItem, PushCompletion> {
  readonly product = 'pubsub' as const;
  private readonly slowStart = new Map<string, SlowStart>();

  constructor(
    private readonly platform: Platform,
    private readonly news: SubscriptionNews,
  ) {}

  private get store() {
    return this.platform.store.pubsub;
  }

  private get project() {
    return this.platform.config.project;
  }

  /** A subscription's current concurrency window (the dashboard and tests read it). */
  concurrency(subscription: string): SlowStart {
    let s = this.slowStart.get(subscription);
    if (!s) this.slowStart.set(subscription, (s = { limit: 1, inFlight: 0 }));
    return s;
  }

  async lanes(): Promise<LaneStatus[]> {
    return (await this.store.listSubscriptions()).map((s) => ({ id: s.id, running: s.pushConfig !== null && !s.detached }));
  }

  private terms = (s: SubscriptionRecord): ClaimTerms | null =>
    s.pushConfig === null ? null : { leaseMs: s.ackDeadlineSeconds * 1000 + LEASE_GRACE_MS, redelivery: pushRedelivery(s, this.platform.config.pubsub) };

  async claim(lane: string, now: number, max: number): Promise<LaneClaim<PushItem>> {
    const window = this.concurrency(lane);
    const room = Math.min(max, window.limit - window.inFlight);
    if (room <= 0) return { running: true, items: [], saturated: true, wakeAt: null };
    const d = await this.store.claim(lane, now, room, this.terms, { project: this.project.id }, false);
    if (!d || d.subscription.pushConfig === null || d.subscription.detached) return { running: false, items: [], saturated: false, wakeAt: null };
    for (const s of d.deadLettered.subscriptions) this.news.notify(s);
    window.inFlight += d.messages.length;
    const moreDue = d.wakeAt !== null && d.wakeAt <= now;
    return {
      running: true,
      items: d.messages.map((message) => ({ message, subscription: d.subscription })),
      saturated: moreDue && d.messages.length === room && room < max,
      wakeAt: d.wakeAt,
    };
  }

  laneOf(item: PushItem): string {
    return item.subscription.id;
  }

  request(item: PushItem): HttpAttemptRequest {
    const s = item.subscription;
    const pc = s.pushConfig!;
    const { headers, body } = pushRequest(item.message, s, pc, this.project.id);
    const out: HttpAttemptRequest = {
      url: pc.pushEndpoint,
      method: 'POST',
      headers,
      body,
      // "For push delivery, this value is also used to set the request timeout" (pubsub.proto ackDeadlineSeconds).
      deadlineMs: s.ackDeadlineSeconds * 1000,
      interimAnswers: [102],
    };
    const oidc = pc.oidcToken;
    if (oidc) {
      const refusal = this.serviceAgentRefusal(oidc.serviceAccountEmail);
      // The audience defaults to the push endpoint, path included (pubsub.proto OidcToken.audience).
      if (refusal === undefined) out.token = { kind: 'oidc', serviceAccountEmail: oidc.serviceAccountEmail, audience: oidc.audience || pc.pushEndpoint };
      else out.withoutToken = refusal;
    }
    return out;
  }

  /** What push subscription `id`'s next delivery would send (`explain --subscription`), for an empty message. */
  async preview(id: string): Promise<AttemptPreview | undefined> {
    const s = await this.store.getSubscription(id);
    if (!s) return undefined;
    const resource = subscriptionName(this.project.id, s.id);
    if (s.pushConfig === null) throw failedPrecondition(`${resource} is a pull subscription: Pub/Sub pushes nothing to explain.`, 'Give it a pushConfig (gcloud pubsub subscriptions modify-push-config SUB --push-endpoint=URL --push-auth-service-account=EMAIL), or explain the push subscription.');
    const now = this.platform.clock();
    const message = { seq: 0, subscription: s.id, messageId: '0', publishTime: now, data: '', attributes: {}, orderingKey: '', attempts: 1, leaseId: 'preview', ackDeadline: null, nextAt: now, firstAttemptAt: now, dueAt: now };
    return { caller: 'Pub/Sub push', resource, request: this.request({ message, subscription: s }) };
  }

  /**
   * The pre-2021 rule (project.pubsubServiceAgentNeedsTokenCreator): the Pub/Sub service agent must hold
   * roles/iam.serviceAccountTokenCreator to mint the push account's token (REFERENCE §9, PS8/PS10). Without
   * it no token can be attached, and the delivery goes out unauthenticated, as the refusal then shows.
   */
  private serviceAgentRefusal(email: string): string | undefined {
    if (!this.project.pubsubServiceAgentNeedsTokenCreator) return undefined;
    const agent = this.platform.identity.pubsubServiceAgent;
    const decision = this.platform.iam.check(`serviceAccount:${agent}`, 'iam.serviceAccounts.getOpenIdToken', serviceAccountResource(email));
    if (decision.allowed) return undefined;
    return (
      `no token attached: the Pub/Sub service agent ${agent} lacks iam.serviceAccounts.getOpenIdToken on ${email} ` +
      `(project.pubsubServiceAgentNeedsTokenCreator: projects that enabled Pub/Sub before April 8, 2021 must grant it roles/iam.serviceAccountTokenCreator). ` +
      `Fix: authplane iam add serviceAccounts/${email} roles/iam.serviceAccountTokenCreator serviceAccount:${agent}`
    );
  }

  settle(item: PushItem, o: AttemptOutcome): Settled<PushCompletion> {
    const s = item.subscription;
    const m = item.message;
    const now = o.responseTime ?? this.platform.clock();
    const acked = o.httpStatus !== null && PUSH_ACK_STATUSES.includes(o.httpStatus);
    const window = this.concurrency(s.id);
    window.inFlight = Math.max(0, window.inFlight - 1);
    window.limit = acked ? Math.min(MAX_PUSH_CONCURRENCY, window.limit * 2) : Math.max(1, Math.floor(window.limit / 2));
    const pc = s.pushConfig!;
    const base = { seq: m.seq, leaseId: m.leaseId, subscription: s.id };
    const describe = {
      api: PUBSUB_API,
      method: 'POST',
      url: pc.pushEndpoint,
      ...(pc.oidcToken ? { principal: `serviceAccount:${pc.oidcToken.serviceAccountEmail}` } : {}),
      resource: subscriptionName(this.project.id, s.id),
      messageId: m.messageId,
      attempt: m.attempts,
      target: `POST ${pc.pushEndpoint}`,
      scheduleTime: new Date(m.dueAt).toISOString(),
    };
    if (acked) return { completion: { ...base, outcome: 'acked', nextAt: now }, describe };
    if (dueForDeadLetter(s, m.attempts) && s.deadLetter) {
      return {
        completion: { ...base, outcome: 'dead-letter', nextAt: now },
        describe: { ...describe, retryReason: `deadLetterPolicy: ${m.attempts} delivery attempts reached maxDeliveryAttempts (${s.deadLetter.maxDeliveryAttempts}): forwarded to ${topicName(this.project.id, s.deadLetter.topic)}` },
      };
    }
    const policy = pushRedelivery(s, this.platform.config.pubsub);
    const delay = redeliveryDelayMs(policy, m.attempts);
    const nextAt = now + delay;
    const why = s.retryPolicy
      ? `retryPolicy: ${delay / 1000}s after failed delivery ${m.attempts} (minimumBackoff ${policy.minBackoffMs / 1000}s × ${policy.multiplier}^${m.attempts - 1}, at most maximumBackoff ${policy.maxBackoffMs / 1000}s)`
      : `no retryPolicy: authplane's push backoff (pubsub.defaultPushBackoff) waits ${delay / 1000}s after failed delivery ${m.attempts}`;
    return {
      completion: { ...base, outcome: 'retry', nextAt },
      wake: { lane: s.id, at: nextAt },
      describe: { ...describe, retryTime: new Date(nextAt).toISOString(), retryReason: why },
    };
  }

  async complete(batch: PushCompletion[]): Promise<void> {
    const forwarded = await this.store.completePush(batch, this.platform.clock(), { project: this.project.id });
    for (const s of forwarded) this.news.notify(s);
  }

  async releaseOrphanedLeases(now: number): Promise<number> {
    return (await this.store.releaseOrphanedPushLeases?.(now)) ?? 0;
  }

  /** Retention and expiration for every subscription (pull ones too): one sweep per process. */
  async sweep(now: number): Promise<void> {
    for (const s of await this.store.sweep(now)) this.news.changed(s);
    for (const s of await this.store.dueSubscriptions(now)) this.news.notify(s);
  }
}
