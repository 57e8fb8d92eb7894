// The Logging query language parser on its own: every operator, Google's precedence (NOT, then OR, then
// AND), value lists, strings and escapes, field paths, comments, functions, and the line/column/token of
// each syntax error. Trees are compared as S-expressions: (and …) (or …) (not …), (OP path value),
// "quoted" or bare search terms.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallArg, FilterNode, ValueExpr } from '../src/logging/filter-ast.js';
import { FilterSyntaxError, FilterTooDeepError, MAX_FILTER_DEPTH, parseFilter } from '../src/logging/filter-parser.js';

function value(v: { text: string; quoted: boolean }): string {
  return v.quoted ? JSON.stringify(v.text) : v.text;
}

function valueSexpr(v: ValueExpr): string {
  switch (v.kind) {
    case 'value':
      return value(v.value);
    case 'present':
      return '*';
    case 'not':
      return `(not ${valueSexpr(v.item)})`;
    default:
      return `(${v.kind} ${v.items.map(valueSexpr).join(' ')})`;
  }
}

function arg(a: CallArg): string {
  return a.kind === 'path' ? `path:${a.path.parts.join('|')}` : a.kind === 'call' ? `(call ${a.name}${a.args.map((x) => ` ${arg(x)}`).join('')})` : value(a.value);
}

function sexpr(n: FilterNode | null): string {
  if (n === null) return '()';
  switch (n.kind) {
    case 'search':
      return value(n.value);
    case 'not':
      return `(not ${sexpr(n.item)})`;
    case 'compare':
      return `(${n.op} ${n.path.parts.join('|')} ${valueSexpr(n.arg)})`;
    case 'call':
      return `(call ${n.name}${n.args.map((a) => ` ${arg(a)}`).join('')})`;
    default:
      return `(${n.kind} ${n.items.map(sexpr).join(' ')})`;
  }
}

const tree = (filter: string) => sexpr(parseFilter(filter));

function syntaxError(filter: string): { line: number; column: number; token: string; message: string } {
  try {
    parseFilter(filter);
  } catch (e) {
    assert.ok(e instanceof FilterSyntaxError, `expected a FilterSyntaxError for ${JSON.stringify(filter)}, got ${String(e)}`);
    return { line: e.line, column: e.column, token: e.token, message: e.message };
  }
  assert.fail(`${JSON.stringify(filter)} parsed`);
}

