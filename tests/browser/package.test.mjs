// The package's browser features in Chromium, Firefox ESR and WebKitGTK (tools/browsers.mjs;
// $MOBILENET_BROWSERS picks some): the Worker form (frames transferred), the model zoo with the
// Cache API (a reload does not download again), typed errors across the Worker, a trap inside
// the Worker restarting it (with the engine the page compiled: not downloaded again).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browsersUnderTest, openBrowser, serve } from '../../tools/browsers.mjs';

let server;

before(async () => {
  server = await serve();
});

after(async () => {
  server?.stop();
});

for (const name of browsersUnderTest()) {
  describe(name, () => {
    let opened;
    before(async () => { opened = await openBrowser(name); });
    after(async () => { await opened?.close(); });
    tests(name, () => opened);
  });
}

/** In the page, before the package is imported: every Worker it starts goes into
 *  `globalThis.startedWorkers` (to raise an error event on the model's own), and none starts
 *  while `globalThis.refuseWorkers` is set. */
const RECORD_WORKERS = () => {
  globalThis.startedWorkers = [];
  globalThis.refuseWorkers = false;
  const Native = Worker;
  globalThis.Worker = class extends Native {
    constructor(...args) {
      if (globalThis.refuseWorkers) throw new Error('refused by the test');
      super(...args);
      globalThis.startedWorkers.push(this);
    }
  };
};

