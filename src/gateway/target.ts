// Where a matched request goes, and the audience Apigee's useTargetUrl computes for it.
//
// Target URL = the route's target with the request's path suffix appended, and the target's query followed
// by the request's query. useTargetUrl = that URL **without the query but with the path**, exactly as Apigee
// documents (target https://xyz.com, path /foobar → audience https://xyz.com/foobar). For a Cloud Run
// target that means any request path breaks the audience: the classic trap of SCENARIOS row 4b.

export interface TargetRequest {
  /** The URL to call (real-looking: https://update-123….run.app/…), with query. */
  readonly url: string;
  /** What `audience: { useTargetUrl: true }` resolves to for this request. */
  readonly targetUrlAudience: string;
  /** The route's target as configured, without query: the default audience of impersonating routes. */
  readonly configuredTarget: string;
}

function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut < 0 ? url : url.slice(0, cut);
}

export function targetFor(target: string, suffix: string, requestQuery: string): TargetRequest {
  const configuredTarget = withoutQuery(target);
  const hashAt = target.indexOf('#');
  const targetQuery = target.includes('?') ? target.slice(target.indexOf('?') + 1, hashAt < 0 ? undefined : hashAt) : '';
  const path = suffix === '' ? configuredTarget : configuredTarget.replace(/\/+$/, '') + suffix;
  const query = [targetQuery, requestQuery.replace(/^\?/, '')].filter((q) => q !== '').join('&');
  return { url: query ? `${path}?${query}` : path, targetUrlAudience: path, configuredTarget };
}
