// Generated filters against a reference: random Boolean combinations of comparisons are printed as text
// the way people write them (implicit AND, "-" for NOT, parentheses only where Google's precedence needs
// them, sometimes more), parsed and evaluated by authplane, and compared with a direct evaluation of the
// generated tree written here from the query-language page's rules. A seeded generator keeps every run
// the same; a mismatch names the seed, the filter and the entry.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilter } from '../src/logging/filter-eval.js';

/** mulberry32: a small seeded generator. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEVERITIES = ['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL'];
const RANK: Record<string, number> = { DEFAULT: 0, DEBUG: 100, INFO: 200, NOTICE: 300, WARNING: 400, ERROR: 500, CRITICAL: 600 };
const STATUSES = [200, 201, 302, 401, 403, 404, 500];
const TYPES = ['cloud_run_revision', 'cloud_tasks_queue', 'audited_resource'];
const ENVS = ['prod', 'Staging', 'dev'];
const TEXTS = ['The quick fox', 'permission denied', 'Hello World', 'forbidden: 403'];
const TIMES = ['2024-06-01T10:00:00Z', '2024-06-01T10:00:00.5Z', '2024-06-01T12:30:00Z', '2024-06-02T00:00:00Z'];

interface Entry {
  severity: string;
  httpRequest?: { status: number };
  resource: { type: string; labels: Record<string, string> };
  labels?: Record<string, string>;
  textPayload?: string;
  timestamp: string;
}

type Leaf =
  | { kind: 'severity'; op: string; value: string }
  | { kind: 'status'; op: string; value: number }
  | { kind: 'type'; op: string; value: string }
  | { kind: 'env'; op: string; value: string }
  | { kind: 'envPresent' }
  | { kind: 'text'; op: string; value: string }
  | { kind: 'time'; op: string; value: string; printed: string }
  | { kind: 'search'; value: string };
type Node = { kind: 'leaf'; leaf: Leaf } | { kind: 'and' | 'or'; items: Node[] } | { kind: 'not'; item: Node };

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const randomCase = (r: () => number, s: string) => [...s].map((c) => (r() < 0.3 ? c.toUpperCase() : c)).join('');

function entry(r: () => number): Entry {
  const e: Entry = { severity: pick(r, SEVERITIES), resource: { type: pick(r, TYPES), labels: { project_id: 'demo-project' } }, timestamp: pick(r, TIMES) };
  if (r() < 0.7) e.httpRequest = { status: pick(r, STATUSES) };
  if (r() < 0.6) e.labels = { env: pick(r, ENVS) };
  if (r() < 0.7) e.textPayload = pick(r, TEXTS);
  return e;
}

function leaf(r: () => number): Leaf {
  const ordered = ['=', '!=', '<', '<=', '>', '>='];
  switch (Math.floor(r() * 8)) {
    case 0:
      return { kind: 'severity', op: pick(r, ordered), value: randomCase(r, pick(r, SEVERITIES)) };
    case 1:
      return { kind: 'status', op: pick(r, [...ordered, ':']), value: pick(r, [...STATUSES, 0, 402]) };
    case 2:
      return { kind: 'type', op: pick(r, ['=', '!=', ':']), value: randomCase(r, r() < 0.5 ? pick(r, TYPES) : pick(r, ['run', 'tasks', 'queue', 'audited'])) };
    case 3:
      return { kind: 'env', op: pick(r, ['=', '!=', ':', '=~', '!~']), value: pick(r, ['prod', 'PROD', 'stag', 'dev', '^pr', 'v$', '(?i)STAG', 'Stag']) };
    case 4:
      return { kind: 'envPresent' };
    case 5:
      return { kind: 'text', op: pick(r, [':', '=', '!=']), value: randomCase(r, pick(r, ['quick', 'denied', 'hello world', 'the quick fox', '403', 'zebra'])) };
    case 6: {
      const value = pick(r, TIMES);
      // The same instant, written with a zone offset half of the time.
      const printed = r() < 0.5 ? value : new Date(Date.parse(value) + 2 * 3600_000).toISOString().replace('Z', '+02:00').replace('.000', '');
      return { kind: 'time', op: pick(r, ordered), value, printed };
    }
    default:
      return { kind: 'search', value: pick(r, ['fox', 'WORLD', 'prod', 'tasks', '401', 'nothing-here']) };
  }
}

function node(r: () => number, depth: number): Node {
  if (depth === 0 || r() < 0.3) return { kind: 'leaf', leaf: leaf(r) };
  const roll = r();
  if (roll < 0.2) return { kind: 'not', item: node(r, depth - 1) };
  const items = Array.from({ length: 2 + Math.floor(r() * 2) }, () => node(r, depth - 1));
  return { kind: roll < 0.6 ? 'and' : 'or', items };
}

function printLeaf(l: Leaf): string {
  switch (l.kind) {
    case 'severity':
      return `severity${l.op}${l.value}`;
    case 'status':
      return `httpRequest.status ${l.op} ${l.value}`;
    case 'type':
      return `resource.type${l.op}"${l.value}"`;
    case 'env':
      return `labels.env ${l.op} "${l.value}"`;
    case 'envPresent':
      return 'labels.env:*';
    case 'text':
      return `textPayload${l.op}"${l.value}"`;
    case 'time':
      return `timestamp${l.op}"${l.printed}"`;
    case 'search':
      return `"${l.value}"`;
  }
}

/** Text for `n` where the grammar wants a term (OR's operands), a sequence item (AND's), or anything. */
function print(r: () => number, n: Node, where: 'any' | 'and' | 'or' | 'not'): string {
  const paren = (s: string) => `(${s})`;
  let s: string;
  let needs: boolean;
  switch (n.kind) {
    case 'leaf':
      s = printLeaf(n.leaf);
      needs = false;
      break;
    case 'not':
      s = `${n.item.kind === 'leaf' && r() < 0.3 ? '-' : 'NOT '}${print(r, n.item, 'not')}`;
      needs = where === 'not';
      break;
    case 'and':
      // Written AND, or juxtaposed; OR operands bind tighter and need no parentheses.
      s = n.items.map((i) => print(r, i, 'and')).join(r() < 0.5 ? ' AND ' : ' ');
      needs = where === 'or' || where === 'not';
      break;
    case 'or':
      s = n.items.map((i) => print(r, i, 'or')).join(' OR ');
      needs = where === 'not';
      break;
  }
  return needs || (n.kind !== 'leaf' && r() < 0.15) ? paren(s) : s;
}

