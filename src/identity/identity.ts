// Identity: who exists (service accounts, users) and the tokens they get.
// ID tokens carry exactly Google's claims; access tokens are opaque `ya29.` strings recorded in the
// store with principal, scopes and expiry, so any process can resolve them.

import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { AuthplaneConfig } from '../config/types.js';
import { serviceAccountEmail } from '../config/load.js';
import { b64url, signBytes, signJwt, type JwtClaims } from '../lib/jwt.js';
import type { AccessTokenRecord, RefreshTokenRecord, ServiceAccountRecord, SigningKeyRecord, Store } from '../store/store.js';
import { KeyRing } from './keys.js';

export const GOOGLE_ISSUER = 'https://accounts.google.com';
export const IAP_ISSUER = 'https://cloud.google.com/iap';
export const ID_TOKEN_LIFETIME_S = 3600;
export const DEFAULT_SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];
/** gcloud's OAuth client: the audience of `gcloud auth print-identity-token` for users. */
export const GCLOUD_CLIENT_ID = '32555940559.apps.googleusercontent.com';
/** The scopes of gcloud's user credentials (what its refresh grant answers with; REFERENCE §14, gcloud-wire §2a). */
export const GCLOUD_USER_SCOPES = ['openid', 'https://www.googleapis.com/auth/userinfo.email', 'https://www.googleapis.com/auth/cloud-platform'];

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A 21-digit numeric id like Google's service-account unique ids. */
function newUniqueId(): string {
  return `1${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(100)).padStart(2, '0')}`;
}

export interface IdTokenRequest {
  audience: string;
  includeEmail: boolean;
  /** `azp` = the email instead of the unique id (google-auth-library's useEmailAzp). */
  useEmailAzp?: boolean;
  /** Lifetime override, seconds (tests of expiry). */
  lifetimeS?: number;
  /** Issued-at override, epoch seconds (tests of expiry and skew). */
  iat?: number;
  /** Extra claims Google adds for some minters (the `google.compute_engine` claims of a VM's full-format token). */
  extraClaims?: JwtClaims;
}

export interface AccessTokenGrant {
  token: string;
  record: AccessTokenRecord;
}

export class Identity {
  readonly keys: KeyRing;
  private readonly accessTokenCache = new Map<string, AccessTokenRecord>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly saCache = new Map<string, ServiceAccountRecord>();

  constructor(
    private readonly store: Store,
    readonly config: AuthplaneConfig,
    readonly clock: () => number = Date.now,
  ) {
    this.keys = new KeyRing(store, clock);
  }

  get projectId(): string {
    return this.config.project.id;
  }

  /** `generatedKeys`: the platform's signing keys generated ahead (KeyRing.init). */
  async init(generatedKeys?: Promise<SigningKeyRecord[]>): Promise<void> {
    await this.keys.init(generatedKeys);
    for (const sa of this.config.serviceAccounts) await this.createServiceAccount(sa.name, sa.displayName ?? sa.name);
    // The project's implicit accounts: default compute SA and, for IAP in front of Cloud Run, IAP's service agent;
    // Pub/Sub's service agent, which mints push tokens (REFERENCE §9) and may be granted roles like any account.
    await this.createServiceAccount(`${this.config.project.number}-compute@developer.gserviceaccount.com`, 'Default compute service account');
    await this.createServiceAccount(this.iapServiceAgent, 'Cloud IAP Service Agent');
    await this.createServiceAccount(this.pubsubServiceAgent, 'Cloud Pub/Sub Service Account');
  }

  get pubsubServiceAgent(): string {
    return `service-${this.config.project.number}@gcp-sa-pubsub.iam.gserviceaccount.com`;
  }

  get iapServiceAgent(): string {
    return `service-${this.config.project.number}@gcp-sa-iap.iam.gserviceaccount.com`;
  }

  /** The account, created unless it exists (then as it is). */
  createServiceAccount(nameOrEmail: string, displayName: string, description?: string): Promise<ServiceAccountRecord> {
    return this.ensure(nameOrEmail, displayName, description, newUniqueId());
  }

  /**
   * A new account (IAM projects.serviceAccounts.create), or null when one with that email exists already —
   * decided by the store's one insert, so two processes sharing PostgreSQL cannot both create it.
   */
  async addServiceAccount(accountId: string, displayName: string, description?: string): Promise<ServiceAccountRecord | null> {
    const uniqueId = newUniqueId();
    const rec = await this.ensure(accountId, displayName, description, uniqueId);
    return rec.uniqueId === uniqueId ? rec : null;
  }

  private async ensure(nameOrEmail: string, displayName: string, description: string | undefined, uniqueId: string): Promise<ServiceAccountRecord> {
    const email = serviceAccountEmail(nameOrEmail, this.projectId);
    const rec = await this.store.ensureServiceAccount({
      email,
      uniqueId,
      projectId: this.projectId,
      displayName,
      ...(description !== undefined ? { description } : {}),
      disabled: false,
      createdAt: this.clock(),
    });
    this.saCache.set(rec.email, rec);
    this.saCache.set(rec.uniqueId, rec);
    return rec;
  }

  /** By email or unique id; null when it does not exist. */
  async findServiceAccount(emailOrId: string): Promise<ServiceAccountRecord | null> {
    const cached = this.saCache.get(emailOrId);
    if (cached) return cached;
    const rec = await this.store.findServiceAccount(emailOrId);
    if (rec) {
      this.saCache.set(rec.email, rec);
      this.saCache.set(rec.uniqueId, rec);
    }
    return rec;
  }

  listServiceAccounts(): Promise<ServiceAccountRecord[]> {
    return this.store.listServiceAccounts();
  }

