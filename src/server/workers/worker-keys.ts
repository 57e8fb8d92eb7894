// A front-door worker's copy of the key ring's public keys, for its verifier (admission/tokens.ts): loaded
// from the primary at start and again when a token names a kid it does not know (a rotation). Private keys
// never leave the primary.

import { createPublicKey, type KeyObject } from 'node:crypto';
import type { PublicKeyRing } from '../../verify/keys.js';
import type { PublicKeyRecord } from './protocol.js';

interface Loaded {
  record: PublicKeyRecord;
  publicKey: KeyObject;
}

export class WorkerKeys implements PublicKeyRing {
  private byKid = new Map<string, Loaded>();

  constructor(
    private readonly fetch: () => Promise<PublicKeyRecord[]>,
    initial: PublicKeyRecord[],
  ) {
    this.load(initial);
  }

  byId(kid: string): Loaded | undefined {
    return this.byKid.get(kid);
  }

  kids(): string[] {
    return [...this.byKid.keys()];
  }

  async reload(): Promise<void> {
    this.load(await this.fetch());
  }

  private load(records: PublicKeyRecord[]): void {
    const next = new Map<string, Loaded>();
    for (const record of records) {
      const known = this.byKid.get(record.kid);
      next.set(record.kid, { record, publicKey: known?.record.publicPem === record.publicPem ? known.publicKey : createPublicKey(record.publicPem) });
    }
    this.byKid = next;
  }
}
