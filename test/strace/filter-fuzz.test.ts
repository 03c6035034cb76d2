import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzFilter } from './fuzz-filter.js';

test('-e expression fuzz (slice of npm run fuzz): parse or FilterError, nothing else', () => {
  const r = fuzzFilter(5000, 7);
  assert.deepEqual(r.failures, []);
  assert.equal(r.parsed + r.rejected, 5000);
  assert.ok(r.parsed > 100 && r.rejected > 100, `${r.parsed} parsed, ${r.rejected} rejected`);
});
