// The README's outcome convention (test/support/readme-tour.ts): what a tour's comments promise and what a
// command's output shows, on outputs shaped as curl -i and authplane's verbs print them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatOutcomes, observedOutcomes, parseOutcome, parseTours, type Outcome } from './support/readme-tour.js';

/** The outcomes `text` documents. */
const expected = (text: string): Outcome[] => {
  const e = parseOutcome(text, 1);
  assert.equal(e.kind, 'http');
  return e.kind === 'http' ? e.outcomes : [];
};

describe('README outcome convention', () => {
  it('reads ok, single and repeated outcomes, and refuses anything else', () => {
    assert.deepEqual(parseOutcome(' ok', 1), { kind: 'ok' });
    assert.equal(formatOutcomes(expected('302 TOKEN_MISSING, 401 TOKEN_MISSING')), '302 TOKEN_MISSING, 401 TOKEN_MISSING');
    assert.equal(expected('403 PERMISSION_DENIED ×5').length, 5);
    assert.throws(() => parseOutcome('403 forbidden page', 7), /README.md:7/);
  });

  it('finds the tours and refuses a command whose outcome is not documented', () => {
    const md = ['# x', '## A short tour', '```sh', 'X=1', '# a thing → 200', 'curl -si x', '```', '## Other', '```sh', 'curl y', '```', '## Tour: T', '```sh', 'curl -si z', '```'].join('\n');
    assert.throws(() => parseTours(md), /README.md:14: no documented outcome/);
    const tours = parseTours(md.replace('curl -si z', '# → 404\ncurl -si z'));
    assert.deepEqual(tours.map((t) => [t.title, t.steps.length]), [['A short tour', 2], ['Tour: T', 1]]);
    assert.equal(tours[0]!.steps[0]!.expect, undefined, 'a variable needs no outcome');
  });

  it('sees curl -i responses, two in a row without a newline between, with their x-authplane-denial', () => {
    const out = 'HTTP/1.1 302 Found\r\nlocation: /signin\r\nx-authplane-denial: TOKEN_MISSING\r\n\r\n<a href="/signin">Found</a>HTTP/1.1 401 Unauthorized\r\nX-Authplane-Denial: TOKEN_MISSING\r\n\r\nInvalid IAP credentials: empty token\nHTTP/1.1 200 OK\r\n\r\n{}';
    assert.equal(formatOutcomes(observedOutcomes(out)), '302 TOKEN_MISSING, 401 TOKEN_MISSING, 200');
  });

  it('sees authplane invoke, explain and attempt lines; a mismatch reads differently', () => {
    const invoke = 'GET https://u/  →  http://127.0.0.1:9001/  (service update)\nstatus     403 Forbidden\ntoken      ID token…\nresult     REFUSED 403 PERMISSION_DENIED\ngoogle     …';
    assert.equal(formatOutcomes(observedOutcomes(invoke)), '403 PERMISSION_DENIED');
    assert.equal(formatOutcomes(observedOutcomes('url        https://u/v1\nresult     REFUSED 401 AUDIENCE_MISMATCH\n')), '401 AUDIENCE_MISMATCH');
    const attempts = ['task row5 (failed) → https://u/', '#1   2026-12-01T02:00:00.000Z  403       12.0 ms  PERMISSION_DENIED: …', '     next: 2026-12-01T02:00:00.500Z (backoff 500 ms after failure 1)', '#2   2026-12-01T02:00:00.500Z  200        3.1 ms', 'run 2026-12-01T03:00:00.000Z #1   2026-12-01T03:00:00.000Z  no response   30000.0 ms'].join('\n');
    assert.equal(formatOutcomes(observedOutcomes(attempts)), '403 PERMISSION_DENIED, 200, 0');
    assert.notEqual(formatOutcomes(observedOutcomes(attempts)), formatOutcomes(expected('403 PERMISSION_DENIED ×2')));
  });
});
