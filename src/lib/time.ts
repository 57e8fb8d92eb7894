/** RFC 3339 with whole seconds, as Google's APIs write timestamps: 2026-11-22T12:00:00Z. */
export const rfc3339Seconds = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
