// Which credential the Cloud Run invoker check looks at (REFERENCE §1):
// X-Serverless-Authorization wins over Authorization (which then passes to the container untouched);
// more than one value of the header that counts, or more than one token in it, is refused.
//
// Node's parser keeps only the first of duplicated `authorization` headers, so duplicates are counted
// on rawHeaders.

export type CredentialHeader = 'x-serverless-authorization' | 'authorization';

export type Credential =
  | { kind: 'none' }
  | { kind: 'token'; header: CredentialHeader; token: string }
  /** Several values of the header that counts. */
  | { kind: 'multiple'; header: CredentialHeader; count: number; values: string[] }
  /** A scheme other than Bearer (Basic, …). */
  | { kind: 'scheme'; header: CredentialHeader; scheme: string; value: string };

export function pickCredential(rawHeaders: readonly string[]): Credential {
  let xsa: string[] | undefined;
  let auth: string[] | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // Cheap length filter before the case-insensitive compare.
    if (name.length === 13 && name.toLowerCase() === 'authorization') (auth ??= []).push(rawHeaders[i + 1]!);
    else if (name.length === 26 && name.toLowerCase() === 'x-serverless-authorization') (xsa ??= []).push(rawHeaders[i + 1]!);
  }
  const header: CredentialHeader = xsa !== undefined ? 'x-serverless-authorization' : 'authorization';
  const values = (xsa ?? auth)?.filter((v) => v.trim() !== '');
  if (values === undefined || values.length === 0) return { kind: 'none' };
  if (values.length > 1) return { kind: 'multiple', header, count: values.length, values };
  const value = values[0]!.trim();
  const space = value.indexOf(' ');
  const scheme = space < 0 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') return { kind: 'scheme', header, scheme, value };
  const token = value.slice(space + 1).trim();
  if (token === '') return { kind: 'none' };
  return { kind: 'token', header, token };
}
