// The README's tours in reverse order on one fresh demo, then in reverse again: a tour that needs another to
// have run first, or that cannot run twice (a name taken, a binding left behind), fails here.
// readme-tours.test.ts runs them in README order; the gcloud tour runs twice in readme-tours-gcloud.test.ts.

import { after, before, describe, it } from 'node:test';
import { needsGcloud, startReadmeDemo, TOURS, type ReadmeDemo } from './support/readme-demo.js';

describe('README tours in reverse order, twice, on one demo', () => {
  let demo: ReadmeDemo;
  before(async () => (demo = await startReadmeDemo()));
  after(() => demo?.stop());

  const tours = TOURS.filter((t) => !needsGcloud(t)).reverse();
  for (const pass of [1, 2]) for (const tour of tours) it(`pass ${pass}: ${tour.title}`, () => demo.run(tour));
});
