// Memory mapped ahead of a load (the engine's `prefault`, local.js mapAhead): while a model
// downloads, the engine maps the memory its load will touch, so the operating system's page
// faults are not paid after the bytes arrive. Mapping is invisible to models (exact outputs),
// never maps more than the load uses (loadFootprint), stops when the model is there, and fails
// soft (no room: nothing mapped, no trap).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import * as glue from '../../pkg/mobilenet_wasm.js';
import { MAP_SLICE_BYTES, loadFootprint, mapAhead } from '../../pkg/local.js';
import { MobileNet } from '../../pkg/node.js';
import { MODELS, PKG, REFERENCE, data, manifest, model } from './data.mjs';

glue.initSync({ module: await readFile(join(PKG, 'mobilenet_wasm_bg.wasm')) });
const m = await manifest();
const memory = () => glue.wasmMemory().buffer.byteLength;
const dtypeOf = (name) => (name.endsWith('_quant') ? 'uint8' : 'float32');

test('a load after the mapping finds its memory mapped, and gives the reference\'s bytes', async () => {
  // This file's own instance, fresh: the mapping grows the memory, the load then grows it by
  // little (the footprint is a little under what the load needs).
  const name = 'mobilenet_v1_1.0_224_quant';
  const bytes = await model(name);
  const total = loadFootprint(bytes.length, 'uint8');
  const before = memory();
  const mappedBefore = glue.prefaultedBytes();
  let mapped = 0;
  for (let from = 0; from < total; from += MAP_SLICE_BYTES) {
    mapped += glue.prefault(total, from, Math.min(total, from + MAP_SLICE_BYTES));
  }
  assert.equal(mapped, total);
  assert.equal(glue.prefaultedBytes() - mappedBefore, total);
  const mappedAt = memory();
  assert.ok(mappedAt - before >= total, `the memory grew by ${mappedAt - before} for ${total} mapped`);
  const engine = new glue.Engine(bytes, undefined);
  const grown = memory() - mappedAt;
  // Had the mapped pages not been reused, the load would have grown it by more than `total`.
  assert.ok(grown <= 0.5 * total, `the load grew the memory by ${grown} more after ${total} were mapped`);
  const c = m.models[name].cases[0];
  const input = await data(join(REFERENCE, c.input));
  const at = engine.inputPtr(input.length, 'uint8');
  new Uint8Array(glue.wasmMemory().buffer, at, input.length).set(input);
  const out = new Uint8Array(glue.wasmMemory().buffer, engine.runInPlace(), engine.outputLength).slice();
  assert.deepEqual(out, await data(join(REFERENCE, c.output)));
  engine.free();
});

test('no room for the mapping: nothing mapped, no trap, the engine still loads', async () => {
  const before = glue.prefaultedBytes();
  // Past what a 32-bit memory can hold (wasm-bindgen passes it as an unsigned 32-bit size).
  assert.equal(glue.prefault(0xffff_fff0, 0, 4096), 0);
  assert.equal(glue.prefaultedBytes(), before);
  // A slice past the block's end maps only what lies inside it.
  assert.equal(glue.prefault(8192, 4096, 1 << 20), 4096);
  const engine = new glue.Engine(await model('mobilenet_v1_0.25_128_quant'), undefined);
  assert.equal(engine.outputLength, 1001);
  engine.free();
});

test('loadFootprint stays under what each model\'s load grows a fresh engine by', async () => {
  // One fresh process per model: the growth of a memory that nothing has used yet.
  const script = `
    import { readFile } from 'node:fs/promises';
    const g = await import(${JSON.stringify(join(PKG, 'mobilenet_wasm.js'))});
    g.initSync({ module: await readFile(${JSON.stringify(join(PKG, 'mobilenet_wasm_bg.wasm'))}) });
    const bytes = new Uint8Array(await readFile(process.argv[1]));
    for (let i = 0; i < 3; i++) g.warmUp('both');
    const before = g.wasmMemory().buffer.byteLength;
    new g.Engine(bytes, undefined);
    console.log(g.wasmMemory().buffer.byteLength - before);`;
  const run = promisify(execFile);
  for (const name of Object.keys(m.models)) {
    const bytes = await model(name);
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, join(MODELS, `${name}.tflite`)]);
    const growth = Number(stdout.trim());
    const footprint = loadFootprint(bytes.length, dtypeOf(name));
    assert.ok(footprint <= growth, `${name}: footprint ${footprint} over the load's ${growth}`);
    // Within 15% (and four 64 KiB pages: the memory grows by whole pages): a load that grows by
    // much more than its footprint (as when the arena's scratch counted an im2col matrix for
    // depthwise layers: float 3.9–4.3 × the file) fails here.
    assert.ok(footprint >= 0.85 * growth - (256 << 10), `${name}: footprint ${footprint} under 85% of the load's ${growth}`);
    // Without the dtype (a file name that does not say it) never more than a float's.
    assert.ok(loadFootprint(bytes.length, 'both') <= growth, `${name}: the dtype-blind footprint over the load's`);
  }
});

