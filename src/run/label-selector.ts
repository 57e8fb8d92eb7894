// The labelSelector of the Cloud Run Admin API v1 list methods (namespaces.services.list,
// namespaces.revisions.list, projects.locations.services.list): Kubernetes label selector syntax, of which
// Cloud Run documents "=, !=, exists, in, and notIn"
// (https://cloud.google.com/run/docs/reference/rest/v1/namespaces.revisions/list). The grammar is
// Kubernetes' (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors,
// k8s.io/apimachinery/pkg/labels/selector.go): requirements joined by ",", each `key`, `!key`,
// `key = v`, `key == v`, `key != v`, `key in (v1, v2)` or `key notin (v1, v2)`, spaces allowed around
// operators. gcloud sends `serving.knative.dev/service = NAME` (surface/run/revisions/list.py) and
// `KEY in (A,B)` (command_lib/run/serverless_operations.py ListTasks).

import { invalidArgument } from '../apis/errors.js';

type Requirement =
  | { key: string; op: 'exists' | '!' }
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] };

/** A parsed selector: does an object with these labels match? */
export type LabelSelector = (labels: Readonly<Record<string, string>>) => boolean;

// Kubernetes' qualified name: optional DNS-subdomain prefix "/", then a name of at most 63 characters.
const NAME = '[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const KEY = new RegExp(`^(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?/)?${NAME}$`);
const VALUE = new RegExp(`^(?:${NAME})?$`);

/** Parses `selector` ('' or absent: everything matches); malformed: 400 INVALID_ARGUMENT naming labelSelector. */
export function parseLabelSelector(selector: string | null | undefined): LabelSelector {
  const requirements = splitRequirements(selector ?? '').map((part) => parseRequirement(part, selector ?? ''));
  return (labels) => requirements.every((r) => matches(r, labels));
}

function matches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
      return has && value === r.value;
    case '!=':
      return !has || value !== r.value;
    case 'in':
      return has && r.values.includes(value!);
    case 'notin':
      return !has || !r.values.includes(value!);
  }
}

/** Requirements are separated by commas outside parentheses. */
function splitRequirements(selector: string): string[] {
  if (selector.trim() === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts;
}

function parseRequirement(raw: string, selector: string): Requirement {
  const part = raw.trim();
  const bad = (why: string): never => {
    throw invalidArgument(`Invalid labelSelector ${JSON.stringify(selector)}: unable to parse requirement ${JSON.stringify(part)}: ${why}. Supported operations are =, !=, exists, in, and notIn.`, 'labelSelector');
  };
  const key = (k: string): string => (KEY.test(k) ? k : bad(`${JSON.stringify(k)} is not a valid label key`));
  const value = (v: string): string => (VALUE.test(v) ? v : bad(`${JSON.stringify(v)} is not a valid label value`));
  if (part === '') return bad('empty requirement');

  let m = /^!\s*(\S+)$/.exec(part);
  if (m) return { key: key(m[1]!), op: '!' };
  m = /^([^\s=!()]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(part);
  if (m) return { key: key(m[1]!), op: m[2] === '!=' ? '!=' : '=', value: value(m[3]!) };
  m = /^([^\s=!()]+)\s+(in|notin)\s*\(([^()]*)\)$/i.exec(part);
  if (m) {
    const values = m[3]!.split(',').map((v) => value(v.trim()));
    if (m[3]!.trim() === '') bad('a set needs at least one value');
    return { key: key(m[1]!), op: m[2]!.toLowerCase() === 'in' ? 'in' : 'notin', values };
  }
  if (/^[^\s=!()]+$/.test(part)) return { key: key(part), op: 'exists' };
  return bad('expected KEY, !KEY, KEY = VALUE, KEY != VALUE, KEY in (VALUES) or KEY notin (VALUES)');
}
