// How CLI verbs talk to a running authplane: its REST API at $AUTHPLANE_URL, as the default
// principal unless $AUTHPLANE_ACCESS_TOKEN is set.

export const apiUrl = (): string => (process.env.AUTHPLANE_URL ?? 'http://127.0.0.1:8930').replace(/\/$/, '');

export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly denial: string | null,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** "why" and "fix" lines for a refusal, from its request-log entry ('' when it cannot be read). */
async function explanationOf(id: string | null, headers: Record<string, string>): Promise<string> {
  if (!id) return '';
  try {
    const r = await fetch(`${apiUrl()}/admin/v1/requests/${encodeURIComponent(id)}`, { headers: { ...(headers.authorization ? { authorization: headers.authorization } : {}) } });
    if (!r.ok) return '';
    const e = (await r.json()) as { explanation?: string; remedy?: string };
    return `${e.explanation ? `\n  why: ${e.explanation}` : ''}${e.remedy ? `\n  fix: ${e.remedy}` : ''}`;
  } catch {
    return '';
  }
}

export async function callApi<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (process.env.AUTHPLANE_ACCESS_TOKEN) headers.authorization = `Bearer ${process.env.AUTHPLANE_ACCESS_TOKEN}`;
  let res: Response;
  try {
    res = await fetch(apiUrl() + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (e) {
    throw new Error(`cannot reach authplane at ${apiUrl()} (${(e as Error).cause ? String((e as { cause: unknown }).cause) : (e as Error).message}): is 'authplane start' running? Set AUTHPLANE_URL if it listens elsewhere.`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = text;
  }
  if (!res.ok) {
    const msg = (json as { error?: { message?: string } })?.error?.message ?? text;
    const denial = res.headers.get('x-authplane-denial');
    const why = denial ? await explanationOf(res.headers.get('x-authplane-request-id'), headers) : '';
    throw new ApiCallError(res.status, `${res.status}: ${msg}${denial ? ` [${denial}]` : ''}${why}`, denial, json);
  }
  return json as T;
}
