// Field checks Pub/Sub's topics and subscriptions share: labels and update masks.

import { invalidArgument } from '../apis/errors.js';

const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

/** Labels as Google allows them (lowercase keys starting with a letter, ≤ 63 characters, ≤ 64 labels). */
export function checkLabels(v: unknown, field: string): Record<string, string> {
  const labels = (v ?? {}) as Record<string, string>;
  const entries = Object.entries(labels);
  if (entries.length > 64) throw invalidArgument(`Too many labels: at most 64 are allowed (got ${entries.length}).`, field);
  for (const [k, val] of entries) {
    if (!LABEL_KEY.test(k) || !LABEL_VALUE.test(val)) {
      throw invalidArgument(`Invalid label "${k}": "${val}". Keys start with a lowercase letter; keys and values hold lowercase letters, digits, underscores and dashes, at most 63 characters.`, `${field}.${k}`);
    }
  }
  return { ...labels };
}

const camelToSnake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** An update mask's paths in snake_case (clients send either spelling); Google requires a non-empty mask. */
export function maskPaths(mask: unknown): string[] {
  const paths = ((mask as { paths?: string[] } | undefined)?.paths ?? []).flatMap((p) => p.split(',')).map((p) => camelToSnake(p.trim())).filter(Boolean);
  if (paths.length === 0) throw invalidArgument('The update_mask must be specified and non-empty.', 'update_mask');
  return paths;
}
