// One comparison of a field's value with a filter's value, by the field's type (REFERENCE §11 LG4,
// "Values and conversions" and "Comparison operators"):
//
// - the filter's value is converted to the field's type first; when that fails the comparison is false;
// - strings compare without regard to letter case (Google normalises with NFKC_Casefold; authplane uses
//   NFKC plus JavaScript's toLowerCase, which differs only for a few characters such as ß);
// - `:` is "has": a substring for strings, equality for other scalars, any leaf for messages and objects;
// - `=~` / `!~` match RE2 regular expressions (re2js), case-sensitive and unanchored, on string fields only;
// - severities compare by rank, durations by length, timestamps as instants, true > false;
// - `NULL_VALUE` (unquoted) matches a JSON null.

import type { RE2JS } from 're2js';
import type { Comparator, FilterValue } from './filter-ast.js';
import type { FieldValue } from './field-schema.js';
import { parseDuration, parseTimestamp } from './proto-time.js';
import { severityRank } from './severity.js';

/** A test of one field value against the filter's value (converted to the field's type on first use, once per type). */
export type ValueTest = (field: FieldValue) => boolean;

/** The test `field OP value`; `pattern` is the compiled RE2 for `=~` and `!~`. */
export function valueTest(op: Comparator, value: FilterValue, pattern?: RE2JS): ValueTest {
  if (op === '=~' || op === '!~') {
    return (f) => {
      if (f.kind !== 'string') return false;
      const found = pattern!.matcher(f.value as string).find();
      return op === '=~' ? found : !found;
    };
  }
  if (!value.quoted && value.text === 'NULL_VALUE') {
    return (f) => (op === '=' || op === ':' ? f.kind === 'null' : op === '!=' ? f.kind !== 'null' : false);
  }
  const converted = new Map<string, unknown>();
  const rhs = (kind: FieldValue['kind']): unknown => {
    if (!converted.has(kind)) converted.set(kind, convert(kind, value.text));
    return converted.get(kind);
  };
  return (f) => {
    if (f.kind === 'object') return op === ':' && hasText(f.value, normalize(value.text));
    if (f.kind === 'null') return false;
    const right = rhs(f.kind);
    if (right === undefined) return false;
    const left = fieldScalar(f);
    if (left === undefined) return false;
    if (op === ':') return typeof left === 'string' ? left.includes(right as string) : left === right;
    return ordered(op, left, right as Comparable);
  };
}

type Comparable = string | number | bigint | boolean;

function ordered(op: Comparator, a: Comparable, b: Comparable): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      return false;
  }
}

/** The filter's text as the field's type; undefined when it does not convert. */
function convert(kind: FieldValue['kind'], text: string): Comparable | undefined {
  switch (kind) {
    case 'string':
      return normalize(text);
    case 'int':
      return /^[+-]?\d+$/.test(text.trim()) ? Number(text) : undefined;
    case 'double':
      return parseDouble(text);
    case 'bool':
      return /^true$/i.test(text) ? true : /^false$/i.test(text) ? false : undefined;
    case 'severity':
      return severityRank(text);
    case 'duration':
      return parseDuration(text);
    case 'timestamp':
      return parseTimestamp(text);
    default:
      return undefined;
  }
}

/** The field's own value, in the same form as `convert` gives the filter's. */
function fieldScalar(f: FieldValue): Comparable | undefined {
  const v = f.value;
  switch (f.kind) {
    case 'string':
      return normalize(String(v));
    case 'int':
    case 'double':
      return typeof v === 'number' ? v : parseDouble(String(v));
    case 'bool':
      return v === true || v === 'true';
    case 'severity':
      return typeof v === 'number' ? v : severityRank(String(v));
    case 'duration':
      return parseDuration(String(v));
    case 'timestamp':
      return parseTimestamp(String(v));
    default:
      return undefined;
  }
}

function parseDouble(text: string): number | undefined {
  const t = text.trim();
  if (/^[+-]?(nan|infinity)$/i.test(t)) return t.toLowerCase().includes('nan') ? NaN : t.startsWith('-') ? -Infinity : Infinity;
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : undefined;
}

/** Case-insensitive comparison form (NFKC, lower case). */
export function normalize(s: string): string {
  return s.normalize('NFKC').toLowerCase();
}

/** Whether any scalar leaf under `value` (not its keys) contains `needle` (normalised). */
export function hasText(value: unknown, needle: string): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'object') {
    for (const v of Array.isArray(value) ? value : Object.values(value)) if (hasText(v, needle)) return true;
    return false;
  }
  return normalize(String(value)).includes(needle);
}
