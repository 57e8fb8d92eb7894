// The front door reads its credential with the shared rule (verify/credential.ts: X-Serverless-Authorization
// wins over Authorization; several values or several tokens are refused), from one scan of rawHeaders:
// Node's parser keeps only the first of duplicated `authorization` headers, so duplicates are counted here.

import type { HeaderGetter } from '../verify/credential.js';

export function rawCredentialHeaders(rawHeaders: readonly string[]): HeaderGetter {
  let xsa: string[] | undefined;
  let auth: string[] | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // Cheap length filter before the case-insensitive compare.
    if (name.length === 13 && name.toLowerCase() === 'authorization') (auth ??= []).push(rawHeaders[i + 1]!);
    else if (name.length === 26 && name.toLowerCase() === 'x-serverless-authorization') (xsa ??= []).push(rawHeaders[i + 1]!);
  }
  return (name) => (name === 'authorization' ? auth : name === 'x-serverless-authorization' ? xsa : undefined);
}
