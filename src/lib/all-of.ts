// A check for records written field by field (the hot paths do, instead of `{ ...source, more }`: see
// docs/performance.md, "Object literals that begin with a spread"): `{ … } satisfies AllOf<T>` fails to compile
// when a property of T is left out, an optional one too, so a field added to T later cannot be dropped unseen.

/** Every property of T, the optional ones included, with T's own types. */
export type AllOf<T> = { [K in keyof Required<T>]: T[K] };
