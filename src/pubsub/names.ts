// Pub/Sub resource names: projects/P/topics/T and projects/P/subscriptions/S, with Google's ID rules
// (pubsub.proto: "must start with a letter, and contain only letters ([A-Za-z]), numbers ([0-9]),
// dashes (-), underscores (_), periods (.), tildes (~), plus (+) or percent signs (%). It must be
// between 3 and 255 characters in length, and it must not start with "goog"").
// Google's words for a bad name, recorded from the service: "Invalid resource name given
// (name=testresource). Refer to https://cloud.google.com/pubsub/docs/admin#resource_names for more
// information."

import { invalidArgument } from '../apis/errors.js';

const ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
const PROJECT_ID = /^[A-Za-z0-9:.-]+$/;

/** What a subscription shows as its topic after the topic was deleted (Subscription.topic). */
export const DELETED_TOPIC = '_deleted-topic_';

export interface ResourceName {
  project: string;
  /** The topic or subscription ID. */
  id: string;
}

export const topicName = (project: string, id: string): string => `projects/${project}/topics/${id}`;
export const subscriptionName = (project: string, id: string): string => `projects/${project}/subscriptions/${id}`;

const invalidName = (name: string, field: string) =>
  invalidArgument(`Invalid resource name given (name=${name}). Refer to https://cloud.google.com/pubsub/docs/admin#resource_names for more information.`, field);

function parse(name: unknown, field: string, collection: 'topics' | 'subscriptions'): ResourceName {
  if (typeof name !== 'string' || name === '') throw invalidArgument(`${field} is required and must be of the form projects/PROJECT_ID/${collection}/ID.`, field);
  const p = name.split('/');
  if (p.length !== 4 || p[0] !== 'projects' || p[2] !== collection || !PROJECT_ID.test(p[1]!)) throw invalidName(name, field);
  const id = p[3]!;
  if (!ID.test(id) || id.toLowerCase().startsWith('goog')) throw invalidName(name, field);
  return { project: p[1]!, id };
}

export const parseTopic = (name: unknown, field = 'topic'): ResourceName => parse(name, field, 'topics');
export const parseSubscription = (name: unknown, field = 'subscription'): ResourceName => parse(name, field, 'subscriptions');

/** `projects/P` of List calls. */
export function parseProject(name: unknown, field = 'project'): string {
  if (typeof name !== 'string' || !/^projects\/[A-Za-z0-9:.-]+$/.test(name)) throw invalidArgument(`Invalid project name given (name=${String(name)}). It must be of the form projects/PROJECT_ID.`, field);
  return name.slice('projects/'.length);
}
