// Timestamps and Durations as LogEntry's proto3 JSON writes them and as filters compare them: exact
// instants and lengths in nanoseconds (bigint), so `timestamp>="…"` and `httpRequest.latency>"999ms"`
// compare as times, not as text.

const NS_PER_MS = 1_000_000n;

/**
 * A filter's timestamp: RFC 3339 with `Z` or `±hh:mm` (fractions to the nanosecond), or an ISO 8601
 * date, which means its midnight UTC (REFERENCE §11 LG4 "Searching by time"). A time without a zone
 * is read as UTC. Undefined when the text is neither.
 */
export function parseTimestamp(text: string): bigint | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms) || Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    offsetMinutes = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
  }
  return BigInt(ms) * NS_PER_MS - BigInt(offsetMinutes) * 60_000n * NS_PER_MS + BigInt(frac.padEnd(9, '0') || '0');
}

const DURATION_UNITS: Record<string, bigint> = { ns: 1n, us: 1_000n, µs: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** A duration: a signed decimal and one of ns, us, ms, s, m, h ("3.2s", "999ms"); undefined otherwise. */
export function parseDuration(text: string): bigint | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(ns|us|µs|ms|s|m|h)$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const unit = DURATION_UNITS[m[4]!]!;
  const whole = BigInt(m[2] || '0') * unit;
  const frac = m[3] ?? '';
  // The fraction, in the unit's nanoseconds, truncated below one nanosecond.
  const fracNs = frac === '' ? 0n : (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
  const total = whole + fracNs;
  return m[1] === '-' ? -total : total;
}

/** proto3 JSON Duration for a length in milliseconds (microsecond precision): "0s", "0.5s", "0.112114s". */
export function formatDuration(ms: number): string {
  const totalNs = BigInt(Math.round(ms * 1000)) * 1000n;
  return `${fixed(totalNs)}s`;
}

/** proto3 JSON Timestamp for an instant in nanoseconds: 0, 3, 6 or 9 fractional digits, as Google writes them. */
export function formatTimestamp(ns: bigint): string {
  const ms = ns / NS_PER_MS;
  const iso = new Date(Number(ms)).toISOString(); // …T12:34:56.789Z
  const secondsPart = iso.slice(0, 19);
  const frac = (ns % 1_000_000_000n + 1_000_000_000n) % 1_000_000_000n;
  return `${secondsPart}${fraction(frac)}Z`;
}

/** Nanoseconds since the epoch for an instant in milliseconds (fractions to the microsecond kept). */
export function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

function fixed(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  return `${sign}${abs / 1_000_000_000n}${fraction(abs % 1_000_000_000n)}`;
}

function fraction(nanos: bigint): string {
  if (nanos === 0n) return '';
  const nine = nanos.toString().padStart(9, '0');
  if (nine.endsWith('000000')) return `.${nine.slice(0, 3)}`;
  if (nine.endsWith('000')) return `.${nine.slice(0, 6)}`;
  return `.${nine}`;
}
