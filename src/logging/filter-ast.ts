// The syntax tree of a Logging query language filter, as filter-parser.ts builds it and filter-eval.ts
// evaluates it. Grammar and meaning: https://cloud.google.com/logging/docs/view/logging-query-language
// (REFERENCE §11 LG4) and Google's filtering design, https://google.aip.dev/160.

/** Where a token starts in the filter text: 1-based line and column (in UTF-16 code units). */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** `=`, `!=`, `<`, `<=`, `>`, `>=`, `:` (has), `=~` and `!~` (RE2 regular expressions). */
export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':' | '=~' | '!~';

/** A literal: a quoted string (escapes decoded) or unquoted text such as `cloud_run_revision`, `403`, `2024-01-02`. */
export interface FilterValue {
  readonly text: string;
  readonly quoted: boolean;
  readonly at: Position;
}

/** A field path such as `resource.labels.service_name` or `labels."authplane.dev/denial"`: its components, unquoted. */
export interface FieldPath {
  readonly parts: readonly string[];
  /** The path as written, for messages. */
  readonly text: string;
  readonly at: Position;
}

/** The right-hand side of a comparison: one value, `*` (after `:`, "is present"), or a Boolean combination of values. */
export type ValueExpr =
  | { readonly kind: 'value'; readonly value: FilterValue }
  | { readonly kind: 'present' }
  | { readonly kind: 'and' | 'or'; readonly items: readonly ValueExpr[] }
  | { readonly kind: 'not'; readonly item: ValueExpr };

/** A function argument: a field path or a value, decided by the function (`sample(insertId, 0.25)`), or a call (`TIMEZONE("UTC")`). */
export type CallArg =
  | { readonly kind: 'path'; readonly path: FieldPath }
  | { readonly kind: 'value'; readonly value: FilterValue }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly CallArg[] };

export type FilterNode =
  | { readonly kind: 'and' | 'or'; readonly items: readonly FilterNode[] }
  | { readonly kind: 'not'; readonly item: FilterNode }
  /** A value on its own: a global restriction, true when any field of the entry has it (`:`). */
  | { readonly kind: 'search'; readonly value: FilterValue }
  | { readonly kind: 'compare'; readonly path: FieldPath; readonly op: Comparator; readonly arg: ValueExpr }
  /** A function; `compare` when its result is compared (`cast(timestamp, STRING) =~ "^2023"`). */
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly CallArg[]; readonly at: Position; readonly compare?: { readonly op: Comparator; readonly arg: ValueExpr } };
