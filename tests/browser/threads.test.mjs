// The package in Chromium: on a cross-origin isolated page, MobileNet.load(…, { threads: 2 })
// runs the threaded build in a Worker and gives exactly the reference outputs (uint8 byte for
// byte, float within 1e-4) and the same outputs as one thread (and as three, an uneven split);
// without isolation it falls back to one thread with no error.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { browser, serve } from '../../tools/chromium.mjs';

let isolated;
let plain;
let context;

before(async () => {
  isolated = await serve();
  plain = await serve(['--no-isolation']);
  context = await browser();
});

after(async () => {
  await context?.close();
  isolated?.stop();
  plain?.stop();
});

/** In the page: run every model with the given thread counts against the reference. */
async function runModels(page, threadCounts) {
  return page.evaluate(async (threadCounts) => {
    const { MobileNet } = await import('/pkg/index.js');
    const get = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
    const manifest = await (await fetch('/reference/manifest.json')).json();
    const results = [];
    for (const [name, entry] of Object.entries(manifest.models)) {
      const bytes = await get(`/models/${name}.tflite`);
      for (const threads of threadCounts) {
        const net = await MobileNet.load(bytes, { threads });
        const info = net.info;
        for (const c of entry.cases) {
          const raw = await get(`/reference/${c.input}`);
          const want = await get(`/reference/${c.output}`);
          const quant = entry.input_dtype === 'uint8';
          const out = await net.infer(quant ? raw : new Float32Array(raw.buffer));
          const expected = quant ? want : new Float32Array(want.buffer);
          let diff = 0;
          let worst = 0;
          for (let i = 0; i < out.length; i++) {
            if (out[i] !== expected[i]) diff++;
            worst = Math.max(worst, Math.abs(out[i] - expected[i]));
          }
          results.push({ name, case: c.case, threads, used: info.threads, backend: info.backend, diff, worst,
            out: Array.from(out) });
        }
        net.dispose();
      }
    }
    return { isolated: crossOriginIsolated, results };
  }, threadCounts);
}

test('threaded build on a cross-origin isolated page: reference outputs, identical for 1, 2 and 3 threads', async () => {
  const page = await context.newPage();
  await page.goto(isolated.base);
  const { isolated: iso, results } = await runModels(page, [1, 2, 3]);
  assert.equal(iso, true);
  for (const r of results) {
    if (r.threads > 1) {
      assert.equal(r.used, r.threads, `${r.name}: threads used`);
      assert.match(r.backend, /^threads/);
    }
    if (r.name.endsWith('quant')) assert.equal(r.diff, 0, `${r.name} ${r.case} threads ${r.threads}: ${r.diff} bytes differ`);
    else assert.ok(r.worst <= 1e-4, `${r.name} ${r.case} threads ${r.threads}: max |Δp| ${r.worst}`);
  }
  // Any thread count gives the same bytes.
  for (const one of results.filter((r) => r.threads === 1)) {
    for (const n of [2, 3]) {
      const other = results.find((r) => r.threads === n && r.name === one.name && r.case === one.case);
      assert.deepEqual(other.out, one.out, `${one.name} ${one.case}: 1 and ${n} threads differ`);
    }
  }
  await page.close();
});

test('without cross-origin isolation, threads: 2 runs single-threaded without an error', async () => {
  const page = await context.newPage();
  await page.goto(plain.base);
  const info = await page.evaluate(async () => {
    const { MobileNet } = await import('/pkg/index.js');
    const bytes = new Uint8Array(await (await fetch('/models/mobilenet_v1_0.25_128_quant.tflite')).arrayBuffer());
    const net = await MobileNet.load(bytes, { threads: 2 });
    const out = await net.infer(new Uint8Array(128 * 128 * 3));
    return { isolated: crossOriginIsolated, ...net.info, outLength: out.length };
  });
  assert.equal(info.isolated, false);
  assert.equal(info.threads, 1);
  assert.doesNotMatch(info.backend, /threads/);
  assert.equal(info.outLength, 1001);
  await page.close();
});
