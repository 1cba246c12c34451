// A page under a strict Content-Security-Policy (no inline script, no eval, no blob: or data:
// workers) in each browser: `default-src 'self'; script-src 'self' 'wasm-unsafe-eval';
// worker-src 'self'` runs the package, threads included where the browser has them; with
// workers forbidden (`worker-src 'none'`) loading falls back to one thread (or, for an explicit
// `worker: true`, rejects with a NETWORK error) within seconds — never a hang. A small model,
// which runs on the page's own thread and starts its thread Workers from the page, the same.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browsersUnderTest, openBrowser, serve } from '../../tools/browsers.mjs';

const NO_WORKERS = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'none'";

let strict;
let noWorkers;

before(async () => {
  strict = await serve(['--csp']);
  noWorkers = await serve(['--csp-policy', NO_WORKERS]);
});

after(() => {
  strict?.stop();
  noWorkers?.stop();
});

async function runPage(browser, base, query) {
  const page = await browser.newPage(`${base}csp.html${query}`);
  try {
    return await page.waitFor(() => window.__result, undefined, { timeout: 60_000 });
  } finally {
    await page.close();
  }
}

for (const name of browsersUnderTest()) {
  describe(`${name}: strict Content-Security-Policy`, () => {
    let browser;
    before(async () => { browser = await openBrowser(name); });
    after(async () => { await browser?.close(); });

    test(`${name}: default options classify the cat; threads where the browser has SharedArrayBuffer`, async () => {
      const r = await runPage(browser, strict.base, '');
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.label, 'Egyptian cat');
      if (r.capabilities.sharedArrayBuffer && r.isolated) {
        assert.match(r.backend, /^threads/, `threads under the strict CSP: ${r.threadsReason}`);
        assert.ok(r.threads >= 2);
      } else {
        assert.equal(r.threads, 1);
        assert.ok(r.capabilities.reason, 'says why threads are off');
      }
    });

    test(`${name}: a small model on the page's thread, its threads started from the page, under the strict CSP`, async () => {
      const r = await runPage(browser, strict.base, '?model=mobilenet_v1_0.25_128_quant&threads=2');
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.runsIn, 'caller');
      if (r.capabilities.sharedArrayBuffer && r.isolated) {
        assert.match(r.backend, /^threads/, `threads under the strict CSP: ${r.threadsReason}`);
        assert.equal(r.threads, 2);
      } else {
        assert.equal(r.threads, 1);
      }
    });

    test(`${name}: the Worker form on one thread works under the strict CSP`, async () => {
      const r = await runPage(browser, strict.base, '?worker=1&threads=1');
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.label, 'Egyptian cat');
    });

    test(`${name}: workers forbidden — threads fall back to one thread, worker: true rejects, both within seconds`, async () => {
      const fallback = await runPage(browser, noWorkers.base, '?threads=2');
      assert.equal(fallback.ok, true, JSON.stringify(fallback));
      assert.equal(fallback.label, 'Egyptian cat');
      assert.equal(fallback.threads, 1);
      assert.doesNotMatch(fallback.backend, /threads/);
      if (fallback.capabilities.sharedArrayBuffer && fallback.isolated) {
        assert.match(fallback.threadsReason, /Worker/, 'says the Worker could not start');
      }
      assert.ok(fallback.ms < 20_000, `took ${fallback.ms} ms`);
      // A small model: its threads would start from the page, which may not start Workers either.
      const small = await runPage(browser, noWorkers.base, '?model=mobilenet_v1_0.25_128_quant&threads=2');
      assert.equal(small.ok, true, JSON.stringify(small));
      assert.equal(small.runsIn, 'caller');
      assert.equal(small.threads, 1);
      if (small.capabilities.sharedArrayBuffer && small.isolated) {
        assert.ok(small.threadsReason, 'says why threads are off');
      }
      assert.ok(small.ms < 20_000, `took ${small.ms} ms`);
      const explicit = await runPage(browser, noWorkers.base, '?worker=1&threads=1');
      assert.equal(explicit.ok, false, 'worker: true cannot be had');
      assert.equal(explicit.name, 'MobileNetError');
      assert.equal(explicit.code, 'NETWORK');
      assert.match(explicit.message, /worker\.js/);
      assert.ok(explicit.ms < 25_000, `took ${explicit.ms} ms`);
    });
  });
}
