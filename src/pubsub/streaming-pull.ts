// StreamingPull, the bidirectional stream behind @google-cloud/pubsub's `subscription.on('message')`
// (it opens 5 of them; its first request is {subscription, streamAckDeadlineSeconds, clientId,
// maxOutstandingMessages, maxOutstandingBytes, protocolVersion} — REFERENCE §9 PS17). The server sends
// due messages while the stream holds fewer than maxOutstandingMessages unacknowledged ones; the client
// acknowledges and extends deadlines on the stream or with unary calls (both count here).

import type * as grpc from '@grpc/grpc-js';
import { invalidArgument, notFound } from '../apis/errors.js';
import type { GrpcServer } from '../apis/grpc-server.js';
import type { Obj } from '../apis/proto.js';
import { requestLogFor } from '../observe/request-log.js';
import type { Platform } from '../platform.js';
import type { SubscriptionRecord } from '../store/pubsub-store.js';
import type { Denial } from '../verify/denial.js';
import { subscriptionName } from './names.js';
import type { SubscriptionNews } from './news.js';
import { PUBSUB_API, PUBSUB_DESCRIPTOR, SUBSCRIBER } from './proto.js';
import type { PubsubService } from './service.js';

const PATH = `/${SUBSCRIBER}/StreamingPull`;
/** Most messages in one StreamingPullResponse. */
const BATCH = 100;

type Call = grpc.ServerDuplexStream<Obj, Obj>;

/** The open streams of one authplane, so `stop()` can end them. */
export class StreamingPulls {
  private readonly open = new Set<Call>();

  constructor(
    private readonly platform: Platform,
    private readonly server: GrpcServer,
    private readonly service: PubsubService,
    private readonly news: SubscriptionNews,
  ) {
    this.check = server.requestCheck({ descriptor: PUBSUB_DESCRIPTOR }, SUBSCRIBER, 'StreamingPull');
  }

  /** Each request message's check, as the port's unary RPCs get it (too large, undecodable, out of range). */
  private readonly check: (request: Obj) => void;

  readonly handler = (call: Call): void => {
    this.open.add(call);
    const stream = new Stream(call, this.platform, this.server, this.service, this.news, this.check, () => this.open.delete(call));
    stream.start();
  };

  /** Ends every stream (the client reconnects to whichever authplane serves next). */
  stop(): void {
    for (const call of this.open) call.end();
    this.open.clear();
  }
}

class Stream {
  private readonly started = performance.now();
  private readonly id: string;
  private caller: string | undefined;
  private sub: SubscriptionRecord | undefined;
  private deadlineS = 10;
  private maxOutstanding = 0;
  /** Ack IDs this stream handed out and nobody acknowledged yet, with their deadlines (platform clock). */
  private readonly outstanding = new Map<string, number>();
  private pumping = false;
  private again = false;
  private closed = false;
  private offs: (() => void)[] = [];

  constructor(
    private readonly call: Call,
    private readonly platform: Platform,
    private readonly server: GrpcServer,
    private readonly service: PubsubService,
    private readonly news: SubscriptionNews,
    private readonly check: (request: Obj) => void,
    private readonly onClose: () => void,
  ) {
    this.id = requestLogFor(platform).newId();
  }

  start(): void {
    this.call.on('data', (req: Obj) => void this.onRequest(req).catch((e: unknown) => this.fail(e)));
    this.call.on('end', () => this.finish(200, null));
    this.call.on('cancelled', () => this.finish(499, null));
    this.call.on('error', () => this.finish(499, null));
  }

