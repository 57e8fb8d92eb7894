// Signing keys: one active RS256 key for Google ID tokens, one active ES256 key for IAP assertions.
// Keys persist in the store, so every process of one emulator signs and publishes the same keys.
// A rotated-out key stays published until every token it signed has expired.

import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);
import type { SigningAlg, SigningKeyRecord, Store } from '../store/store.js';

/** The longest a token signed by a key may live: ID tokens 1 h, IAP assertions 10 min, signJwt 12 h. */
export const MAX_TOKEN_LIFETIME_MS = 12 * 3600_000;

export interface LoadedKey {
  record: SigningKeyRecord;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JsonWebKey & { kid: string; alg: string; use: string };
}

/** Generates off the main thread (RSA-2048 takes 50-300 ms), so a first start keeps serving meanwhile. */
async function generate(alg: SigningAlg, now: number, owner = ''): Promise<SigningKeyRecord> {
  const pair =
    alg === 'RS256'
      ? await generateKeyPairAsync('rsa', { modulusLength: 2048 })
      : await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  // Google's kids are 40 hex characters for OAuth keys and short base64 strings for IAP keys.
  const kid =
    alg === 'RS256'
      ? createHash('sha1').update(publicPem).update(randomBytes(8)).digest('hex')
      : createHash('sha256').update(publicPem).digest('base64url').slice(0, 6);
  return {
    kid,
    alg,
    owner,
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem,
    createdAt: now,
    retiredAt: null,
    publishedUntil: null,
  };
}

/** The algorithms of the platform's own keys: RS256 signs Google ID tokens, ES256 IAP assertions. */
const PLATFORM_ALGS = ['RS256', 'ES256'] as const;

/**
 * The platform's signing keys, generated now: `authplane start` calls this before loading the rest of authplane
 * when the store will be new, so that a first start's key generation (on the thread pool) overlaps the loading
 * instead of following it; KeyRing.init then stores these rather than generating its own.
 */
export function generatePlatformKeys(now: number): Promise<SigningKeyRecord[]> {
  return Promise.all(PLATFORM_ALGS.map((alg) => generate(alg, now)));
}

function load(record: SigningKeyRecord): LoadedKey {
  const privateKey = createPrivateKey(record.privatePem);
  const publicKey = createPublicKey(record.publicPem);
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: record.kid, alg: record.alg, use: 'sig' };
  return { record, privateKey, publicKey, jwk };
}

export class KeyRing {
  private byKid = new Map<string, LoadedKey>();
  /** Active key per `alg/owner` ('' = the platform). */
  private active = new Map<string, LoadedKey>();
  private lastReload = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Loads the keys, first storing the platform's missing ones: `generated` (generatePlatformKeys) if given, else new ones. */
  async init(generated?: Promise<SigningKeyRecord[]>): Promise<void> {
    const keys = await this.store.listSigningKeys();
    const missing = PLATFORM_ALGS.filter((alg) => !keys.some((k) => k.alg === alg && k.owner === '' && k.retiredAt === null));
    if (missing.length) {
      const candidates = generated ? await generated : await generatePlatformKeys(this.clock());
      for (const candidate of candidates) if ((missing as SigningAlg[]).includes(candidate.alg)) await this.store.ensureActiveSigningKey(candidate);
    }
    await this.reload();
  }

  /** Re-reads keys from the store (another process may have rotated). */
  async reload(): Promise<void> {
    const byKid = new Map<string, LoadedKey>();
    const active = new Map<string, LoadedKey>();
    for (const rec of await this.store.listSigningKeys()) {
      // Reuse the parsed key unless its state changed (a rotation retires it; a deletion unpublishes it).
      const known = this.byKid.get(rec.kid);
      const loaded = known && known.record.retiredAt === rec.retiredAt && known.record.publishedUntil === rec.publishedUntil ? known : load(rec);
      byKid.set(rec.kid, loaded);
      if (rec.retiredAt === null) active.set(`${rec.alg}/${rec.owner}`, loaded);
    }
    this.byKid = byKid;
    this.active = active;
    this.lastReload = this.clock();
  }

  /** Reloads at most every `maxAgeMs`; used before signing so rotations elsewhere are picked up. */
  async refresh(maxAgeMs = 5_000): Promise<void> {
    if (this.clock() - this.lastReload > maxAgeMs) await this.reload();
  }

  /** The platform's key that signs ID tokens (RS256) or IAP assertions (ES256). */
  signingKey(alg: SigningAlg): LoadedKey {
    const key = this.active.get(`${alg}/`);
    if (!key) throw new Error(`no active ${alg} key: KeyRing.init() was not called`);
    return key;
  }

  /** A service account's own RS256 key (signJwt, signBlob), created on first use. */
  async serviceAccountKey(email: string): Promise<LoadedKey> {
    const key = this.active.get(`RS256/${email}`);
    if (key) return key;
    await this.store.ensureActiveSigningKey(await generate('RS256', this.clock(), email));
    await this.reload();
    return this.active.get(`RS256/${email}`)!;
  }

  /** A service account's published keys (what googleapis.com/service_accounts/v1/jwk/EMAIL lists). */
  publishedFor(owner: string): LoadedKey[] {
    return [...this.byKid.values()].filter((k) => k.record.owner === owner && this.isPublished(k));
  }

  /** Every kid known, for change detection. */
  kids(): string[] {
    return [...this.byKid.keys()];
  }

  /** A key by kid, published or not (the verifier decides what a retired key may still verify). */
  byId(kid: string): LoadedKey | undefined {
    return this.byKid.get(kid);
  }

  /** The platform's keys still published for `alg`: the active one and retired ones whose tokens may still be alive. */
  published(alg: SigningAlg): LoadedKey[] {
    return this.publishedFor('').filter((k) => k.record.alg === alg);
  }

  /**
   * A new key-file key for the service account `owner` (IAM keys.create, Google's USER_MANAGED key): published
   * and accepted at the token endpoint until deleted, but never the account's signJwt/signBlob key, which stays
   * system-managed as on Google.
   */
  async addUserManagedKey(owner: string): Promise<LoadedKey> {
    const record: SigningKeyRecord = { ...(await generate('RS256', this.clock(), owner)), userManaged: true };
    await this.store.addUserManagedKey(record);
    await this.reload();
    return this.byKid.get(record.kid)!;
  }

  /** Unpublishes a key from now on (IAM keys.delete): JWKS, the x509 map and the token endpoint drop it. */
  async deleteKey(kid: string): Promise<boolean> {
    const deleted = await this.store.deleteSigningKey(kid, this.clock());
    await this.reload();
    return deleted;
  }

  /** Whether `key` is published now (a deleted key, or a retired one whose tokens have all expired, is not). */
  isPublished(key: LoadedKey): boolean {
    return key.record.publishedUntil === null || key.record.publishedUntil > this.clock();
  }

  /**
   * Rotates the key for `alg` of `owner` ('' = the platform's; a service account email = that account's
   * own signJwt/signBlob key). The retired key stays published while its tokens may live.
   */
  async rotate(alg: SigningAlg, owner = ''): Promise<LoadedKey> {
    const now = this.clock();
    const next = await generate(alg, now, owner);
    await this.store.rotateSigningKey(next, now, now + MAX_TOKEN_LIFETIME_MS);
    await this.reload();
    return this.active.get(`${alg}/${owner}`)!;
  }
}
