// The Bearer parse remembers the last values it accepted (credential.ts simpleBearer); a remembered value must
// give exactly the answer a fresh parse gives, and a near miss must still get the full parse's answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBearer } from '../src/verify/credential.js';

const jwt = (n: number) => `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI${n}In0.c2lnbmF0dXJl${n}`;

test('a repeated Bearer value gets the same token, also after other values came between', () => {
  for (let i = 0; i < 10; i++) assert.deepEqual(parseBearer('authorization', `Bearer ${jwt(i)}`), { ok: true, token: jwt(i), header: 'authorization' });
  for (let i = 9; i >= 0; i--) assert.deepEqual(parseBearer('authorization', `Bearer ${jwt(i)}`), { ok: true, token: jwt(i), header: 'authorization' });
  // The same value under the other header reports that header.
  assert.deepEqual(parseBearer('x-serverless-authorization', `Bearer ${jwt(9)}`), { ok: true, token: jwt(9), header: 'x-serverless-authorization' });
});

test('values next to a remembered one are parsed in full', () => {
  const token = jwt(1);
  assert.equal(parseBearer('authorization', `Bearer ${token}`).ok, true);
  const near: [string, string][] = [
    [`Bearer ${token},`, 'TOKEN_MALFORMED'],
    [`Bearer ${token}, Bearer ${jwt(2)}`, 'MULTIPLE_CREDENTIALS'],
    [`Basic ${token}`, 'TOKEN_MALFORMED'],
    [`${token}`, 'TOKEN_MALFORMED'],
    ['Bearer ', 'TOKEN_MALFORMED'],
  ];
  for (const [value, code] of near) {
    const r = parseBearer('authorization', value);
    assert.equal(r.ok, false, value);
    assert.equal(!r.ok && r.code, code, value);
  }
  // Extra spaces and another case of the scheme take the full parse and still pass.
  assert.deepEqual(parseBearer('authorization', `bEaReR   ${token} `), { ok: true, token, header: 'authorization' });
});