/** The tests, for one browser (browser() gives it once opened). */
function tests(name, browser) {
  test(`[${name}] worker: true runs the same API in a module Worker; errors keep their codes`, async () => {
    const page = await browser().newPage(server.base);
    const r = await page.evaluate(async () => {
      const { MobileNet } = await import('/pkg/index.js');
      const img = await createImageBitmap(await (await fetch('/images/cat.bmp')).blob());
      const net = await MobileNet.load('/models/mobilenet_v1_1.0_224_quant.tflite', { worker: true, threads: 1 });
      const top = await net.classify(img, { topK: 3 });
      const features = await net.embed(img);
      const frame = { data: new Uint8Array(8 * 8 * 4).fill(100), width: 8, height: 8 };
      await net.classify(frame);
      const keptByCaller = frame.data.length;
      let code = null;
      try { await net.infer(new Uint8Array(5)); } catch (e) { code = `${e.name}:${e.code}`; }
      // Overlapping calls queue and settle in the order they were made, across the Worker.
      const order = [];
      const calls = [net.classify(img, { topK: 1 }), net.setResolution(160), net.classify(img, { topK: 2 }),
        net.infer(new Uint8Array(5)), net.classify(img, { topK: 3, allow: ['tiger cat', 'tabby, tabby cat'] })]
        .map((p, i) => p.then((v) => { order.push(i); return v; }, (e) => { order.push(i); return e.code; }));
      const queued = await Promise.all(calls);
      const info = net.info;
      const last = net.classify(img);
      net.dispose();
      let disposed = null;
      try { await net.classify(img); } catch (e) { disposed = e.code; }
      let queuedAtDispose = null;
      try { await last; queuedAtDispose = 'resolved'; } catch (e) { queuedAtDispose = e.code; }
      return { top, featureCount: features.length, keptByCaller, code, order, queued, info, disposed, queuedAtDispose };
    });
    assert.equal(r.top[0].label, 'Egyptian cat');
    assert.equal(r.featureCount, 1024);
    assert.equal(r.keptByCaller, 8 * 8 * 4, "the caller's frame buffer is not detached");
    assert.equal(r.code, 'MobileNetError:INPUT_INVALID');
    assert.deepEqual(r.order, [0, 1, 2, 3, 4], 'overlapping calls settle in call order');
    assert.equal(r.queued[0].length, 1);
    assert.equal(r.queued[2].length, 2);
    assert.equal(r.queued[3], 'INPUT_INVALID', 'a failing call in the queue fails alone');
    assert.deepEqual(r.queued[4].map((c) => c.label), ['tiger cat', 'tabby, tabby cat'], 'allow');
    assert.ok(['resolved', 'INVALID_STATE'].includes(r.queuedAtDispose), r.queuedAtDispose);
    assert.equal(r.info.resolution, 160);
    assert.equal(r.info.threads, 1);
    assert.equal(r.disposed, 'INVALID_STATE');
    await page.close();
  });

  // The server logs a request when its response has finished, on its stdout, which this process
  // reads asynchronously: before counting requests, serve a marker and wait for its line (the
  // lines come in order), so every earlier request is in `server.requests`.
  let markers = 0;
  const logCaughtUp = async () => {
    const marker = `/log-marker-${markers++}`;
    await (await fetch(new URL(marker, server.base))).arrayBuffer();
    for (const t0 = Date.now(); !server.requests.some((r) => r.path === marker);) {
      if (Date.now() - t0 > 10_000) throw new Error('the server\'s request log did not catch up within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  test(`[${name}] fromZoo downloads once: a reload takes the model from the Cache API`, async () => {
    await logCaughtUp();
    const from = server.requests.length;
    const downloads = () => server.requests.slice(from).filter((r) => r.path === '/models/mobilenet_v1_0.25_128_quant.tflite');
    const page = await browser().newPage(server.base);
    const load = () => page.evaluate(async () => {
      const { MobileNet } = await import('/pkg/index.js');
      let progress = 0;
      const net = await MobileNet.fromZoo({ alpha: 0.25, resolution: 128, baseUrl: '/models/', threads: 1, onProgress: () => progress++ });
      const info = net.info;
      net.dispose();
      return { alpha: info.alpha, progress };
    });
    const first = await load();
    assert.equal(first.alpha, 0.25);
    assert.ok(first.progress > 0, 'download progress reported');
    await logCaughtUp();
    assert.equal(downloads().length, 1);
    await page.reload();
    const second = await load();
    assert.equal(second.alpha, 0.25);
    await logCaughtUp();
    assert.equal(downloads().length, 1, 'no second download');
    const missing = await page.evaluate(async () => {
      const { MobileNet } = await import('/pkg/index.js');
      try { await MobileNet.fromZoo({ alpha: 1, resolution: 128, baseUrl: '/models/' }); } catch (e) { return { code: e.code, status: e.status, message: e.message }; }
      return null;
    });
    assert.equal(missing.code, 'NETWORK');
    assert.equal(missing.status, 404);
    assert.match(missing.message, /mobilenet_v1_1\.0_128_quant\.tflite/);
    await page.close();
  });

  test(`[${name}] a trap inside the Worker (out of memory) restarts it; the model keeps working`, async () => {
    await logCaughtUp();
    const from = server.requests.length;
    // An empty page (the demo page loads a model of its own, whose downloads would count too).
    const page = await browser().newPage(new URL('blank.html', server.base).href);
    const r = await page.evaluate(async () => {
      const { MobileNet } = await import('/pkg/index.js');
      const restarts = [];
      const net = await MobileNet.load('/models/mobilenet_v1_0.25_128_float.tflite', {
        worker: true,
        threads: 1,
        // Limits raised so that planning accepts a size whose buffers cannot be allocated.
        limits: { maxResolution: 16384, maxTensorElements: 2 ** 40, maxMacs: 1e15 },
        onRestart: (reason) => restarts.push(reason),
      });
      const img = { data: new Uint8Array(64 * 64 * 4).fill(120), width: 64, height: 64 };
      const before = await net.classify(img);
      let error = null;
      try { await net.setResolution(16384); } catch (e) { error = { code: e.code, restarted: e.restarted, message: e.message }; }
      const after = await net.classify(img);
      const info = net.info;
      net.dispose();
      return { before, after, error, restarts, resolution: info.resolution };
    });
    assert.equal(r.error?.code, 'INVALID_STATE', JSON.stringify(r.error));
    assert.equal(r.error.restarted, true);
    assert.match(r.error.message, /restarted/);
    assert.equal(r.restarts.length, 1);
    assert.equal(r.resolution, 128, 'back at the resolution it had');
    assert.deepEqual(r.after, r.before, 'the restarted engine gives the same answer');
    // The page compiled the Worker's build and handed it over, again to the new Worker.
    await logCaughtUp();
    const wasm = server.requests.slice(from).filter((q) => q.path.endsWith('_bg.wasm')).map((q) => q.path);
    assert.equal(wasm.length, 1, `one download of the engine, not one per Worker (${wasm.join(', ')})`);
    await page.close();
  });

  test(`[${name}] a Worker error with no call in flight: the calls made while its Worker is replaced wait for the new one`, async () => {
    const page = await browser().newPage(new URL('blank.html', server.base).href);
    await page.evaluate(RECORD_WORKERS);
    const r = await page.evaluate(async () => {
      const workers = globalThis.startedWorkers;
      const { MobileNet } = await import('/pkg/index.js');
      const restarts = [];
      const net = await MobileNet.load('/models/mobilenet_v1_0.25_128_quant.tflite', {
        worker: true, threads: 1, onRestart: (reason) => restarts.push(reason),
      });
      const input = new Uint8Array(128 * 128 * 3).map((_, i) => (i * 37) % 256);
      const before = Array.from(await net.infer(input));
      const own = workers.length;
      workers[own - 1].dispatchEvent(new ErrorEvent('error', { message: 'a test error with nothing in flight' }));
      // Made at once, while the new Worker loads the model: they must wait for it, not hang.
      const timeout = new Promise((resolve) => { setTimeout(() => resolve('timed out'), 20000); });
      const calls = Promise.all([net.infer(input), net.infer(input)]).then((outs) => outs.map((o) => Array.from(o)));
      const during = await Promise.race([calls, timeout]);
      const after = Array.from(await net.infer(input));
      net.dispose();
      return { before, during, after, restarts, workers: workers.length - own };
    });
    assert.notEqual(r.during, 'timed out', 'calls made during the replacement settle');
    assert.deepEqual(r.during, [r.before, r.before], 'and give the model\'s answer');
    assert.deepEqual(r.after, r.before);
    assert.deepEqual(r.restarts, ['a test error with nothing in flight']);
    assert.ok(r.workers >= 1, 'a new Worker was started');
    await page.close();
  });

  test(`[${name}] a Worker that cannot be replaced: the calls made meanwhile and later are refused with the reason`, async () => {
    const page = await browser().newPage(new URL('blank.html', server.base).href);
    await page.evaluate(RECORD_WORKERS);
    const r = await page.evaluate(async () => {
      const workers = globalThis.startedWorkers;
      const { MobileNet } = await import('/pkg/index.js');
      const net = await MobileNet.load('/models/mobilenet_v1_0.25_128_quant.tflite', { worker: true, threads: 1 });
      const input = new Uint8Array(128 * 128 * 3);
      await net.infer(input);
      globalThis.refuseWorkers = true;
      workers[workers.length - 1].dispatchEvent(new ErrorEvent('error', { message: 'a test error' }));
      const outcome = (p) => Promise.race([
        p.then(() => 'resolved', (e) => ({ code: e.code, message: e.message })),
        new Promise((resolve) => { setTimeout(() => resolve('timed out'), 20000); }),
      ]);
      const during = await outcome(net.infer(input));
      const later = await outcome(net.infer(input));
      return { during, later };
    });
    for (const [when, o] of Object.entries(r)) {
      assert.equal(o.code, 'NETWORK', `${when}: ${JSON.stringify(o)}`);
      assert.match(o.message, /refused by the test/, `${when}: says why`);
    }
    await page.close();
  });

  // While the model downloads, the engine maps the memory its load will touch, once the server
  // has sent the file's length (local.js mapAhead, loadFootprint), whichever form runs it: the
  // page's thread, a Worker (the page tells it), and with the Cache API (whose download is
  // stored before the bytes are read). The test server sends these files' bodies 1.5 s after
  // their headers (?delay); a file over maxModelBytes gets nothing mapped.
  test(`[${name}] memory mapped ahead while the model downloads: on the page, in a Worker, with cache: true`, async () => {
    const cases = [
      ['page', { threads: 1, worker: false }],
      ['Worker', { threads: 1, worker: true }],
      ['page, cache: true', { threads: 1, worker: false, cache: true }],
      ['page, over maxModelBytes', { threads: 1, worker: false, limits: { maxModelBytes: 1 << 20 } }],
    ];
    for (const [label, options] of cases) {
      const page = await browser().newPage(new URL('blank.html', server.base).href);
      const r = await page.evaluate(async ({ options, label }) => {
        const { MobileNet } = await import('/pkg/index.js');
        const { loadFootprint } = await import('/pkg/local.js');
        const url = `/models/mobilenet_v1_0.5_160_float.tflite?delay=1500&case=${encodeURIComponent(label)}`;
        const size = (await (await fetch('/models/mobilenet_v1_0.5_160_float.tflite')).arrayBuffer()).byteLength;
        let net;
        try {
          net = await MobileNet.load(url, options);
        } catch (e) {
          return { size, code: e.code, expected: 0 };
        }
        const { prefaultedBytes } = await net.memoryStats();
        const top = typeof (await net.classify({ data: new Uint8Array(16 * 16 * 4).fill(90), width: 16, height: 16 }))[0]?.label;
        net.dispose();
        return { size, prefaultedBytes, expected: loadFootprint(size, 'float32'), top };
      }, { options, label });
      if (label.includes('maxModelBytes')) {
        assert.equal(r.code, 'LIMITS_EXCEEDED', `${label}: the file is refused`);
      } else {
        assert.ok(r.expected > 4 << 20, 'more than one slice');
        assert.equal(r.prefaultedBytes, r.expected, `${label}: mapped the footprint of ${r.size} bytes`);
        assert.equal(r.top, 'string', `${label}: the model then works`);
      }
      await page.close();
    }
    // The refused file mapped nothing: the page's instance says so after a good load.
    const page = await browser().newPage(new URL('blank.html', server.base).href);
    const mapped = await page.evaluate(async () => {
      const { MobileNet } = await import('/pkg/index.js');
      const url = '/models/mobilenet_v1_0.5_160_float.tflite?delay=1500';
      await MobileNet.load(url, { threads: 1, limits: { maxModelBytes: 1 << 20 } }).catch(() => {});
      const net = await MobileNet.load(await (await fetch(url)).arrayBuffer(), { threads: 1 });
      const { prefaultedBytes } = await net.memoryStats();
      net.dispose();
      return prefaultedBytes;
    });
    assert.equal(mapped, 0, 'nothing mapped for a file over maxModelBytes');
    await page.close();
  });
}
