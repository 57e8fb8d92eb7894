// freshRead (src/lib/fresh-read.ts): callers at the same time share a read, and no caller is answered by a read
// that began before its call (IAM's and service settings' syncs rely on it to acknowledge a change).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshRead } from '../src/lib/fresh-read.js';

/** A read whose every run is held until the test lets it finish; `started` counts runs. */
function heldRead() {
  const finish: ((e?: Error) => void)[] = [];
  const read = freshRead(
    () =>
      new Promise<void>((resolve, reject) => {
        finish.push((e) => (e ? reject(e) : resolve()));
      }),
  );
  return { read, finish, get started() { return finish.length; } };
}

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
};

test('a call while a read is under way is answered by the next read, which starts after it', async () => {
  const r = heldRead();
  const first = r.read();
  assert.equal(r.started, 1);
  const second = r.read();
  const third = r.read();
  assert.equal(second, third, 'callers that arrive during one read share the next');
  assert.equal(r.started, 1, 'the next read waits for the one under way');
  r.finish[0]!();
  await first;
  assert.equal(await settled(second), false, 'the read under way does not answer a later call');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(r.started, 2);
  r.finish[1]!();
  await second;
  // Nothing under way: a call starts a read at once.
  void r.read();
  assert.equal(r.started, 3);
  r.finish[2]!();
});

test('a failed read fails its callers, and the next call reads again', async () => {
  const r = heldRead();
  const first = r.read();
  const second = r.read();
  r.finish[0]!(new Error('store unavailable'));
  await assert.rejects(first, /store unavailable/);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(r.started, 2, 'the queued read runs though the one before it failed');
  r.finish[1]!(new Error('still unavailable'));
  await assert.rejects(second, /still unavailable/);
  const third = r.read();
  assert.equal(r.started, 3);
  r.finish[2]!();
  await third;
});
