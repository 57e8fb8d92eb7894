// The Logging query language's tokens, with their line and column for Google's error message
// ("Unparseable filter: syntax error at line 1, column 16, token ' '", REFERENCE §11 LG5).
//
// Text that needs no quotes ends at whitespace or at one of  " ( ) = ! < > : , ~ . *  — the characters
// Google's page says must be quoted inside strings — so `2024-01-02T10:00:00Z` unquoted stops at the
// first `:` and the parser refuses that `:`, as Google does. A `-` that starts a token is NOT ("-e=f");
// inside text it is a letter (`us-central1`). `--` starts a comment that runs to the end of the line.
// AND, OR and NOT are operators only in capitals; `and` is a search term (LG4).

import type { Position } from './filter-ast.js';

export type TokenKind = 'text' | 'string' | 'and' | 'or' | 'not' | 'op' | 'lparen' | 'rparen' | 'comma' | 'dot' | 'star' | 'minus' | 'eof';

export interface Token extends Position {
  readonly kind: TokenKind;
  /** The token as written (a string with its quotes). */
  readonly raw: string;
  /** A string's decoded value; the operator for `op`; else `raw`. */
  readonly value: string;
  /** Offsets in the filter text: [start, end). */
  readonly start: number;
  readonly end: number;
  /** Whitespace or a comment separates it from the token before. */
  readonly spaceBefore: boolean;
}

/** Google's 400 for a filter it cannot parse; `token` is the offending token as written. */
export class FilterSyntaxError extends Error {
  override readonly name = 'FilterSyntaxError';
  constructor(
    readonly line: number,
    readonly column: number,
    readonly token: string,
  ) {
    super(`Unparseable filter: syntax error at line ${line}, column ${column}, token '${token}'`);
  }
}

const ENDS_TEXT = new Set([...' \t\r\n\f\v"()=!<>:,~.*']);
const WHITESPACE = /[ \t\r\n\f\v]/;
const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', a: '\x07', '\\': '\\', '"': '"', "'": "'", '?': '?' };

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let spaceBefore = false;
  const at = (offset: number): Position => ({ line, column: offset - lineStart + 1 });
  const push = (kind: TokenKind, start: number, end: number, value?: string, pos: Position = at(start)): void => {
    const raw = text.slice(start, end);
    tokens.push({ kind, raw, value: value ?? raw, start, end, spaceBefore, ...pos });
    spaceBefore = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (WHITESPACE.test(c)) {
      if (c === '\n') {
        line++;
        lineStart = i + 1;
      }
      i++;
      spaceBefore = true;
      continue;
    }
    if (c === '-' && text[i + 1] === '-') {
      while (i < text.length && text[i] !== '\n') i++;
      spaceBefore = true;
      continue;
    }
    const start = i;
    switch (c) {
      case '(':
        push('lparen', i, ++i);
        continue;
      case ')':
        push('rparen', i, ++i);
        continue;
      case ',':
        push('comma', i, ++i);
        continue;
      case '.':
        push('dot', i, ++i);
        continue;
      case '*':
        push('star', i, ++i);
        continue;
      case '-':
        push('minus', i, ++i);
        continue;
      case ':':
        push('op', i, ++i);
        continue;
      case '=':
        i += text[i + 1] === '~' ? 2 : 1;
        push('op', start, i);
        continue;
      case '<':
      case '>':
        i += text[i + 1] === '=' ? 2 : 1;
        push('op', start, i);
        continue;
      case '!':
        if (text[i + 1] === '=' || text[i + 1] === '~') {
          i += 2;
          push('op', start, i);
          continue;
        }
        throw new FilterSyntaxError(line, i - lineStart + 1, '!');
      case '~':
        throw new FilterSyntaxError(line, i - lineStart + 1, '~');
      case '"': {
        const pos = at(i);
        const { value, end, lines, lastLineStart } = readString(text, i, pos);
        i = end;
        push('string', start, end, value, pos);
        if (lines > 0) {
          line += lines;
          lineStart = lastLineStart;
        }
        continue;
      }
    }
    while (i < text.length && !ENDS_TEXT.has(text[i]!)) i++;
    const word = text.slice(start, i);
    push(word === 'AND' ? 'and' : word === 'OR' ? 'or' : word === 'NOT' ? 'not' : 'text', start, i);
  }
  tokens.push({ kind: 'eof', raw: '', value: '', start: text.length, end: text.length, spaceBefore, ...at(text.length) });
  return tokens;
}

/** A double-quoted string from `start` (the quote): its decoded value and where it ends. */
function readString(text: string, start: number, pos: Position): { value: string; end: number; lines: number; lastLineStart: number } {
  let value = '';
  let lines = 0;
  let lastLineStart = 0;
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') return { value, end: i + 1, lines, lastLineStart };
    if (c === '\n') {
      lines++;
      lastLineStart = i + 1;
    }
    if (c !== '\\') {
      value += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) break;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      value += simple;
      i += 2;
    } else if (e === 'x' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      value += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) {
      value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
      i += 6;
    } else if (/[0-7]/.test(e)) {
      const digits = /^[0-7]{1,3}/.exec(text.slice(i + 1))![0];
      value += String.fromCharCode(parseInt(digits, 8));
      i += 1 + digits.length;
    } else {
      // Not an escape Google lists: kept as written, so a regular expression such as "\d+" means what it says.
      value += c + e;
      i += 2;
    }
  }
  throw new FilterSyntaxError(pos.line, pos.column, text.slice(start));
}
