// A fetch-compatible function that adds an ID token for each request's URL. Drop-in for `fetch`:
//   const call = createAuthorizedFetch({ header: 'X-Serverless-Authorization' });
//   const res = await call('https://update-123456789012.us-central1.run.app/orders', { method: 'POST', body });

import { IdTokenClient, type IdTokenClientOptions } from './id-token-client.js';

export type AuthorizedFetch = ((input: string | URL | Request, init?: RequestInit) => Promise<Response>) & {
  /** The client that mints and caches the tokens. */
  readonly client: IdTokenClient;
};

export function createAuthorizedFetch(options: IdTokenClientOptions = {}): AuthorizedFetch {
  const client = new IdTokenClient(options);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const authorized = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : input;
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (client.header === 'Authorization' && headers.has('authorization')) {
      // Overwriting it silently would drop the caller's credential; Cloud Run's answer to this is the other header.
      throw new TypeError(
        'createAuthorizedFetch: the request already carries an Authorization header; pass header: "X-Serverless-Authorization" to send the ID token there and let Authorization reach the service untouched',
      );
    }
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const token = await client.getIdToken(url, signal ? { signal } : {});
    headers.set(client.header, `Bearer ${token}`);
    return fetchImpl(input, { ...init, headers });
  };
  return Object.assign(authorized, { client });
}
