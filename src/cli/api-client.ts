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

/** A refusal's request-log entry (undefined when it cannot be read). */
async function entryOf(id: string | null, headers: Record<string, string>): Promise<{ explanation?: string; remedy?: string; evidence?: { fix?: unknown } } | undefined> {
  if (!id) return undefined;
  try {
    const r = await fetch(`${apiUrl()}/admin/v1/requests/${encodeURIComponent(id)}`, { headers: { ...(headers.authorization ? { authorization: headers.authorization } : {}) } });
    return r.ok ? ((await r.json()) as { explanation?: string; remedy?: string }) : undefined;
  } catch {
    return undefined;
  }
}

/** The request field an INVALID_ARGUMENT names (google.rpc.BadRequest's first field violation). */
function violatedField(body: unknown): string | undefined {
  const details = (body as { error?: { details?: { '@type'?: string; fieldViolations?: { field?: string }[] }[] } })?.error?.details ?? [];
  return details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.BadRequest')?.fieldViolations?.[0]?.field;
}

/**
 * Which command-line flag (as given, e.g. "--as nobody") set each request field: a refusal naming such a
 * field names the flag instead, and its fix is the thrower's own or "correct the flag" — never the REST-body
 * advice (proto3 JSON…), which does not fit a flag.
 */
export type FlagsOfFields = Record<string, string>;

export async function callApi<T = Record<string, unknown>>(method: string, path: string, body?: unknown, flags: FlagsOfFields = {}): Promise<T> {
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
    const entry = denial ? await entryOf(res.headers.get('x-authplane-request-id'), headers) : undefined;
    const field = violatedField(json);
    // scope[2] was set by the flag that set scope.
    const flag = field !== undefined ? (flags[field] ?? flags[field.replace(/\[\d+\]$/, '')]) : undefined;
    if (flag !== undefined) {
      // INVALID_ARGUMENT's general remedy is about REST bodies; a thrower's own fix, or another code's remedy, fits.
      const general = denial === 'INVALID_ARGUMENT' && typeof entry?.evidence?.fix !== 'string';
      const fix = !general && entry?.remedy ? entry.remedy : `correct ${flag.split(' ')[0]}`;
      throw new ApiCallError(res.status, `${flag}: ${msg} (${res.status}${denial ? ` ${denial}` : ''})\n  fix: ${fix}`, denial, json);
    }
    const why = `${entry?.explanation ? `\n  why: ${entry.explanation}` : ''}${entry?.remedy ? `\n  fix: ${entry.remedy}` : ''}`;
    throw new ApiCallError(res.status, `${res.status}: ${msg}${denial ? ` [${denial}]` : ''}${why}`, denial, json);
  }
  return json as T;
}
