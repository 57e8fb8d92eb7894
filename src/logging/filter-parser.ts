// A recursive-descent parser for the Logging query language (REFERENCE §11 LG4; the grammar is
// Google's filtering design, https://google.aip.dev/160):
//
//   filter      = [ expression ] EOF
//   expression  = sequence { "AND" sequence }
//   sequence    = factor { factor }                   juxtaposition is AND
//   factor      = term { "OR" term }
//   term        = [ "NOT" | "-" ] simple
//   simple      = "(" expression ")" | restriction
//   restriction = comparable [ comparator argument ]            a member alone is a global restriction
//   comparable  = function | member
//   function    = member "(" [ argument { "," argument } ] ")"  (no space before "(")
//   member      = component { "." component }                   component = text | string
//   argument    = "*" (after ":") | "(" values ")" | value
//   values      = the same and/or/not structure, with values as leaves
//   value       = string | text, joined across "." and a leading "-" when nothing separates them
//
// The layering gives Google's precedence, documented with the example
// `"a" OR NOT "b" AND NOT "c" OR "d"` = `("a" OR (NOT "b")) AND ((NOT "c") OR "d")`:
// NOT binds tightest, then OR, then AND (implicit or written).
//
// The first token that cannot continue the filter is reported with its line and column. When the filter
// simply ends too soon, the trailing whitespace (if any) is that token, as in the recorded
// "token ' '"; otherwise the token is '<EOF>' (authplane's spelling: Google's was not recorded).

import type { CallArg, Comparator, FieldPath, FilterNode, FilterValue, Position, ValueExpr } from './filter-ast.js';
import { FilterSyntaxError, tokenize, type Token } from './filter-lexer.js';

export { FilterSyntaxError } from './filter-lexer.js';

/** Deepest nesting of parentheses and calls: each level is a few stack frames, and a 20,000-character filter must not exhaust the stack. */
export const MAX_FILTER_DEPTH = 100;

/** A filter nested deeper than MAX_FILTER_DEPTH (refused as INVALID_ARGUMENT, not parsed). */
export class FilterTooDeepError extends Error {
  override readonly name = 'FilterTooDeepError';
  constructor(readonly at: Position) {
    super(`The filter nests parentheses or function calls more than ${MAX_FILTER_DEPTH} deep (at line ${at.line}, column ${at.column}).`);
  }
}

/** The filter's tree, or null for an empty filter (every entry matches). Throws FilterSyntaxError. */
export function parseFilter(text: string): FilterNode | null {
  return new Parser(text).parse();
}

/** What differs between the Boolean structure of a filter and that of a value list. */
interface Layers<T> {
  leaf(): T;
  /** Whether a "-" here is NOT (else it starts a value). */
  minusNegates(): boolean;
  join(kind: 'and' | 'or', items: T[]): T;
  negate(item: T): T;
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  private depth = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parse(): FilterNode | null {
    if (this.peek().kind === 'eof') return null;
    const node = this.expression(this.filters);
    if (this.peek().kind !== 'eof') throw this.unexpected();
    return node;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    return this.tokens[this.i++]!;
  }

  private expect(kind: Token['kind']): Token {
    if (this.peek().kind !== kind) throw this.unexpected();
    return this.next();
  }

  private unexpected(token = this.peek()): FilterSyntaxError {
    if (token.kind === 'eof') {
      const trailing = /[ \t\r\n\f\v]+$/.exec(this.text);
      if (trailing) {
        const before = this.text.slice(0, trailing.index);
        const line = before.split('\n').length;
        const column = trailing.index - (before.lastIndexOf('\n') + 1) + 1;
        return new FilterSyntaxError(line, column, trailing[0]);
      }
      return new FilterSyntaxError(token.line, token.column, '<EOF>');
    }
    return new FilterSyntaxError(token.line, token.column, token.raw);
  }

  // The Boolean layers, shared by filters and by value lists (whose leaves are values).
  // expression = sequence { "AND" sequence }
  private expression<T>(g: Layers<T>): T {
    return this.joined(g, 'and', () => this.sequence(g));
  }

  // sequence = factor { factor }
  private sequence<T>(g: Layers<T>): T {
    const items = [this.factor(g)];
    while (startsTerm(this.peek())) items.push(this.factor(g));
    return items.length === 1 ? items[0]! : g.join('and', items);
  }

  // factor = term { "OR" term }
  private factor<T>(g: Layers<T>): T {
    return this.joined(g, 'or', () => this.term(g));
  }

  /** part { OPERATOR part }, joined when there is more than one. */
  private joined<T>(g: Layers<T>, operator: 'and' | 'or', part: () => T): T {
    const items = [part()];
    while (this.peek().kind === operator) {
      this.next();
      items.push(part());
    }
    return items.length === 1 ? items[0]! : g.join(operator, items);
  }

  // term = [ "NOT" | "-" ] simple
  private term<T>(g: Layers<T>): T {
    const t = this.peek();
    if (t.kind === 'not' || (t.kind === 'minus' && g.minusNegates())) {
      this.next();
      // "-" negates only what touches it: `- x` is not a term.
      if (t.kind === 'minus' && this.peek().spaceBefore) throw this.unexpected();
      return g.negate(this.simple(g));
    }
    return this.simple(g);
  }

  // simple = "(" expression ")" | leaf
  private simple<T>(g: Layers<T>): T {
    if (this.peek().kind !== 'lparen') return g.leaf();
    this.enter(this.next());
    const inner = this.expression(g);
    this.expect('rparen');
    this.depth--;
    return inner;
  }

