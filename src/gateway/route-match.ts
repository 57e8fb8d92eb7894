// Route matching, Apigee-style: routes are tried in the order they are declared and the first whose path
// pattern matches wins (as Apigee evaluates RouteRules in order). Patterns are path segments:
//   /orders/**   /orders and everything below it      (`**` = any number of segments, last only)
//   /orders/*    exactly one segment below /orders     (`*` = one segment)
//   /health      exactly /health
// The literal segments before the first wildcard are the route's base path: like an Apigee proxy's base
// path, they are stripped, and the rest (the path suffix) is appended to the target URL.

import type { GatewayRouteConfig } from '../config/types.js';

export interface CompiledRoute {
  readonly config: GatewayRouteConfig;
  /** e.g. "/orders" for "/orders/**"; "" for "/**". */
  readonly basePath: string;
  readonly regex: RegExp;
}

export interface RouteMatch {
  readonly route: CompiledRoute;
  /** The request path after the base path: "" or "/…". */
  readonly suffix: string;
}

/** Compiles a route's pattern; throws a message naming `where` when the pattern is not usable. */
export function compileRoute(config: GatewayRouteConfig, where: string): CompiledRoute {
  const { path } = config;
  if (!path.startsWith('/')) throw new Error(`${where}.path: ${JSON.stringify(path)} must start with "/" (e.g. /orders/**)`);
  const segments = path.split('/').slice(1);
  const literal: string[] = [];
  let re = '';
  let wild = false;
  segments.forEach((seg, i) => {
    if (seg === '**') {
      if (i !== segments.length - 1) throw new Error(`${where}.path: "**" may only be the last segment of ${path}`);
      re += '(?:/.*)?';
      wild = true;
    } else if (seg === '*') {
      re += '/[^/]+';
      wild = true;
    } else {
      if (seg.includes('*')) throw new Error(`${where}.path: "${seg}" mixes "*" with text; use a whole segment "*" or "**"`);
      const escaped = seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      re += `/${escaped}`;
      if (!wild) literal.push(seg);
    }
  });
  // "/" alone matches only "/"; a trailing slash on a literal pattern is optional.
  const basePath = literal.length ? `/${literal.join('/')}` : '';
  const regex = new RegExp(`^${path === '/' ? '/' : re.replace(/\/$/, '') + (wild ? '' : '/?')}$`);
  return { config, basePath, regex };
}

export function matchRoute(routes: readonly CompiledRoute[], path: string): RouteMatch | undefined {
  for (const route of routes) {
    if (!route.regex.test(path)) continue;
    return { route, suffix: path.slice(route.basePath.length) };
  }
  return undefined;
}
