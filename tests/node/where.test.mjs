// js/where.js, the rule for where a threaded model runs on a page by default: α and ρ read from
// a .tflite file without the engine agree with the engine's own info for every shared model,
// and a file that is not such a model (truncated, garbage, empty) reads as null (→ a Worker),
// never a throw; the rule's boundary (α × ρ ≤ 120) and zoo file names.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { MobileNet } from '../../pkg/node.js';
import { PAGE_MAX_ALPHA_RES, pageOrWorker, readShape, shapeFromName } from '../../pkg/where.js';
import { MODELS, data } from './data.mjs';
import { join } from 'node:path';

test('readShape gives the engine\'s α and ρ for every shared model', async () => {
  const files = (await readdir(MODELS)).filter((f) => f.endsWith('.tflite'));
  assert.ok(files.length >= 8, `models in ${MODELS}`);
  for (const f of files) {
    const bytes = await data(join(MODELS, f));
    const net = await MobileNet.load(bytes, { threads: 1 });
    const { alpha, resolution } = net.info;
    net.dispose();
    assert.deepEqual(readShape(bytes), { alpha, resolution }, f);
  }
});

test('readShape: a file that is not a readable MobileNet is null, never a throw', async () => {
  const bytes = await data(join(MODELS, 'mobilenet_v1_0.25_128_quant.tflite'));
  assert.equal(readShape(new Uint8Array(0)), null);
  assert.equal(readShape(bytes.subarray(0, 64)), null);
  assert.equal(readShape(new Uint8Array(4096).fill(0xff)), null);
  assert.equal(readShape(new Uint8Array(4096)), null);
  // Every prefix length a download could stop at, coarsely: null or the right answer.
  for (let n = 0; n < bytes.length; n += 997) {
    const r = readShape(bytes.subarray(0, n));
    assert.ok(r === null || (r.alpha === 0.25 && r.resolution === 128), `prefix ${n}: ${JSON.stringify(r)}`);
  }
});

test('the rule: the page\'s thread up to α × ρ = 120, a Worker above it or when unknown; zoo names read', () => {
  assert.equal(PAGE_MAX_ALPHA_RES, 120);
  assert.equal(pageOrWorker({ alpha: 0.25, resolution: 224 }, 'the file').page, true);
  assert.equal(pageOrWorker({ alpha: 0.5, resolution: 224 }, 'the file').page, true);
  assert.equal(pageOrWorker({ alpha: 0.75, resolution: 160 }, 'the file').page, true);
  assert.equal(pageOrWorker({ alpha: 0.75, resolution: 192 }, 'the file').page, false);
  assert.equal(pageOrWorker({ alpha: 1, resolution: 128 }, 'the file').page, false);
  assert.equal(pageOrWorker(null, 'the file').page, false);
  assert.match(pageOrWorker({ alpha: 0.5, resolution: 160 }, 'its file name').why, /small \(α 0\.5 × ρ 160 = 80 \(its file name\) ≤ 120\)/);
  assert.deepEqual(shapeFromName('/models/mobilenet_v1_0.5_160_quant.tflite?v=2'), { alpha: 0.5, resolution: 160, quantized: true, official: true });
  assert.equal(shapeFromName('/models/my-model.tflite'), null);
  assert.equal(shapeFromName(new Uint8Array(8)), null);
});
