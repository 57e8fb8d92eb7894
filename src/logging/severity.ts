// google.logging.type.LogSeverity (google/logging/type/log_severity.proto): names and the numbers that
// order them, so `severity>=WARNING` compares by rank.

export const SEVERITIES = {
  DEFAULT: 0,
  DEBUG: 100,
  INFO: 200,
  NOTICE: 300,
  WARNING: 400,
  ERROR: 500,
  CRITICAL: 600,
  ALERT: 700,
  EMERGENCY: 800,
} as const;

export type Severity = keyof typeof SEVERITIES;

/** A severity's rank from its name (any letter case) or number; undefined when it is neither. */
export function severityRank(text: string): number | undefined {
  const upper = text.toUpperCase();
  if (Object.hasOwn(SEVERITIES, upper)) return SEVERITIES[upper as Severity];
  return /^[0-9]+$/.test(text) ? Number(text) : undefined;
}

/**
 * A Cloud Run request log's severity from its HTTP status, as observed in recorded entries (REFERENCE §11
 * LG3: 2xx INFO, 403/404 WARNING, 500 ERROR); Google documents no mapping. Other 4xx are taken as WARNING
 * and other 5xx as ERROR, like their recorded neighbours; anything below 400 is INFO.
 */
export function severityForStatus(status: number): Severity {
  if (status >= 500) return 'ERROR';
  if (status >= 400) return 'WARNING';
  return 'INFO';
}