  /** A Google ID token for a service account, with exactly Google's claims (REFERENCE §4). */
  async mintIdToken(sa: ServiceAccountRecord, req: IdTokenRequest): Promise<string> {
    await this.keys.refresh();
    const iat = req.iat ?? Math.floor(this.clock() / 1000);
    const claims: JwtClaims = { aud: req.audience, azp: req.useEmailAzp ? sa.email : sa.uniqueId };
    if (req.includeEmail) {
      claims.email = sa.email;
      claims.email_verified = true;
    }
    claims.exp = iat + (req.lifetimeS ?? ID_TOKEN_LIFETIME_S);
    claims.iat = iat;
    claims.iss = GOOGLE_ISSUER;
    claims.sub = sa.uniqueId;
    if (req.extraClaims) Object.assign(claims, req.extraClaims);
    const key = this.keys.signingKey('RS256');
    return signJwt({ alg: 'RS256', kid: key.record.kid, typ: 'JWT' }, claims, key.privateKey);
  }

  /**
   * A Google ID token for a user signed in to OAuth client `clientId` (what the token endpoint's refresh grant
   * returns with the access token): aud = azp = the client, `at_hash` binds it to `accessToken` (OIDC Core
   * §3.1.3.6). Claims in the order recorded from `gcloud auth print-identity-token` (REFERENCE §14).
   */
  async mintUserIdToken(email: string, clientId: string, accessToken: string): Promise<string> {
    await this.keys.refresh();
    const iat = Math.floor(this.clock() / 1000);
    const atHash = createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
    const claims: JwtClaims = { iss: GOOGLE_ISSUER, azp: clientId, aud: clientId, sub: this.userId(email), email, email_verified: true, at_hash: atHash, iat, exp: iat + ID_TOKEN_LIFETIME_S };
    const key = this.keys.signingKey('RS256');
    return signJwt({ alg: 'RS256', kid: key.record.kid, typ: 'JWT' }, claims, key.privateKey);
  }

  /** A refresh token for `principal` (user:EMAIL) and OAuth client `clientId`, stored hashed. */
  async issueRefreshToken(principal: string, clientId: string, scopes: string[] = GCLOUD_USER_SCOPES): Promise<string> {
    // Google's refresh tokens start "1//" (the verifier and gcloud treat them as opaque).
    const token = `1//${b64url(randomBytes(48))}`;
    await this.store.putRefreshToken({ tokenHash: sha256Hex(token), principal, clientId, scopes, createdAt: this.clock() });
    return token;
  }

  /** The record of a refresh token this emulator issued, or null. */
  resolveRefreshToken(token: string): Promise<RefreshTokenRecord | null> {
    return this.store.getRefreshToken(sha256Hex(token));
  }

  /** A stable numeric id for a user, like Google's account ids. */
  userId(email: string): string {
    return String(BigInt('0x' + sha256Hex(email).slice(0, 15)));
  }

  /** An opaque access token recorded in the store. `principal` is an IAM member string. */
  async mintAccessToken(principal: string, scopes: string[] = DEFAULT_SCOPES, lifetimeS = 3600): Promise<AccessTokenGrant> {
    const token = `ya29.c.${b64url(randomBytes(96))}`;
    const now = this.clock();
    const record: AccessTokenRecord = { tokenHash: sha256Hex(token), principal, scopes, issuedAt: now, expiresAt: now + lifetimeS * 1000 };
    await this.store.putAccessToken(record);
    this.remember(record);
    return { token, record };
  }

  private remember(rec: AccessTokenRecord): void {
    if (this.accessTokenCache.size >= 10_000) this.accessTokenCache.clear();
    this.accessTokenCache.set(rec.tokenHash, rec);
  }

  /** Deletes expired access tokens every `intervalMs`, from the store and from memory (until `stop`). */
  startSweeping(intervalMs = 10 * 60_000): void {
    this.sweeper = setInterval(() => void this.sweep().catch((e: unknown) => console.error('authplane: sweeping expired access tokens:', e)), intervalMs);
    this.sweeper.unref();
  }

  /** Forgets expired access tokens; returns how many the store deleted. */
  async sweep(): Promise<number> {
    const now = this.clock();
    for (const [hash, rec] of this.accessTokenCache) if (rec.expiresAt <= now) this.accessTokenCache.delete(hash);
    return this.store.deleteExpiredAccessTokens(now);
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /** The record of a live access token, or null (unknown, or expired). */
  async resolveAccessToken(token: string): Promise<AccessTokenRecord | null> {
    const hash = sha256Hex(token);
    let rec = this.accessTokenCache.get(hash) ?? null;
    if (!rec) {
      rec = await this.store.getAccessToken(hash);
      if (rec) this.remember(rec);
    }
    if (!rec || rec.expiresAt <= this.clock()) return null;
    return rec;
  }

  /** signJwt: the service account's key signs caller-provided claims (RS256, Google's kid). */
  /** Signed with the account's own key, as on Google: Cloud Run refuses such JWTs, IAP accepts them. */
  async signJwtFor(sa: ServiceAccountRecord, claims: JwtClaims): Promise<{ keyId: string; signedJwt: string }> {
    const key = await this.keys.serviceAccountKey(sa.email);
    return { keyId: key.record.kid, signedJwt: signJwt({ alg: 'RS256', kid: key.record.kid, typ: 'JWT' }, claims, key.privateKey) };
  }

  async signBlobFor(sa: ServiceAccountRecord, payload: Buffer): Promise<{ keyId: string; signedBlob: string }> {
    const key = await this.keys.serviceAccountKey(sa.email);
    return { keyId: key.record.kid, signedBlob: signBytes('RS256', payload, key.privateKey).toString('base64') };
  }
}