describe('Logging query language: parser', () => {
  it('an empty or blank filter (or only comments) is no filter', () => {
    assert.equal(tree(''), '()');
    assert.equal(tree('   \n\t'), '()');
    assert.equal(tree('-- nothing but a comment'), '()');
  });

  it('parses every comparison operator', () => {
    assert.equal(tree('resource.type = "gae_app"'), '(= resource|type "gae_app")');
    assert.equal(tree('severity!=ERROR'), '(!= severity ERROR)');
    assert.equal(tree('httpRequest.status<500'), '(< httpRequest|status 500)');
    assert.equal(tree('httpRequest.status<=499'), '(<= httpRequest|status 499)');
    assert.equal(tree('httpRequest.status>399'), '(> httpRequest|status 399)');
    assert.equal(tree('severity>=WARNING'), '(>= severity WARNING)');
    assert.equal(tree('textPayload:robot'), '(: textPayload robot)');
    assert.equal(tree('logName=~"requests$"'), '(=~ logName "requests$")');
    assert.equal(tree('labels.pod_name !~ "foo"'), '(!~ labels|pod_name "foo")');
    assert.equal(tree('operation.id:*'), '(: operation|id *)');
  });

  it('joins comparisons with AND, OR, NOT, "-" and juxtaposition', () => {
    assert.equal(tree('a=1 AND b=2'), '(and (= a 1) (= b 2))');
    assert.equal(tree('a=1 b=2'), '(and (= a 1) (= b 2))');
    assert.equal(tree('a=1 OR b=2'), '(or (= a 1) (= b 2))');
    assert.equal(tree('NOT a=1'), '(not (= a 1))');
    assert.equal(tree('a="b" c="d" -e="f"'), '(and (= a "b") (= c "d") (not (= e "f")))');
    assert.equal(tree('a="b" AND c="d" AND NOT e="f"'), tree('a="b" c="d" -e="f"'));
    // A filter on several lines: the lines are ANDed.
    assert.equal(tree('resource.type="cloud_run_revision"\nseverity>=WARNING'), '(and (= resource|type "cloud_run_revision") (>= severity WARNING))');
  });

  it('binds NOT tightest, then OR, then AND (the page\'s own example)', () => {
    const quirk = tree('"a" OR NOT "b" AND NOT "c" OR "d"');
    assert.equal(quirk, '(and (or "a" (not "b")) (or (not "c") "d"))');
    assert.equal(quirk, tree('("a" OR (NOT "b")) AND ((NOT "c") OR "d")'));
    assert.equal(tree('a OR b AND c'), '(and (or a b) c)');
    assert.equal(tree('a AND b OR c'), '(and a (or b c))');
    assert.equal(tree('NOT a OR b'), '(or (not a) b)');
    assert.equal(tree('a b OR c'), '(and a (or b c))');
    assert.equal(tree('a OR b c OR d'), '(and (or a b) (or c d))');
    assert.equal(tree('(a AND b) OR c'), '(or (and a b) c)');
    assert.equal(tree('NOT (a OR b)'), '(not (or a b))');
    // gcloud joins its timestamp clause without parentheses; OR binding tighter keeps the meaning.
    assert.equal(tree('timestamp>="2024-01-01T00:00:00Z" AND a=1 OR b=2'), '(and (>= timestamp "2024-01-01T00:00:00Z") (or (= a 1) (= b 2)))');
    // The page's warning: this is insertId = "ABC-1", OR a search for "ABC-2" anywhere.
    assert.equal(tree('insertId = "ABC-1" OR "ABC-2"'), '(or (= insertId "ABC-1") "ABC-2")');
  });

  it('applies a comparison to each value of a parenthesised list', () => {
    assert.equal(tree('resource.type = ("gae_app" OR "gce_instance")'), '(= resource|type (or "gae_app" "gce_instance"))');
    assert.equal(tree('jsonPayload.animal : ("nice" AND "pet")'), '(: jsonPayload|animal (and "nice" "pet"))');
    assert.equal(tree('textPayload:(unicorn phoenix)'), '(: textPayload (and unicorn phoenix))');
    assert.equal(tree('labels.env =~ ("^prod.*server" OR "^staging.*server")'), '(=~ labels|env (or "^prod.*server" "^staging.*server"))');
    assert.equal(tree('severity=(ERROR OR NOT (WARNING OR INFO))'), '(= severity (or ERROR (not (or WARNING INFO))))');
    assert.equal(tree('x=(a OR b c)'), '(= x (and (or a b) c))');
    assert.equal(tree('x=(-3 OR 4)'), '(= x (or -3 4))');
  });

  it('reads quoted strings with their escapes', () => {
    assert.equal(tree('textPayload="say \\"hi\\""'), '(= textPayload "say \\"hi\\"")');
    assert.deepEqual(parseFilter('x="a\\tb\\nc\\\\d"'), parseFilter('x="a\\x09b\\012c\\\\d"'));
    assert.equal(tree('x="\\x41\\101\\u00e9"'), '(= x "AAé")');
    // Not an escape Google lists: kept as written, so "\d+" reaches the regular expression intact.
    assert.equal(tree('x=~"\\d+"'), '(=~ x "\\\\d+")');
    assert.equal(tree('"The cat in the hat"'), '"The cat in the hat"');
    assert.equal(tree('x="a OR b AND (c)"'), '(= x "a OR b AND (c)")');
  });

  it('reads field paths: nested, quoted components, @type, any case', () => {
    assert.equal(tree('labels."compute.googleapis.com/resource_id":x'), '(: labels|compute.googleapis.com/resource_id x)');
    assert.equal(tree('jsonPayload.":name":apple'), '(: jsonPayload|:name apple)');
    assert.equal(tree('jsonPayload."\\"foo\\"":apple'), '(: jsonPayload|"foo" apple)');
    assert.equal(tree('jsonPayload.@type="t"'), '(= jsonPayload|@type "t")');
    assert.equal(tree('jsonPayload."@type"="t"'), '(= jsonPayload|@type "t")');
    assert.equal(tree('protoPayload.authenticationInfo.principalEmail:x'), '(: protoPayload|authenticationInfo|principalEmail x)');
    assert.equal(tree('http_request.request_url:"run.app"'), '(: http_request|request_url "run.app")');
  });

  it('takes unquoted values as written, across dots, slashes and a leading minus', () => {
    assert.equal(tree('logName=projects/p/logs/run.googleapis.com%2Frequests'), '(= logName projects/p/logs/run.googleapis.com%2Frequests)');
    assert.equal(tree('x > -3.5e-2'), '(> x -3.5e-2)');
    assert.equal(tree('timestamp>2016-11-29'), '(> timestamp 2016-11-29)');
    assert.equal(tree('resource.labels.location=us-central1'), '(= resource|labels|location us-central1)');
    assert.equal(tree('jsonPayload.x = NULL_VALUE'), '(= jsonPayload|x NULL_VALUE)');
  });

  it('treats bare words, lower-case and/or/not included, as global search terms', () => {
    assert.equal(tree('unicorn'), 'unicorn');
    assert.equal(tree('unicorn phoenix'), '(and unicorn phoenix)');
    assert.equal(tree('cats and dogs'), '(and cats and dogs)');
    assert.equal(tree('run.app'), 'run.app');
    assert.equal(tree('403'), '403');
    assert.equal(tree('NOTE'), 'NOTE');
  });

  it('skips comments to the end of the line', () => {
    assert.equal(tree('-- the service\nresource.labels.service_name="update" -- and only 403s\nhttpRequest.status=403'), '(and (= resource|labels|service_name "update") (= httpRequest|status 403))');
    assert.equal(tree('a=1 -- b=2'), '(= a 1)');
  });

  it('parses function calls', () => {
    assert.equal(tree('log_id("cloudaudit.googleapis.com/activity")'), '(call log_id "cloudaudit.googleapis.com/activity")');
    assert.equal(tree('sample(insertId, 0.25)'), '(call sample path:insertId 0.25)');
    assert.equal(tree('ip_in_net(jsonPayload.realClientIP, "10.1.2.0/24")'), '(call ip_in_net path:jsonPayload|realClientIP "10.1.2.0/24")');
    assert.equal(tree('SEARCH(textPayload, "hello world") severity>=ERROR'), '(and (call SEARCH path:textPayload "hello world") (>= severity ERROR))');
    assert.equal(tree('NOT log_id("x")'), '(not (call log_id "x"))');
    const compared = parseFilter('cast(timestamp, STRING, TIMEZONE("America/New_York")) =~ "^2023-01-02.*"');
    assert.ok(compared?.kind === 'call' && compared.compare?.op === '=~' && compared.args.length === 3);
    // With a space before "(" it is a search term followed by a group, not a call.
    assert.equal(tree('log_id ("x")'), '(and log_id "x")');
  });

  it('reports the first token that cannot continue the filter, with its line and column', () => {
    const cases: [string, number, number, string][] = [
      // The message Google writes; gcloud shows it as "INVALID_ARGUMENT: Unparseable filter: …".
      ['a AND', 1, 6, '<EOF>'],
      // A filter that ends too soon after whitespace: the whitespace is the token (recorded "token ' '").
      ['a AND ', 1, 6, ' '],
      ['resource.type= ', 1, 15, ' '],
      ['(a', 1, 3, '<EOF>'],
      ['a)', 1, 2, ')'],
      ['()', 1, 2, ')'],
      ['NOT', 1, 4, '<EOF>'],
      ['a = = b', 1, 5, '='],
      ['x = AND', 1, 5, 'AND'],
      ['a OR OR b', 1, 6, 'OR'],
      ['a,b', 1, 2, ','],
      ['- a', 1, 3, 'a'],
      ['x=-a', 1, 3, '-'],
      // An unquoted timestamp stops at its first ':', and that ':' is refused (recorded with PowerShell).
      ['timestamp>=2026-06-12T03:23:45Z', 1, 25, ':'],
      ['jsonPayload.event_name=~cdiag_name=signup.complete', 1, 35, '='],
      ['a ! b', 1, 3, '!'],
      ['a ~ b', 1, 3, '~'],
      ['x="unterminated', 1, 3, '"unterminated'],
      ['x:* *', 1, 5, '*'],
      ['resource.type="cloud_run_revision"\nAND AND', 2, 5, 'AND'],
      ['-- comment\n  severity >= )', 2, 15, ')'],
      ['x="a\nb" OR )', 2, 7, ')'],
    ];
    for (const [filter, line, column, token] of cases) {
      const e = syntaxError(filter);
      assert.deepEqual({ line: e.line, column: e.column, token: e.token }, { line, column, token }, JSON.stringify(filter));
      assert.equal(e.message, `Unparseable filter: syntax error at line ${line}, column ${column}, token '${token}'`);
    }
  });

  it('refuses nesting deeper than it can evaluate safely, naming where, instead of running out of stack', () => {
    const nested = (n: number) => `${'('.repeat(n)}a${')'.repeat(n)}`;
    assert.equal(tree(nested(MAX_FILTER_DEPTH)), 'a');
    assert.throws(() => parseFilter(nested(MAX_FILTER_DEPTH + 1)), (e: unknown) => e instanceof FilterTooDeepError && e.at.column === MAX_FILTER_DEPTH + 1);
    assert.throws(() => parseFilter(`x=${nested(5000)}`), FilterTooDeepError);
    assert.throws(() => parseFilter(`${'f('.repeat(5000)}x${')'.repeat(5000)}`), FilterTooDeepError);
  });
});