/** The reference: the page's rules applied directly. */
function evalLeaf(l: Leaf, e: Entry): boolean {
  const cmp = (op: string, a: number | string, b: number | string) =>
    op === '=' ? a === b : op === '!=' ? a !== b : op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : op === '>=' ? a >= b : false;
  switch (l.kind) {
    case 'severity':
      return cmp(l.op, RANK[e.severity]!, RANK[l.value.toUpperCase()]!);
    case 'status': {
      const status = e.httpRequest?.status ?? 0; // a LogEntry field: defaulted
      return l.op === ':' ? status === l.value : cmp(l.op, status, l.value);
    }
    case 'type': {
      const a = e.resource.type.toLowerCase();
      const b = l.value.toLowerCase();
      return l.op === ':' ? a.includes(b) : cmp(l.op, a, b);
    }
    case 'env': {
      const env = e.labels?.env;
      if (env === undefined) return false; // a label: missing, every comparison fails
      if (l.op === '=~' || l.op === '!~') {
        const re = l.value.startsWith('(?i)') ? new RegExp(l.value.slice(4), 'i') : new RegExp(l.value);
        return re.test(env) === (l.op === '=~');
      }
      return l.op === ':' ? env.toLowerCase().includes(l.value.toLowerCase()) : cmp(l.op, env.toLowerCase(), l.value.toLowerCase());
    }
    case 'envPresent':
      return e.labels?.env !== undefined;
    case 'text': {
      const t = (e.textPayload ?? '').toLowerCase();
      return l.op === ':' ? t.includes(l.value.toLowerCase()) : cmp(l.op, t, l.value.toLowerCase());
    }
    case 'time':
      return cmp(l.op, Date.parse(e.timestamp), Date.parse(l.value));
    case 'search': {
      const leaves: string[] = [];
      const walk = (v: unknown): void => {
        if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
        else leaves.push(String(v).toLowerCase());
      };
      walk(e);
      return leaves.some((x) => x.includes(l.value.toLowerCase()));
    }
  }
}

function evalNode(n: Node, e: Entry): boolean {
  switch (n.kind) {
    case 'leaf':
      return evalLeaf(n.leaf, e);
    case 'not':
      return !evalNode(n.item, e);
    case 'and':
      return n.items.every((i) => evalNode(i, e));
    case 'or':
      return n.items.some((i) => evalNode(i, e));
  }
}

describe('Logging query language: generated filters against a reference', () => {
  it('agrees with the reference on 600 filters × 40 entries', () => {
    const seed = 20240601;
    const r = rng(seed);
    const entries = Array.from({ length: 40 }, () => entry(r));
    let matched = 0;
    for (let i = 0; i < 600; i++) {
      const tree = node(r, 4);
      const text = print(r, tree, 'any');
      const test = compileFilter(text);
      for (const e of entries) {
        const want = evalNode(tree, e);
        if (want) matched++;
        assert.equal(test(e), want, `seed ${seed}, filter #${i}: ${text}\nentry: ${JSON.stringify(e)}`);
      }
    }
    // The generator must produce filters that select something and filters that do not.
    assert.ok(matched > 600 * 40 * 0.1 && matched < 600 * 40 * 0.9, `matched ${matched} of ${600 * 40}`);
  });
});
