// How the dashboard talks to authplane: the admin API and Google's REST APIs on the same origin, as any
// client would. Writes send JSON (the API port refuses other state-changing bodies from a browser).

/** GET `path` as JSON; throws an Error carrying Google's message and authplane's code. */
export async function get(path) {
  return answer(await fetch(path, { headers: { accept: 'application/json' } }), path);
}

/** POST `body` as JSON to `path`. */
export async function post(path, body = {}) {
  return answer(await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) }), path);
}

async function answer(res, path) {
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { text };
  }
  if (!res.ok) {
    const code = res.headers.get('x-authplane-denial');
    const e = new Error(`${path}: ${res.status} ${json?.error?.message ?? text}${code ? ` [${code}]` : ''}`);
    e.status = res.status;
    e.code = code;
    throw e;
  }
  return json;
}

/** Calls `onEntry` with every request-log entry recorded from now on; returns a function that stops. */
export function streamRequests(onEntry, onState) {
  const source = new EventSource('/admin/v1/requests:stream');
  source.addEventListener('request', (ev) => onEntry(JSON.parse(ev.data)));
  source.onopen = () => onState?.('live');
  source.onerror = () => onState?.(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  return () => source.close();
}

/** The short name at the end of a resource name. */
export const lastSegment = (name) => String(name ?? '').split('/').pop();
