// Turns a filter's tree into a test on LogEntries (proto3 JSON objects). Everything that can be wrong
// with a filter — syntax, an undefined field, a bad regular expression, an unknown function — is found
// here, before any entry is read, and refused with Google's 400 INVALID_ARGUMENT (REFERENCE §11 LG5):
// a filter authplane cannot run never answers "no entries".
//
// Meaning (REFERENCE §11 LG4): AND and OR short-circuit; a value on its own is a global restriction
// (`:` against every field); `FIELD OP (v1 OR v2)` applies FIELD OP to each value; an array field
// matches when any member does; a missing payload or label field fails every comparison, so
// `NOT labels.x=a` is true and `labels.x!=a` false.

import { RE2JS } from 're2js';
import { invalidArgument } from '../apis/errors.js';
import { deny, DenialError } from '../verify/denial.js';
import type { Comparator, FilterNode, FilterValue, ValueExpr } from './filter-ast.js';
import { hasText, normalize, valueTest, type ValueTest } from './filter-compare.js';
import { functionTest, type EntryTest } from './filter-functions.js';
import { FilterSyntaxError, FilterTooDeepError, parseFilter } from './filter-parser.js';
import { fieldReader, UndefinedFieldError, type FieldValue } from './field-schema.js';

export type { EntryTest } from './filter-functions.js';

/** Google's limit on a filter's length (logging.proto, ListLogEntriesRequest.filter). */
export const MAX_FILTER_LENGTH = 20_000;

/** A filter's test; an empty filter matches every entry. Throws Google's INVALID_ARGUMENT for a bad filter. */
export function compileFilter(text: string): EntryTest {
  if (text.length > MAX_FILTER_LENGTH) throw invalidArgument(`The filter is ${text.length} characters long; the maximum is ${MAX_FILTER_LENGTH}.`, 'filter');
  let tree: FilterNode | null;
  try {
    tree = parseFilter(text);
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw unparseable(e);
    if (e instanceof FilterTooDeepError) throw invalidArgument(e.message, 'filter');
    throw e;
  }
  if (tree === null) return () => true;
  return compileNode(tree);
}

/** Same as compileFilter for a tree already parsed (tests and tools). */
export function compileNode(node: FilterNode): EntryTest {
  try {
    return compile(node);
  } catch (e) {
    if (e instanceof UndefinedFieldError) throw invalidArgument(e.message, 'filter', { fieldPath: e.field });
    throw e as DenialError;
  }
}

/**
 * Google's 400 for a filter it cannot parse. Recorded gcloud output shows the message alone
 * ("ERROR: (gcloud.logging.read) INVALID_ARGUMENT: Unparseable filter: …"), and gcloud prints an
 * error's details when it has them: so this one carries no BadRequest detail.
 */
function unparseable(e: FilterSyntaxError): DenialError {
  const { details: _none, ...denial } = deny('INVALID_ARGUMENT', 'api', {
    message: e.message,
    field: 'filter',
    line: e.line,
    column: e.column,
    token: e.token,
    // The code's general remedy is about REST bodies; a filter's fix is its syntax.
    fix: `Correct the filter at line ${e.line}, column ${e.column} (${JSON.stringify(e.token)}): Cloud Logging's query language compares a field with a value (resource.type = "cloud_run_revision", severity >= ERROR, httpRequest.status = 403), joins comparisons with AND, OR and NOT, and quotes values holding spaces or symbols.`,
  });
  return new DenialError(denial);
}

function compile(node: FilterNode): EntryTest {
  switch (node.kind) {
    case 'and': {
      const tests = node.items.map(compile);
      return (e) => tests.every((t) => t(e));
    }
    case 'or': {
      const tests = node.items.map(compile);
      return (e) => tests.some((t) => t(e));
    }
    case 'not': {
      const test = compile(node.item);
      return (e) => !test(e);
    }
    case 'search': {
      const needle = normalize(node.value.text);
      return (e) => hasText(e, needle);
    }
    case 'call':
      return functionTest(node.name, node.args, node.compare !== undefined);
    case 'compare': {
      const read = fieldReader(node.path.parts);
      const test = compileArg(node.op, node.arg);
      return (e) => {
        const found = read(e);
        return test(found.values, found.found, found.explicit);
      };
    }
  }
}

type ArgTest = (values: readonly FieldValue[], found: boolean, explicit: boolean) => boolean;

/** `OP arg`, distributed over a parenthesised combination of values. */
function compileArg(op: Comparator, arg: ValueExpr): ArgTest {
  switch (arg.kind) {
    case 'present':
      return (_values, _found, explicit) => explicit;
    case 'and': {
      const tests = arg.items.map((a) => compileArg(op, a));
      return (v, f, x) => tests.every((t) => t(v, f, x));
    }
    case 'or': {
      const tests = arg.items.map((a) => compileArg(op, a));
      return (v, f, x) => tests.some((t) => t(v, f, x));
    }
    case 'not': {
      const test = compileArg(op, arg.item);
      return (v, f, x) => !test(v, f, x);
    }
    case 'value': {
      const test = leafTest(op, arg.value);
      // A missing field fails every comparison, != and !~ included.
      return (values, found) => found && values.some(test);
    }
  }
}

function leafTest(op: Comparator, value: FilterValue): ValueTest {
  if (op !== '=~' && op !== '!~') return valueTest(op, value);
  let pattern: RE2JS;
  try {
    pattern = RE2JS.compile(value.text);
  } catch (e) {
    throw invalidArgument(`Invalid regular expression "${value.text}" at line ${value.at.line}, column ${value.at.column}: ${(e as Error).message}.`, 'filter');
  }
  return valueTest(op, value, pattern);
}
