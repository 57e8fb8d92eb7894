// The README's tours that drive the real Google Cloud CLI (/usr/bin/gcloud), as written, twice on one fresh
// demo (every change they make is undone), gcloud under the gcloud suites' loopback guard. Skipped, loudly,
// where gcloud is not installed. readme-tours.test.ts runs the other tours.

import { after, before, describe, it } from 'node:test';
import { GCLOUD_TOURS_SKIP, needsGcloud, startReadmeDemo, TOURS, type ReadmeDemo } from './support/readme-demo.js';

const tours = TOURS.filter(needsGcloud);
if (GCLOUD_TOURS_SKIP) console.warn(`\n*** ${GCLOUD_TOURS_SKIP} — the README's gcloud tour did not run ***\n`);

describe('README tours that run gcloud, twice, on one demo', { skip: GCLOUD_TOURS_SKIP }, () => {
  let demo: ReadmeDemo;
  before(async () => (demo = await startReadmeDemo()));
  after(() => demo?.stop());

  it('there is one', () => {
    if (tours.length === 0) throw new Error('no README tour runs gcloud');
  });
  for (const pass of [1, 2]) for (const tour of tours) it(`pass ${pass}: ${tour.title} (README line ${tour.line})`, () => demo.run(tour));
});
