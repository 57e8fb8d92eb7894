// RS256 by encode-and-compare (src/verify/rs256.ts) must answer exactly as crypto.verify does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { verifyRs256 } from '../src/verify/rs256.js';

const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits });

function mutations(data: Buffer, sig: Buffer): [Buffer, Buffer, string][] {
  const out: [Buffer, Buffer, string][] = [];
  for (let i = 0; i < 40; i++) {
    const s = Buffer.from(sig);
    const at = i % s.length;
    s[at] = s[at]! ^ (1 << i % 8);
    out.push([data, s, `signature bit ${i % 8} of byte ${at}`]);
    const d = Buffer.from(data);
    d[i % d.length] = d[i % d.length]! ^ 1;
    out.push([d, sig, `data byte ${i % d.length}`]);
  }
  out.push([data, sig.subarray(1), 'signature one byte short']);
  out.push([data, Buffer.concat([Buffer.alloc(1), sig]), 'signature with a leading zero byte']);
  out.push([data, Buffer.alloc(sig.length, 0xff), 'signature above the modulus']);
  out.push([data, Buffer.alloc(sig.length), 'all-zero signature']);
  out.push([data, Buffer.alloc(0), 'empty signature']);
  return out;
}

test('agrees with crypto.verify on good signatures and every mutation, for 2048/3072/4096-bit keys', () => {
  for (const bits of [2048, 3072, 4096]) {
    const { privateKey, publicKey } = rsa(bits);
    for (let n = 0; n < 5; n++) {
      const data = randomBytes(100 + n * 97);
      const sig = sign('sha256', data, privateKey);
      assert.equal(verifyRs256(publicKey, data, sig), true, `${bits}-bit good signature`);
      for (const [d, s, what] of mutations(data, sig)) {
        assert.equal(verifyRs256(publicKey, d, s), verify('sha256', d, publicKey, s), `${bits}-bit: ${what}`);
        assert.equal(verifyRs256(publicKey, d, s), false, `${bits}-bit: ${what} must be refused`);
      }
    }
  }
});

test('refuses signatures of another kind by the same key: SHA-1, SHA-512, PSS', () => {
  const { privateKey, publicKey } = rsa(2048);
  const data = Buffer.from('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0');
  assert.equal(verifyRs256(publicKey, data, sign('sha1', data, privateKey)), false, 'SHA-1 DigestInfo');
  assert.equal(verifyRs256(publicKey, data, sign('sha512', data, privateKey)), false, 'SHA-512 DigestInfo');
  const pss = sign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING });
  assert.equal(verifyRs256(publicKey, data, pss), false, 'PSS');
  // Another key's good signature.
  assert.equal(verifyRs256(rsa(2048).publicKey, data, sign('sha256', data, privateKey)), false, 'another key');
});

test('keys from JWK and PEM, and scratch-buffer views, verify the same', () => {
  const { privateKey, publicKey } = rsa(2048);
  const data = randomBytes(300);
  const sig = sign('sha256', data, privateKey);
  const fromJwk: KeyObject = createPublicKey({ key: publicKey.export({ format: 'jwk' }), format: 'jwk' });
  const fromPem: KeyObject = createPublicKey(publicKey.export({ format: 'pem', type: 'spki' }));
  const scratch = Buffer.alloc(4096);
  data.copy(scratch, 0);
  sig.copy(scratch, 1024);
  for (const key of [fromJwk, fromPem]) {
    assert.equal(verifyRs256(key, scratch.subarray(0, data.length), scratch.subarray(1024, 1024 + sig.length)), true);
    assert.equal(verifyRs256(key, scratch.subarray(0, data.length - 1), scratch.subarray(1024, 1024 + sig.length)), false);
  }
});

test('a key that is not RSA falls back to crypto.verify', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('x');
  assert.equal(verifyRs256(publicKey, data, sign('sha256', data, privateKey)), true, 'what crypto.verify says of an ECDSA signature');
  assert.equal(verifyRs256(publicKey, data, Buffer.alloc(256)), false);
});
