// Where the package's files are served (setAssetBase / the assetBase option), in each browser:
// a base that holds the package runs it — threads included, the Worker and the threads started
// from that base — and a base without it fails fast with a NETWORK error naming the URL and the
// option, instead of hanging.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browsersUnderTest, openBrowser, serve } from '../../tools/browsers.mjs';

let server;

before(async () => {
  server = await serve();
});

after(() => {
  server?.stop();
});

for (const name of browsersUnderTest()) {
  describe(`${name}: asset base`, () => {
    let browser;
    before(async () => { browser = await openBrowser(name); });
    after(async () => { await browser?.close(); });

    test(`${name}: assetBase naming a copy of the package runs it (threads where the browser has them)`, async () => {
      const page = await browser.newPage(`${server.base}blank.html`);
      const r = await page.evaluate(async () => {
        const { MobileNet } = await import('/pkg/index.js');
        const net = await MobileNet.load('/models/mobilenet_v1_0.25_128_quant.tflite', { assetBase: '/pkg/', threads: 2 });
        const out = await net.infer(new Uint8Array(128 * 128 * 3));
        const { backend, threads } = net.info;
        net.dispose();
        return { backend, threads, outLength: out.length, sab: typeof SharedArrayBuffer !== 'undefined' };
      });
      await page.close();
      assert.equal(r.outLength, 1001);
      if (r.sab) {
        assert.match(r.backend, /^threads/);
        assert.equal(r.threads, 2);
      }
    });

    test(`${name}: an assetBase without the package's files is a NETWORK error naming the URL and the option`, async () => {
      const page = await browser.newPage(`${server.base}blank.html`);
      const r = await page.evaluate(async () => {
        const { MobileNet } = await import('/pkg/index.js');
        const started = performance.now();
        try {
          await MobileNet.load('/models/mobilenet_v1_0.25_128_quant.tflite', { assetBase: '/nowhere/', threads: 1 });
          return { loaded: true };
        } catch (e) {
          return { name: e.name, code: e.code, url: e.url, status: e.status, message: e.message, ms: performance.now() - started };
        } finally {
          // Later tests in this page must not inherit the bad base.
          (await import('/pkg/index.js')).setAssetBase(null);
        }
      });
      await page.close();
      assert.equal(r.name, 'MobileNetError', JSON.stringify(r));
      assert.equal(r.code, 'NETWORK');
      assert.match(r.url, /\/nowhere\/.*\.wasm$/);
      assert.equal(r.status, 404);
      assert.match(r.message, /setAssetBase|assetBase/);
      assert.ok(r.ms < 10_000);
    });
  });
}
