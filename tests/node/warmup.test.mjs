// The kernels' warm-up (src/kernels/warmup.rs, run by local.js while a model downloads) is
// invisible to models — every model loaded after it, or loaded before it and run after it, gives
// the reference's outputs (uint8 byte for byte) — and never fails a load: its errors end it.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import * as glue from '../../pkg/mobilenet_wasm.js';
import { WARM_ROUNDS, WARM_ROUNDS_MORE, warmKernels } from '../../pkg/local.js';
import { PKG, REFERENCE, data, manifest, model } from './data.mjs';

glue.initSync({ module: await readFile(join(PKG, 'mobilenet_wasm_bg.wasm')) });
const m = await manifest();

/** The engine's output for `input` (its own copy). */
function infer(engine, input) {
  const mem = glue.wasmMemory();
  const at = engine.inputPtr(input.length, input instanceof Uint8Array ? 'uint8' : 'float32');
  new input.constructor(mem.buffer, at, input.length).set(input);
  const out = engine.runInPlace();
  return new input.constructor(glue.wasmMemory().buffer, out, engine.outputLength).slice();
}

for (const [name, entry] of Object.entries(m.models)) {
  test(`a model loaded before or after the warm-up gives the reference's outputs: ${name}`, async () => {
    const bytes = await model(name);
    const c = entry.cases[0];
    const raw = await data(join(REFERENCE, c.input));
    const want = await data(join(REFERENCE, c.output));
    const input = entry.input_dtype === 'uint8' ? raw : new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const before = new glue.Engine(bytes, undefined);
    for (const dtype of ['both', 'uint8', 'float32']) glue.warmUp(dtype);
    const after = new glue.Engine(bytes, undefined);
    for (const [what, engine] of [['loaded before', before], ['loaded after', after]]) {
      const out = infer(engine, input);
      if (entry.input_dtype === 'uint8') {
        assert.deepEqual(out, want, `${name}, ${what} the warm-up: bytes differ`);
      } else {
        const expected = new Float32Array(want.buffer, want.byteOffset, want.byteLength / 4);
        const worst = out.reduce((w, v, i) => Math.max(w, Math.abs(v - expected[i])), 0);
        assert.ok(worst <= 1e-4, `${name}, ${what} the warm-up: max |Δp| = ${worst}`);
      }
      engine.free();
    }
  });
}

test('the warm-up stops when the model is there, after WARM_ROUNDS per instance, and for good at its first error', async () => {
  let calls = 0;
  const counting = { warmUp: () => { calls++; } };
  assert.equal(await warmKernels(counting, () => true), 0, 'the model already there: no round');
  assert.equal(calls, 0);
  assert.equal(await warmKernels(counting, () => false), WARM_ROUNDS);
  assert.equal(calls, WARM_ROUNDS);
  assert.equal(await warmKernels(counting, () => false), 0, 'an instance is warmed up once');
  assert.equal(calls, WARM_ROUNDS);
  const failing = { warmUp: () => { calls++; throw new WebAssembly.RuntimeError('unreachable'); } };
  calls = 0;
  assert.equal(await warmKernels(failing, () => false), 0, 'an error is not thrown on');
  assert.equal(calls, 1, 'and ends the warm-up');
  assert.equal(await warmKernels(failing, () => false), 0, 'for good');
  assert.equal(calls, 1);
});

test('the warm-up runs the dtype a file name says, and counts rounds per dtype', async () => {
  /** @type {string[]} */
  let calls = [];
  const recording = () => ({ warmUp: (/** @type {string} */ dtype) => { calls.push(dtype); } });
  const g = recording();
  assert.equal(await warmKernels(g, () => false, 'uint8'), WARM_ROUNDS);
  assert.deepEqual(calls, Array(WARM_ROUNDS).fill('uint8'));
  calls = [];
  assert.equal(await warmKernels(g, () => false, 'uint8'), 0, 'uint8 is warm');
  assert.equal(await warmKernels(g, () => false, 'float32'), WARM_ROUNDS, 'float32 is not yet');
  assert.deepEqual(calls, Array(WARM_ROUNDS).fill('float32'));
  calls = [];
  assert.equal(await warmKernels(g, () => false, 'both'), 0, 'both are warm');
  assert.deepEqual(calls, []);
  const h = recording();
  assert.equal(await warmKernels(h, () => false), WARM_ROUNDS, "'both' by default");
  assert.deepEqual(calls, Array(WARM_ROUNDS).fill('both'));
  assert.equal(await warmKernels(h, () => false, 'float32'), 0, "'both' warmed float32 too");
});

test("'both' after one dtype is warm warms the other alone", async () => {
  /** @type {string[]} */
  const calls = [];
  const g = { warmUp: (/** @type {string} */ dtype) => { calls.push(dtype); } };
  assert.equal(await warmKernels(g, () => false, 'uint8'), WARM_ROUNDS);
  calls.length = 0;
  assert.equal(await warmKernels(g, () => false, 'both'), WARM_ROUNDS);
  assert.deepEqual(calls, Array(WARM_ROUNDS).fill('float32'));
});

test('the warm-up goes on to WARM_ROUNDS_MORE when asked (after the mapping), and an error ends both', async () => {
  let calls = 0;
  const g = { warmUp: () => { calls++; } };
  assert.equal(await warmKernels(g, () => false, 'uint8'), WARM_ROUNDS);
  assert.equal(await warmKernels(g, () => false, 'uint8', WARM_ROUNDS_MORE), WARM_ROUNDS_MORE - WARM_ROUNDS);
  assert.equal(calls, WARM_ROUNDS_MORE);
  assert.equal(await warmKernels(g, () => false, 'uint8', WARM_ROUNDS_MORE), 0);
  let failed = 0;
  const failing = { warmUp: () => { failed++; throw new WebAssembly.RuntimeError('unreachable'); } };
  assert.equal(await warmKernels(failing, () => false, 'float32'), 0);
  assert.equal(await warmKernels(failing, () => false, 'float32', WARM_ROUNDS_MORE), 0, 'ended for good');
  assert.equal(failed, 1);
});