  private async onRequest(req: Obj): Promise<void> {
    if (this.closed) return;
    this.check(req);
    if (!this.sub) {
      await this.open(req);
      return;
    }
    if (req.subscription) throw invalidArgument('subscription must be set only in the first request of a stream.', 'subscription');
    if (req.maxOutstandingMessages || req.maxOutstandingBytes || req.protocolVersion) {
      throw invalidArgument('max_outstanding_messages, max_outstanding_bytes and protocol_version can only be set on the initial StreamingPullRequest.', 'max_outstanding_messages');
    }
    if (req.streamAckDeadlineSeconds) this.deadlineS = this.checkDeadline(req.streamAckDeadlineSeconds);
    const acks = (req.ackIds as string[] | undefined) ?? [];
    const modIds = (req.modifyDeadlineAckIds as string[] | undefined) ?? [];
    const modSeconds = (req.modifyDeadlineSeconds as number[] | undefined) ?? [];
    if (modIds.length !== modSeconds.length) {
      throw invalidArgument(`modify_deadline_seconds (${modSeconds.length}) and modify_deadline_ack_ids (${modIds.length}) must have the same length.`, 'modify_deadline_seconds');
    }
    if (acks.length) await this.service.ack(this.sub, acks);
    // Group the modacks by deadline: one store call per distinct value.
    const bySeconds = new Map<number, string[]>();
    modIds.forEach((id, i) => bySeconds.set(modSeconds[i]!, [...(bySeconds.get(modSeconds[i]!) ?? []), id]));
    for (const [seconds, ids] of bySeconds) {
      const done = await this.service.modAck(this.sub, ids, seconds);
      if (seconds > 0) for (const id of done) if (this.outstanding.has(id)) this.outstanding.set(id, this.platform.clock() + seconds * 1000);
    }
  }

  private checkDeadline(v: unknown): number {
    const s = Number(v ?? 0);
    if (!Number.isInteger(s) || s < 10 || s > 600) throw invalidArgument(`stream_ack_deadline_seconds must be between 10 and 600 seconds (got ${String(v)}).`, 'stream_ack_deadline_seconds');
    return s;
  }

  private async open(req: Obj): Promise<void> {
    this.caller = await this.server.authenticate(this.call.metadata, PUBSUB_API, '/google.pubsub.v1.Subscriber/StreamingPull');
    this.deadlineS = this.checkDeadline(req.streamAckDeadlineSeconds);
    const sub = await this.service.consumable(this.caller, req.subscription);
    this.sub = sub;
    this.maxOutstanding = Math.max(0, Number(req.maxOutstandingMessages ?? 0));
    this.offs.push(
      this.news.on(sub.id, () => void this.pump()),
      this.news.onAcks(sub.id, ({ ackIds }) => {
        let freed = false;
        for (const id of ackIds) freed = this.outstanding.delete(id) || freed;
        if (freed) void this.pump();
      }),
    );
    // Google tells the client about the subscription's delivery properties on the stream.
    this.call.write({ subscriptionProperties: { exactlyOnceDeliveryEnabled: sub.enableExactlyOnceDelivery, messageOrderingEnabled: sub.enableMessageOrdering } });
    await this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        if (this.closed || !this.sub) return;
        const now = this.platform.clock();
        for (const [id, deadline] of this.outstanding) if (deadline <= now) this.outstanding.delete(id);
        const room = this.maxOutstanding > 0 ? Math.min(BATCH, this.maxOutstanding - this.outstanding.size) : BATCH;
        if (room <= 0) return;
        const got = await this.service.deliver(this.sub, room, this.deadlineS);
        if (this.closed) return;
        // The subscription was deleted while the stream was open.
        if (!got) throw notFound(`Resource not found (resource=${this.sub.id}).`, subscriptionName(this.platform.config.project.id, this.sub.id));
        if (got.received.length === 0) return;
        const deadline = this.platform.clock() + this.deadlineS * 1000;
        for (const id of got.ackIds) this.outstanding.set(id, deadline);
        this.call.write({ receivedMessages: got.received });
        this.again = true;
      } while (this.again);
    } catch (e) {
      this.fail(e);
    } finally {
      this.pumping = false;
    }
  }

  private fail(e: unknown): void {
    if (this.closed) return;
    const s = this.server.status(e, PATH, this.id);
    this.call.emit('error', s.error);
    this.finish(s.denial.status, s.denial, s.internal);
  }

  private finish(status: number, denial: Denial | null, internal = false): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.offs) off();
    this.offs = [];
    if (status === 200) this.call.end();
    this.onClose();
    this.server.record(PUBSUB_API, PATH, this.id, this.started, this.caller, status, denial, internal);
  }
}
