// The query language's functions that authplane evaluates (REFERENCE §11 LG4 "Functions"):
//   log_id("run.googleapis.com/requests")   the entry's log ID, unescaped
//   sample(FIELD, FRACTION)                 a deterministic share of entries by a hash of FIELD
//   ip_in_net(FIELD, "10.0.0.0/8")          FIELD holds an address inside the subnet
//   SEARCH("text") / SEARCH(FIELD, "text")  every token of the text is a token of the entry (or FIELD)
// cast(), regexp_extract() and source() are refused as not supported.

import { createHash } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { invalidArgument, notSupported } from '../apis/errors.js';
import type { CallArg, FieldPath, FilterValue } from './filter-ast.js';
import { fieldReader, type FieldReader } from './field-schema.js';
import { normalize } from './filter-compare.js';

export type EntryTest = (entry: unknown) => boolean;

const NOT_SUPPORTED = new Set(['cast', 'regexp_extract', 'source']);

/** The test for a function call; refuses unknown functions and wrong arguments before the filter runs. */
export function functionTest(name: string, args: readonly CallArg[], compared: boolean): EntryTest {
  const lower = name.toLowerCase();
  if (compared && !NOT_SUPPORTED.has(lower)) throw invalidArgument(`The result of ${name}() is true or false; it cannot be compared.`, 'filter');
  if (NOT_SUPPORTED.has(lower)) {
    throw notSupported(`The ${name}() function is not supported by authplane's Cloud Logging.`, 'Compare the field directly (for example timestamp>="2024-01-02T00:00:00Z" or jsonPayload.x=~"re") or use log_id(), sample(), ip_in_net() or SEARCH().');
  }
  switch (lower) {
    case 'log_id': {
      const [id] = values(name, args, ['value']);
      const want = normalize(id!.text);
      return (entry) => {
        const logName = String((entry as { logName?: unknown }).logName ?? '');
        const at = logName.indexOf('/logs/');
        return at >= 0 && normalize(safeDecode(logName.slice(at + 6))) === want;
      };
    }
    case 'sample': {
      const [path, fraction] = typed(name, args, ['path', 'value']);
      const share = Number((fraction as FilterValue).text);
      if (!(share > 0 && share <= 1)) throw invalidArgument(`sample(): the fraction must be greater than 0.0 and no greater than 1.0, got ${(fraction as FilterValue).text}.`, 'filter');
      const read = fieldReader((path as FieldPath).parts);
      return (entry) => {
        const found = read(entry);
        if (!found.found || found.values.length === 0) return false;
        return hashFraction(String(found.values[0]!.value)) <= share;
      };
    }
    case 'ip_in_net': {
      const [path, subnet] = typed(name, args, ['path', 'value']);
      const net = subnetList((subnet as FilterValue).text);
      const read = fieldReader((path as FieldPath).parts);
      return (entry) => read(entry).values.some((v) => inSubnet(net, String(v.value)));
    }
    case 'search': {
      if (args.length === 1) {
        const tokens = searchTokens(values(name, args, ['value'])[0]!.text);
        return (entry) => containsTokens(entry, tokens);
      }
      const [path, query] = typed(name, args, ['path', 'value']);
      const tokens = searchTokens((query as FilterValue).text);
      const read: FieldReader = fieldReader((path as FieldPath).parts);
      return (entry) => read(entry).values.some((v) => containsTokens(v.value, tokens));
    }
    default:
      throw invalidArgument(`Unknown function '${name}'.`, 'filter');
  }
}

function values(name: string, args: readonly CallArg[], kinds: readonly ('value' | 'path')[]): FilterValue[] {
  return typed(name, args, kinds).map((a) => ('parts' in a ? { text: a.text, quoted: false, at: a.at } : a));
}

/** The arguments, checked for count and kind (a bare word stands for a value where a value is expected). */
function typed(name: string, args: readonly CallArg[], kinds: readonly ('value' | 'path')[]): (FilterValue | FieldPath)[] {
  if (args.length !== kinds.length) throw invalidArgument(`${name}() takes ${kinds.length} argument${kinds.length === 1 ? '' : 's'}, got ${args.length}.`, 'filter');
  return args.map((a, i) => {
    if (a.kind === 'call') throw invalidArgument(`${name}(): argument ${i + 1} cannot be a function call.`, 'filter');
    if (kinds[i] === 'path') {
      if (a.kind !== 'path') throw invalidArgument(`${name}(): argument ${i + 1} must be a field name, got "${a.value.text}".`, 'filter');
      return a.path;
    }
    return a.kind === 'value' ? a.value : a.path;
  });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A value's place in [0, 1] by SHA-256: deterministic, so the same entries are always in the sample. */
function hashFraction(value: string): number {
  return createHash('sha256').update(value).digest().readUInt32BE(0) / 0xffffffff;
}

function subnetList(text: string): BlockList {
  const [address, bits] = text.split('/');
  const family = isIP(address ?? '');
  const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
  if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
    throw invalidArgument(`ip_in_net(): "${text}" is not an IP address or range.`, 'filter');
  }
  const list = new BlockList();
  list.addSubnet(address!, prefix, family === 6 ? 'ipv6' : 'ipv4');
  return list;
}

function inSubnet(net: BlockList, value: string): boolean {
  const [address] = value.split('/');
  const family = isIP(address ?? '');
  return family !== 0 && net.check(address!, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * SEARCH's tokens: words split at anything but letters and digits, in any case; a phrase in backticks
 * is one token that must appear as written (case aside). An approximation of BigQuery's LOG_ANALYZER.
 */
function searchTokens(query: string): { words: string[]; phrases: string[] } {
  const phrases: string[] = [];
  const rest = query.replace(/`([^`]*)`/g, (_, p: string) => {
    phrases.push(normalize(p));
    return ' ';
  });
  return { words: wordsOf(rest), phrases };
}

function wordsOf(text: string): string[] {
  return normalize(text)
    .split(/[^\p{L}\p{N}_]+/u)
    .filter(Boolean);
}

function containsTokens(value: unknown, q: { words: string[]; phrases: string[] }): boolean {
  const words = new Set<string>();
  const texts: string[] = [];
  const collect = (v: unknown): void => {
    if (v === null || v === undefined) return;
    if (typeof v === 'object') {
      for (const x of Array.isArray(v) ? v : Object.values(v)) collect(x);
      return;
    }
    const s = String(v);
    texts.push(normalize(s));
    for (const w of wordsOf(s)) words.add(w);
  };
  collect(value);
  return q.words.every((w) => words.has(w)) && q.phrases.every((p) => texts.some((t) => t.includes(p)));
}