  private enter(paren: Token): void {
    if (++this.depth > MAX_FILTER_DEPTH) throw new FilterTooDeepError(pos(paren));
  }

  /** A filter's leaves: restrictions. */
  private readonly filters: Layers<FilterNode> = {
    leaf: () => {
      const t = this.peek();
      if (t.kind !== 'text' && t.kind !== 'string') throw this.unexpected();
      return this.restriction();
    },
    minusNegates: () => true,
    join: (kind, items) => ({ kind, items }),
    negate: (item) => ({ kind: 'not', item }),
  };

  /** A value list's leaves: values (a "-" before a number is its sign). */
  private readonly values: Layers<ValueExpr> = {
    leaf: () => ({ kind: 'value', value: this.value() }),
    minusNegates: () => !startsNumber(this.peek(1)),
    join: (kind, items) => ({ kind, items }),
    negate: (item) => ({ kind: 'not', item }),
  };

  private restriction(): FilterNode {
    const start = this.peek();
    const { parts, end } = this.member();
    const text = this.text.slice(start.start, end);
    const after = this.peek();
    if (after.kind === 'lparen' && !after.spaceBefore) return this.call(parts.join('.'), start);
    if (after.kind === 'op') {
      const op = this.next().value as Comparator;
      const path: FieldPath = { parts, text, at: pos(start) };
      return { kind: 'compare', path, op, arg: this.argument(op) };
    }
    // A global restriction: a lone string keeps its decoded value; unquoted text is taken as written.
    const value: FilterValue = start.kind === 'string' && parts.length === 1 ? { text: parts[0]!, quoted: true, at: pos(start) } : { text, quoted: false, at: pos(start) };
    return { kind: 'search', value };
  }

  // member = component { "." component }, with nothing between the pieces.
  private member(): { parts: string[]; end: number } {
    const parts = [this.next().value];
    let end = this.tokens[this.i - 1]!.end;
    while (this.peek().kind === 'dot' && !this.peek().spaceBefore) {
      this.next();
      const c = this.peek();
      if ((c.kind !== 'text' && c.kind !== 'string') || c.spaceBefore) throw this.unexpected();
      parts.push(this.next().value);
      end = c.end;
    }
    return { parts, end };
  }

  // function = member "(" [ argument { "," argument } ] ")"
  private call(name: string, start: Token): FilterNode {
    this.enter(this.expect('lparen'));
    const args: CallArg[] = [];
    if (this.peek().kind !== 'rparen') {
      for (;;) {
        args.push(this.callArg());
        if (this.peek().kind !== 'comma') break;
        this.next();
      }
    }
    this.expect('rparen');
    this.depth--;
    const node = { kind: 'call' as const, name, args, at: pos(start) };
    if (this.peek().kind !== 'op') return node;
    const op = this.next().value as Comparator;
    return { ...node, compare: { op, arg: this.argument(op) } };
  }

  private callArg(): CallArg {
    const t = this.peek();
    // A number (0.25, -1) is a value; a word may name a field (the function decides).
    if (t.kind === 'minus' || (t.kind === 'text' && /^[0-9]/.test(t.raw))) return { kind: 'value', value: this.value() };
    if (t.kind === 'string' && !(this.peek(1).kind === 'dot' && !this.peek(1).spaceBefore)) {
      this.next();
      return { kind: 'value', value: { text: t.value, quoted: true, at: pos(t) } };
    }
    if (t.kind === 'text' || t.kind === 'string') {
      const { parts, end } = this.member();
      if (this.peek().kind === 'lparen' && !this.peek().spaceBefore) {
        const inner = this.call(parts.join('.'), t);
        if (inner.kind !== 'call' || inner.compare) throw this.unexpected();
        return { kind: 'call', name: inner.name, args: inner.args };
      }
      return { kind: 'path', path: { parts, text: this.text.slice(t.start, end), at: pos(t) } };
    }
    throw this.unexpected();
  }

  // argument = "*" | "(" values ")" | value
  private argument(op: Comparator): ValueExpr {
    const t = this.peek();
    if (t.kind === 'star' && op === ':') {
      this.next();
      return { kind: 'present' };
    }
    if (t.kind === 'lparen') return this.simple(this.values);
    return { kind: 'value', value: this.value() };
  }

  /** A string, or unquoted text joined with the dots and leading minus that touch it (`-3.5`, `a.b/c`). */
  private value(): FilterValue {
    const first = this.peek();
    if (first.kind === 'string') {
      this.next();
      return { text: first.value, quoted: true, at: pos(first) };
    }
    let end = first.start;
    if (first.kind === 'minus') {
      if (!startsNumber(this.peek(1))) throw this.unexpected(this.peek(1).kind === 'eof' || this.peek(1).spaceBefore ? this.peek(1) : first);
      this.next();
      end = first.end;
    }
    const t = this.peek();
    if (t.kind !== 'text' || (first.kind === 'minus' && t.spaceBefore)) throw this.unexpected();
    this.next();
    end = t.end;
    while (this.peek().kind === 'dot' && !this.peek().spaceBefore && this.peek(1).kind === 'text' && !this.peek(1).spaceBefore) {
      this.next();
      end = this.next().end;
    }
    return { text: this.text.slice(first.start, end), quoted: false, at: pos(first) };
  }
}

function startsTerm(t: Token): boolean {
  return t.kind === 'text' || t.kind === 'string' || t.kind === 'not' || t.kind === 'minus' || t.kind === 'lparen';
}

function startsNumber(t: Token): boolean {
  return t.kind === 'text' && !t.spaceBefore && /^[0-9]/.test(t.raw);
}

function pos(t: Token): Position {
  return { line: t.line, column: t.column };
}
