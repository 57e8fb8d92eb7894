// Opaque, tamper-proof values for IAP's cookies and sign-in hand-offs: AES-256-GCM with a key kept in
// the store, so every authplane process on one database opens what another sealed (a session cookie
// set by one process is valid on all of them). Each value is bound to a purpose (GCM's associated
// data), so a consent cookie can never be replayed as a session cookie or an authorization code.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';

export type SealPurpose = 'session' | 'xsrf' | 'consent' | 'code' | 'pending';

const SETTING_KEY = 'iap-seal-key';
const VERSION = 'v1';

export class Sealer {
  private constructor(private readonly key: Buffer) {}

  /** The emulator's sealing key: created once per store, shared by every process. */
  static async open(store: Store): Promise<Sealer> {
    const b64 = await store.getOrCreateSetting(SETTING_KEY, randomBytes(32).toString('base64url'));
    const key = Buffer.from(b64, 'base64url');
    if (key.length !== 32) throw new Error(`store setting ${SETTING_KEY} is not a 32-byte key`);
    return new Sealer(key);
  }

  seal(purpose: SealPurpose, value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${VERSION}:${purpose}`));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The sealed value, or undefined when it was not sealed by this emulator for `purpose` (or was altered). */
  open<T>(purpose: SealPurpose, sealed: string | undefined): T | undefined {
    if (!sealed || !sealed.startsWith(`${VERSION}.`) || sealed.length > 8192) return undefined;
    const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64url');
    if (raw.length < 12 + 16 + 1) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(`${VERSION}:${purpose}`));
      decipher.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      return JSON.parse(text) as T;
    } catch {
      return undefined;
    }
  }
}