test('mapAhead: slices until the footprint is mapped; nothing once the model is there, nothing over the limit', async () => {
  /** A glue that records its slices; files up to `limit` bytes allowed. */
  const recording = (answer = (total, from, to) => Math.min(total, to) - from, limit = 1 << 30) => {
    const slices = [];
    return {
      slices,
      maxModelBytes: (limits) => limits?.maxModelBytes ?? limit,
      prefault: (total, from, to) => { slices.push([total, from, to]); return answer(total, from, to); },
    };
  };
  const never = new Promise(() => {});
  const file = 10 << 20;
  const total = loadFootprint(file, 'float32');
  const hint = { dtype: 'float32', fileBytes: Promise.resolve(file) };
  let g = recording();
  assert.equal(await mapAhead(g, hint, never, () => false), total);
  const starts = g.slices.map(([t, from, to]) => { assert.equal(t, total); return [from, to]; });
  assert.deepEqual(starts[0], [0, MAP_SLICE_BYTES]);
  assert.equal(starts.length, Math.ceil(total / MAP_SLICE_BYTES));
  for (let i = 1; i < starts.length; i++) assert.equal(starts[i][0], starts[i - 1][1], 'slices follow each other');
  assert.equal(starts.at(-1)[1], total);
  // uint8 by its file name: its own footprint.
  g = recording();
  assert.equal(await mapAhead(g, { ...hint, dtype: 'uint8' }, never, () => false), loadFootprint(file, 'uint8'));
  // The model there before the length, no length, or no hint: nothing.
  g = recording();
  assert.equal(await mapAhead(g, { fileBytes: never }, Promise.resolve(), () => false), 0);
  assert.equal(await mapAhead(g, {}, never, () => false), 0);
  assert.deepEqual(g.slices, []);
  // Over the engine's maxModelBytes (the default's or the load's limits): nothing.
  g = recording(undefined, file - 1);
  assert.equal(await mapAhead(g, hint, never, () => false), 0);
  assert.equal(await mapAhead(recording(), { ...hint, limits: { maxModelBytes: file - 1 } }, never, () => false), 0);
  assert.deepEqual(g.slices, []);
  // The model arriving meanwhile stops it after the current slice.
  g = recording();
  assert.equal(await mapAhead(g, hint, never, () => g.slices.length >= 1), MAP_SLICE_BYTES);
  // No room (0), or an engine that throws: it stops, and the load goes on.
  g = recording(() => 0);
  assert.equal(await mapAhead(g, hint, never, () => false), 0);
  assert.equal(g.slices.length, 1);
  g = recording(() => { throw new WebAssembly.RuntimeError('unreachable'); });
  assert.equal(await mapAhead(g, hint, never, () => false), 0);
  assert.equal(g.slices.length, 1);
  // The engine's own limit, as the load reads its limits.
  assert.equal(glue.maxModelBytes(undefined), 64 << 20);
  assert.equal(glue.maxModelBytes({ maxModelBytes: 1000 }), 1000);
  assert.throws(() => glue.maxModelBytes({ maxModelBytes: -1 }));
});

/** Serves `bytes` under a zoo file name, the headers at once and the body after `delayMs`. */
async function slowServer(name, bytes, delayMs) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': bytes.length, 'content-type': 'application/octet-stream' });
    res.flushHeaders();
    setTimeout(() => res.end(bytes), delayMs);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${port}/${name}.tflite`, close: () => server.close() };
}

test('MobileNet.load(url) maps the footprint the file\'s length and name give while the body is on its way', async () => {
  const name = 'mobilenet_v1_0.5_160_quant';
  const bytes = await model(name);
  const { url, close } = await slowServer(name, bytes, 1500);
  try {
    // The package's own engine instance (the bundle's): its counter, before and after.
    const first = await MobileNet.load(bytes);
    const before = (await first.memoryStats()).prefaultedBytes;
    first.dispose();
    const net = await MobileNet.load(url);
    const stats = await net.memoryStats();
    assert.equal(stats.prefaultedBytes - before, loadFootprint(bytes.length, 'uint8'));
    const c = m.models[name].cases[0];
    assert.deepEqual(await net.infer(await data(join(REFERENCE, c.input))), await data(join(REFERENCE, c.output)));
    net.dispose();
    // Bytes in hand: nothing to wait for, nothing mapped; nor for a file over maxModelBytes.
    const again = await MobileNet.load(bytes);
    assert.equal((await again.memoryStats()).prefaultedBytes, stats.prefaultedBytes);
    again.dispose();
    await assert.rejects(MobileNet.load(url, { limits: { maxModelBytes: bytes.length - 1 } }), { code: 'LIMITS_EXCEEDED' });
    const last = await MobileNet.load(bytes);
    assert.equal((await last.memoryStats()).prefaultedBytes, stats.prefaultedBytes, 'nothing mapped for a refused file');
    last.dispose();
  } finally {
    close();
  }
});
