// What the admission decided to change on the request it admits, for the proxy to apply.

export interface HeaderEdits {
  /** The credential header Cloud Run verified: its value goes on with the signature replaced. */
  strippedCredential?: { header: string; token: string };
  /** Lowercase names, or prefixes ending in '*', to drop (the internal marker; a gate's removals). */
  remove?: readonly string[];
  /** Headers to add after removals. */
  set?: Readonly<Record<string, string>>;
}
