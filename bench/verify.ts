// bench/verify: the verifier's two quality bars, side by side in one run (DESIGN.md):
//   uncached RS256 verification ≥ 0.9× bare crypto.verify with a prepared KeyObject;
//   repeated tokens from the verified-token cache ≥ 1 M lookups/s.
// Run: npx tsc -p . && node dist/bench/verify.js [--quick]
// The median round counts. A third line compares with the least any verifier must do (decode the claims and
// the signature, copy the signing input, crypto.verify): the bare baseline gets those bytes prepared, so the
// gap between the two ratios is the cost of reading a token at all (≈ 2–3 µs of ≈ 26 µs for 789-byte tokens).
// The verifier wins ≈ 0.8 µs back by checking RS256 by encode-and-compare (src/verify/rs256.ts) rather
// than through crypto.verify's per-call set-up, so it can beat the minimal line.
// Measured on the 2-core reference machine: 0.92–0.94 vs bare, 1.02–1.03 vs minimal, cached 2.6–3.1 M/s;
// single rounds swing ±0.07 on this VM, so read the median, not a round.

import { generateKeyPairSync, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { signJwt } from '../src/lib/jwt.js';
import { staticKeySource, type VerifyAlgorithm } from '../src/verify/keys.js';
import { Verifier } from '../src/verify/verifier.js';
import { fmtSpread, machineLoad, spread } from './lib/rounds.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 5 : 11;
const TOKENS = quick ? 1_000 : 3_000;
const LOOKUPS = quick ? 200_000 : 1_000_000;

const AUD = 'https://update-123456789012.us-central1.run.app';
const KID = 'c3f2b9a1d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const now = Math.floor(Date.now() / 1000);

function token(i: number): string {
  return signJwt(
    { alg: 'RS256', kid: KID, typ: 'JWT' },
    {
      aud: AUD,
      azp: '104567890123456789012',
      email: 'tasks-invoker@demo-project.iam.gserviceaccount.com',
      email_verified: true,
      exp: now + 3600,
      iat: now,
      iss: 'https://accounts.google.com',
      sub: String(104567890123456789012n + BigInt(i)),
    },
    privateKey,
  );
}

console.log(`bench/verify${quick ? ' (quick)' : ''}: ${ROUNDS} rounds, the compared runners interleaved in chunks of 50 tokens; ${new Date().toISOString()}`);
console.log(`machine before: ${machineLoad()}`);
console.log(`signing ${TOKENS} distinct RS256 tokens…`);
const tokens = Array.from({ length: TOKENS }, (_, i) => token(i));
const prepared = tokens.map((t) => {
  const dot = t.lastIndexOf('.');
  return { data: Buffer.from(t.slice(0, dot)), sig: Buffer.from(t.slice(dot + 1), 'base64url') };
});
const keys = staticKeySource(new Map<string, { alg: VerifyAlgorithm; key: KeyObject }>([[KID, { alg: 'RS256', key: publicKey }]]));
const uncached = new Verifier({ keys, cacheSize: 0 });
const call = { audiences: [AUD] };

/** CPU microseconds used by this process so far. */
function cpuMicros(): bigint {
  const u = process.cpuUsage();
  return BigInt(u.user + u.system);
}

function perSecond(n: number, fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Warm both paths up (JIT) before measuring.
for (let i = 0; i < 300; i++) {
  cryptoVerify('sha256', prepared[i]!.data, publicKey, prepared[i]!.sig);
  if (!uncached.verify(tokens[i]!, call).ok) throw new Error('bench token refused');
}

// The machine may be busy with other work: two runners alternate in chunks of 50 tokens (the order
// flipping each chunk), so that both see the same load, and time is this process's CPU time
// (process.cpuUsage), so time spent descheduled counts for neither. Pairs are compared apart: a third
// runner in the same loop would leave its garbage for the others' collections.
const CHUNK = 50;
type Runner = (from: number, to: number) => void;

/** Per round: tokens/s of each runner and time(a) ÷ time(b). */
function compare(a: Runner, b: Runner): { aRates: number[]; bRates: number[]; ratios: number[] } {
  const out = { aRates: [] as number[], bRates: [] as number[], ratios: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    let aUs = 0n;
    let bUs = 0n;
    for (let c = 0; c < TOKENS; c += CHUNK) {
      const end = Math.min(TOKENS, c + CHUNK);
      const timeA = () => {
        const t0 = cpuMicros();
        a(c, end);
        aUs += cpuMicros() - t0;
      };
      const timeB = () => {
        const t0 = cpuMicros();
        b(c, end);
        bUs += cpuMicros() - t0;
      };
      if ((c / CHUNK) % 2 === 0) {
        timeA();
        timeB();
      } else {
        timeB();
        timeA();
      }
    }
    out.aRates.push(TOKENS / (Number(aUs) / 1e6));
    out.bRates.push(TOKENS / (Number(bUs) / 1e6));
    out.ratios.push(Number(aUs) / Number(bUs));
  }
  return out;
}

const runBare: Runner = (from, to) => {
  for (let i = from; i < to; i++) if (!cryptoVerify('sha256', prepared[i]!.data, publicKey, prepared[i]!.sig)) throw new Error('bare verify failed');
};
const runOurs: Runner = (from, to) => {
  for (let i = from; i < to; i++) if (!uncached.verify(tokens[i]!, call).ok) throw new Error('verify failed');
};
// The least any JWT verifier must do: decode the claims and signature, copy the signing input, verify.
const runMinimal: Runner = (from, to) => {
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    const a = t.indexOf('.');
    const b = t.indexOf('.', a + 1);
    const claims = JSON.parse(Buffer.from(t.slice(a + 1, b), 'base64url').toString('utf8')) as { aud?: unknown };
    if (!cryptoVerify('sha256', Buffer.from(t.slice(0, b), 'latin1'), publicKey, Buffer.from(t.slice(b + 1), 'base64url')) || claims.aud !== AUD) {
      throw new Error('minimal verify failed');
    }
  }
};

const vsBare = compare(runBare, runOurs);
const vsMinimal = compare(runMinimal, runOurs);
const bare = vsBare.aRates;
const ours = vsBare.bRates;
const ratios = vsBare.ratios;
const minimalRatios = vsMinimal.ratios;

// Cached: every lookup gets a fresh string, as an HTTP parser hands the verifier a new header value each time.
const cached = new Verifier({ keys, cacheSize: 10_000 });
const hot = tokens.slice(0, 1000);
for (const t of hot) cached.verify(t, call);
const copies = Array.from({ length: Math.min(LOOKUPS, 200_000) }, (_, i) => Buffer.from(hot[i % hot.length]!).toString('latin1'));
const cachedRates: number[] = [];
for (let r = 0; r < (quick ? 3 : 5); r++) {
  cachedRates.push(
    perSecond(LOOKUPS, () => {
      for (let i = 0; i < LOOKUPS; i++) if (!cached.verify(copies[i % copies.length]!, call).ok) throw new Error('cached verify failed');
    }),
  );
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = median(ratios);
const cachedRate = median(cachedRates);
console.log(`bare crypto.verify RS256 (prepared key, data, signature): ${fmt(median(bare))}/s`);
console.log(`authplane verify, uncached RS256:                        ${fmt(median(ours))}/s`);
console.log(`ratio uncached verify ÷ bare crypto.verify:              ${fmtSpread(spread(ratios), 3)}  (bar ≥ 0.9; median of the rounds, spread in brackets)`);
console.log(`ratio uncached verify ÷ minimal decode+crypto.verify:      ${fmtSpread(spread(minimalRatios), 3)}  (what the checks themselves cost)`);
console.log(`cached verify (verified-token cache, fresh strings):      ${fmt(cachedRate)}/s (${fmt(Math.min(...cachedRates))}–${fmt(Math.max(...cachedRates))})  (bar ≥ 1,000,000/s)`);
console.log(`cache stats: ${JSON.stringify(cached.cacheStats())}`);
const ok = ratio >= 0.9 && cachedRate >= 1_000_000;
console.log(ok ? 'bench/verify: both bars met' : 'bench/verify: a bar is NOT met');
console.log(`machine after: ${machineLoad()}`);
process.exitCode = ok ? 0 : 1;
