// Writes the code and hint tables of docs/refusal-codes.md from the one source, src/verify/codes.ts
// (compiled: run after `npm run build`).  node scripts/refusal-codes-doc.mjs [--check]
// --check exits 1 when the docs differ from what the table says (test/verify-codes.test.ts runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import { REFUSAL_CODES, REFUSAL_CODE_NAMES } from '../dist/src/verify/codes.js';

const SURFACE_NAMES = { run: 'Cloud Run', iap: 'IAP', api: 'API', metadata: 'metadata server', oauth: 'OAuth', gateway: 'gateway' };
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function codeRows() {
  const rows = ['| code | where, Google status | Google message | what it means | remedy |', '|---|---|---|---|---|'];
  for (const code of REFUSAL_CODE_NAMES) {
    const spec = REFUSAL_CODES[code];
    const answers = Object.entries(SURFACE_NAMES).filter(([s]) => spec.google[s]).map(([s, name]) => [name, spec.google[s]]);
    const statuses = answers.map(([name, a]) => `${name} ${a.status}${a.rpcStatus ? ` ${a.rpcStatus}` : ''}`).join('<br>');
    // A product with words of its own (messageByDomain) is listed after the general answer, by its API.
    const messages = answers
      .flatMap(([name, a]) => [`${name}: \`${cell(a.message)}\``, ...Object.entries(a.messageByDomain ?? {}).map(([domain, m]) => `${name} (${domain}): \`${cell(m)}\``)])
      .join('<br>');
    rows.push(`| \`${code}\` | ${statuses} | ${messages} | ${cell(spec.summary)} | ${cell(spec.remedy)} |`);
  }
  return rows.join('\n');
}

function hintRows() {
  const rows = ['| hint | explanation | remedy |', '|---|---|---|'];
  for (const [hint, h] of Object.entries(REFUSAL_CODES.AUDIENCE_MISMATCH.hints)) rows.push(`| \`${hint}\` | ${cell(h.explanation ?? '')} | ${cell(h.remedy)} |`);
  rows.push('| `other` | The audience is none of the above. | (the code\'s general remedy) |');
  return rows.join('\n');
}

function otherHintRows() {
  const rows = ['| code | hint | explanation | remedy |', '|---|---|---|---|'];
  for (const code of REFUSAL_CODE_NAMES) {
    if (code === 'AUDIENCE_MISMATCH') continue;
    for (const [hint, h] of Object.entries(REFUSAL_CODES[code].hints ?? {})) rows.push(`| \`${code}\` | \`${hint}\` | ${cell(h.explanation ?? REFUSAL_CODES[code].explanation)} | ${cell(h.remedy)} |`);
  }
  return rows.join('\n');
}

const file = new URL('../docs/refusal-codes.md', import.meta.url);
const docs = readFileSync(file, 'utf8');
const replaceTable = (text, header, rows) => {
  const start = text.indexOf(header);
  if (start < 0) throw new Error(`docs/refusal-codes.md has no table starting "${header}"`);
  let end = text.indexOf('\n\n', start);
  if (end < 0) end = text.length;
  return text.slice(0, start) + rows + text.slice(end);
};
let next = replaceTable(docs, '| code |', codeRows());
next = replaceTable(next, '| hint |', hintRows());
next = replaceTable(next, '| code | hint |', otherHintRows());
if (process.argv.includes('--check')) {
  if (next !== docs) {
    console.error('docs/refusal-codes.md is out of date with src/verify/codes.ts: run `npm run build && node scripts/refusal-codes-doc.mjs`');
    process.exit(1);
  }
} else {
  writeFileSync(file, next);
  console.log('wrote docs/refusal-codes.md');
}
