// Topic ⇄ Google's Topic message: validation of CreateTopic / UpdateTopic and the message GetTopic returns.

import { invalidArgument, notSupported } from '../apis/errors.js';
import { fromMs, toMs, type Obj, type ProtoTime } from '../apis/proto.js';
import type { TopicRecord } from '../store/pubsub-store.js';
import { topicName } from './names.js';
import { checkLabels, maskPaths } from './fields.js';

/** Topic and subscription retention bounds (pubsub.proto: "Cannot be more than 31 days or less than 10 minutes"). */
export const MIN_RETENTION_MS = 10 * 60_000;
export const MAX_RETENTION_MS = 31 * 24 * 3_600_000;

/** Topic fields authplane does not emulate: refused by name rather than silently dropped. */
const UNSUPPORTED = ['messageStoragePolicy', 'kmsKeyName', 'schemaSettings', 'ingestionDataSourceSettings', 'messageTransforms'] as const;

export function checkRetention(v: unknown, field: string): number | null {
  const ms = toMs(v as ProtoTime | undefined);
  if (ms === undefined) return null;
  if (ms < MIN_RETENTION_MS || ms > MAX_RETENTION_MS) {
    throw invalidArgument(`Invalid ${field}: it must be between 10 minutes and 31 days (got ${ms / 1000}s).`, field);
  }
  return ms;
}

function refuseUnsupported(msg: Obj, prefix: string): void {
  for (const f of UNSUPPORTED) {
    const v = msg[f];
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    throw notSupported(`${prefix}${f} is not emulated by authplane.`, `Leave ${f} unset when talking to authplane; it does not change who may call whom.`);
  }
}

/** A new topic from CreateTopic's Topic message (its name already parsed). */
export function newTopicRecord(id: string, msg: Obj, now: number): TopicRecord {
  refuseUnsupported(msg, 'Topic.');
  return { id, labels: checkLabels(msg.labels, 'labels'), messageRetentionMs: checkRetention(msg.messageRetentionDuration, 'message_retention_duration'), fromConfig: false, createdAt: now };
}

/** UpdateTopic: the fields named by the mask, from `msg`. */
export function applyTopicUpdate(cur: TopicRecord, msg: Obj, mask: unknown): TopicRecord {
  const paths = maskPaths(mask);
  const out = { ...cur };
  for (const p of paths) {
    if (p === 'labels') out.labels = checkLabels(msg.labels, 'topic.labels');
    else if (p === 'message_retention_duration') out.messageRetentionMs = checkRetention(msg.messageRetentionDuration, 'topic.message_retention_duration');
    else throw invalidArgument(`Invalid update_mask provided in the UpdateTopicRequest: the field "${p}" cannot be updated (authplane updates labels and message_retention_duration).`, 'update_mask');
  }
  return out;
}

export function toTopicMessage(t: TopicRecord, project: string): Obj {
  return {
    name: topicName(project, t.id),
    ...(Object.keys(t.labels).length ? { labels: t.labels } : {}),
    ...(t.messageRetentionMs !== null ? { messageRetentionDuration: fromMs(t.messageRetentionMs) } : {}),
    state: 'ACTIVE',
  };
}
