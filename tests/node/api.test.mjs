// The JavaScript API: loading sources, classify, resolutions, typed errors, dispose.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { MobileNet, MobileNetError, cost, topK, LABELS } from '../../pkg/node.js';
import { decodeImage } from '../../pkg/decode.js';
import { IMAGES, MODELS, data, model } from './data.mjs';

const CAT_CLASSES = [282, 283, 284, 285, 286];

/** Expects a MobileNetError with `code` and, for engine errors, these `details` fields. */
async function rejects(promiseOrFn, code, details) {
  await assert.rejects(promiseOrFn, (e) => {
    assert.ok(e instanceof MobileNetError, `not a MobileNetError: ${e}`);
    assert.equal(e.code, code, e.message);
    if (details) {
      for (const [k, v] of Object.entries(details)) assert.deepEqual(e.details?.[k], v, `details.${k}: ${e.message}`);
    }
    return true;
  });
}

test('topK: score descending, ties by lower index, any k', () => {
  let seed = 7;
  const scores = new Float32Array(1001).map(() => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return (seed % 20) / 20; });
  const all = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
  for (const k of [0, 1, 2, 5, 16, 17, 100, 1001, 5000]) assert.deepEqual(topK(scores, k), all.slice(0, k), `k = ${k}`);
  // Any ArrayLike<number>, as the types say (not only arrays and typed arrays with keys()).
  const arrayLike = { length: scores.length };
  scores.forEach((v, i) => { arrayLike[i] = v; });
  for (const k of [5, 17, 1001]) assert.deepEqual(topK(arrayLike, k), all.slice(0, k), `array-like, k = ${k}`);
});

test('labels: 1001 ImageNet classes', () => {
  assert.equal(LABELS.length, 1001);
  assert.equal(LABELS[0], 'background');
  assert.equal(LABELS[286], 'Egyptian cat');
});

test('classify the cat with every model at every resolution', async () => {
  const cat = decodeImage(await data(join(IMAGES, 'cat.bmp')), 'cat.bmp');
  assert.equal(cat.width, 512);
  assert.equal(cat.height, 341);
  for (const a of ['0.25_128', '0.5_160', '0.75_192', '1.0_224']) {
    for (const kind of ['quant', 'float']) {
      const net = await MobileNet.load(join(MODELS, `mobilenet_v1_${a}_${kind}.tflite`));
      for (const r of [128, 160, 192, 224]) {
        await net.setResolution(r);
        assert.equal(net.info.resolution, r);
        const top = await net.classify(cat, { topK: 3 });
        assert.equal(top.length, 3);
        assert.ok(CAT_CLASSES.includes(top[0].index), `${a} ${kind} at ${r}: ${JSON.stringify(top[0])}`);
        assert.ok(top[0].score >= top[1].score && top[1].score >= top[2].score);
      }
      net.dispose();
    }
  }
});

test('the 1.0 uint8 model calls the cat an Egyptian cat, with q/256 scores', async () => {
  const net = await MobileNet.load(await model('mobilenet_v1_1.0_224_quant'));
  const [first] = await net.classify(decodeImage(await data(join(IMAGES, 'cat.bmp'))));
  assert.equal(first.label, 'Egyptian cat');
  assert.equal(first.index, 286);
  assert.equal(Math.round(first.score * 256), first.score * 256);
  const info = net.info;
  assert.equal(info.alpha, 1);
  assert.equal(info.classes, 1001);
  assert.equal(info.trained_resolution, 224);
  assert.equal(info.threads, 1);
  assert.equal(info.operators.length, 31);
  // The loaded model's own count equals the plain architecture's with its 1001 classes.
  const plain = await cost({ alpha: 1, resolution: 224, classes: 1001 });
  assert.equal(info.macs, plain.macs);
  assert.equal(info.params, plain.params);
  assert.deepEqual(info.cost.by_type, plain.by_type);
});

test('load accepts ArrayBuffer, Uint8Array, a path and a file URL', async () => {
  const bytes = await readFile(join(MODELS, 'mobilenet_v1_0.25_128_quant.tflite'));
  const sources = [
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    new Uint8Array(bytes),
    join(MODELS, 'mobilenet_v1_0.25_128_quant.tflite'),
    new URL(`file://${join(MODELS, 'mobilenet_v1_0.25_128_quant.tflite')}`),
  ];
  for (const s of sources) {
    const net = await MobileNet.load(s);
    assert.equal(net.info.resolution, 128);
    net.dispose();
  }
});

test('typed errors', async () => {
  await rejects(MobileNet.load(new Uint8Array(0)), 'MODEL_MALFORMED', { what: 'file_bytes', found: 0 });
  await rejects(MobileNet.load(new TextEncoder().encode('not a model at all')), 'MODEL_MALFORMED',
    { what: 'file_identifier', found: '"a mo"', offset: 4 });
  await rejects(MobileNet.load('/nonexistent/model.tflite'), 'NETWORK');
  await rejects(MobileNet.load(42), 'INPUT_INVALID');
  await rejects(MobileNet.load(new Uint8Array(8), { threads: 0 }), 'INPUT_INVALID');
  const net = await MobileNet.load(await model('mobilenet_v1_0.25_128_quant'));
  await rejects(net.infer(new Uint8Array(10)), 'INPUT_INVALID', { what: 'input_values', found: 10, expected: 49152 });
  await rejects(net.infer(new Float32Array(128 * 128 * 3)), 'INPUT_INVALID',
    { what: 'input_type', found: 'float32', expected: 'uint8' });
  await rejects(net.infer(new Int8Array(128 * 128 * 3)), 'INPUT_INVALID', { what: 'input_type', found: 'Int8Array' });
  await rejects(net.infer(null), 'INPUT_INVALID', { what: 'input_type', found: 'object' });
  await rejects(net.classify({ data: new Uint8Array(15), width: 2, height: 2 }), 'INPUT_INVALID',
    { what: 'frame_bytes', found: 15, expected: 16 });
  // A frame size that cannot be is the error, not the bytes (16 bytes are what −2 × −2 × 4 "needs").
  await rejects(net.classify({ data: new Uint8Array(0), width: 0, height: 0 }), 'INPUT_INVALID',
    { what: 'frame_size', found: [0, 0] });
  await rejects(net.classify({ data: new Uint8Array(16), width: -2, height: -2 }), 'INPUT_INVALID',
    { what: 'frame_size', found: [-2, -2] });
  await assert.rejects(net.classify({ data: new Uint8Array(16), width: -2, height: -2 }),
    (e) => /frame size \[-2, -2\]/.test(e.message) && !/needs|got/.test(e.message), 'the message says what is wrong');
  await rejects(net.classify('cat.bmp'), 'INPUT_INVALID');
  await rejects(net.setResolution(8), 'INPUT_INVALID', { what: 'resolution', found: [8, 8] });
  await rejects(net.setResolution(1.5), "INPUT_INVALID");
  assert.equal(net.info.resolution, 128, 'a failed setResolution keeps the previous one');
  assert.equal((await net.infer(new Uint8Array(128 * 128 * 3))).length, 1001, 'still works after errors');
  net.dispose();
  await rejects(net.infer(new Uint8Array(128 * 128 * 3)), 'INVALID_STATE');
  await rejects(async () => net.info, 'INVALID_STATE');
  net.dispose(); // twice is harmless
  const f = await MobileNet.load(await model('mobilenet_v1_0.25_128_float'));
  const nan = new Float32Array(128 * 128 * 3);
  nan[5] = NaN;
  await rejects(f.infer(nan), 'INPUT_INVALID', { what: 'input_value_not_finite' });
  f.dispose();
});

test('cost model matches the paper defaults', async () => {
  const c = await cost();
  assert.equal(c.macs, 568_740_352);
  assert.equal(c.params, 4_209_088);
  assert.deepEqual(c.layers[0].output, [112, 112, 32]);
  await rejects(cost({ alpha: -1 }), 'INPUT_INVALID', { what: 'width_multiplier', found: -1 });
});

test('embed: the 1024·α features before the classifier, stable across resolutions', async () => {
  const cat = decodeImage(await data(join(IMAGES, 'cat.bmp')));
  const bird = decodeImage(await data(join(IMAGES, 'bird.bmp')));
  for (const [name, dims] of [['mobilenet_v1_1.0_224_quant', 1024], ['mobilenet_v1_0.25_128_float', 256]]) {
    const net = await MobileNet.load(await model(name));
    const a = await net.embed(cat);
    const a2 = await net.embed(cat);
    const b = await net.embed(bird);
    assert.ok(a instanceof Float32Array);
    assert.equal(a.length, dims);
    assert.deepEqual(a2, a, 'deterministic');
    assert.ok(a.every((v) => Number.isFinite(v) && v >= 0), 'ReLU6 features are non-negative');
    const cos = (x, y) => x.reduce((s, v, i) => s + v * y[i], 0) / Math.hypot(...x) / Math.hypot(...y);
    assert.ok(cos(a, b) < 0.95, `cat and bird features differ (cosine ${cos(a, b)})`);
    await net.setResolution(160);
    const c = await net.embed(cat);
    assert.equal(c.length, dims);
    assert.ok(cos(a, c) > 0.8, `the same cat at another resolution is close (cosine ${cos(a, c)})`);
    net.dispose();
  }
});

test('limits: configurable, LIMITS_EXCEEDED beyond, the model still usable', async () => {
  const bytes = await model('mobilenet_v1_0.25_128_quant');
  await rejects(MobileNet.load(bytes, { limits: { maxModelBytes: 1000 } }), 'LIMITS_EXCEEDED',
    { what: 'model_bytes', found: bytes.length, limit: 1000 });
  await rejects(MobileNet.load(bytes, { limits: { maxTensorElements: 10_000 } }), 'LIMITS_EXCEEDED',
    { what: 'tensor_elements', limit: 10_000 });
  await rejects(MobileNet.load(bytes, { limits: { maxMacs: 1_000_000 } }), 'LIMITS_EXCEEDED', { what: 'macs', limit: 1_000_000 });
  await rejects(MobileNet.load(bytes, { limits: { bogus: 1 } }), 'INPUT_INVALID', { what: 'unknown_limit', found: 'bogus' });
  await rejects(MobileNet.load(bytes, { limits: { maxResolution: -1 } }), 'INPUT_INVALID', { what: 'limit', found: -1 });
  // Reals and non-numbers in the message (formatted without core's float formatting: error.rs Real).
  await assert.rejects(MobileNet.load(bytes, { limits: { maxResolution: 2.5 } }), /limit 2\.5 \(expected maxResolution: a positive integer\)/);
  await assert.rejects(MobileNet.load(bytes, { limits: { maxResolution: '224' } }), /limit "224" \(expected maxResolution/);
  await assert.rejects(MobileNet.load(bytes, { limits: { maxResolution: null } }), /limit null \(expected maxResolution/);
  // undefined is the default (an options object spread from optional settings); a misspelt name is still refused.
  const spread = await MobileNet.load(bytes, { limits: { maxResolution: undefined, maxModelBytes: undefined } });
  await spread.setResolution(224);
  spread.dispose();
  await rejects(MobileNet.load(bytes, { limits: { maxResolutoin: undefined } }), 'INPUT_INVALID', { what: 'unknown_limit', found: 'maxResolutoin' });
  await rejects(MobileNet.load(bytes, { limits: 5 }), 'INPUT_INVALID', { what: 'limits' });
  const net = await MobileNet.load(bytes, { limits: { maxResolution: 160, maxFramePixels: 1000 } });
  await rejects(net.setResolution(192), 'LIMITS_EXCEEDED', { what: 'resolution', found: [192, 192], limit: 160 });
  await net.setResolution(160);
  await rejects(net.classify({ data: new Uint8Array(40 * 40 * 4), width: 40, height: 40 }), 'LIMITS_EXCEEDED',
    { what: 'frame_bytes', found: 6400, limit: 4000 });
  const top = await net.classify({ data: new Uint8Array(30 * 30 * 4).fill(90), width: 30, height: 30 });
  assert.equal(top.length, 5);
  net.dispose();
});

test('infer and classify allocate nothing inside the engine, call after call, uint8 and float', async () => {
  // (The engine checks the input's type by its name: passed as a JS string value, not copied
  // into wasm memory, which allocated once per inference.)
  for (const name of ['mobilenet_v1_0.25_128_quant', 'mobilenet_v1_0.25_128_float']) {
    const net = await MobileNet.load(await model(name));
    const x = name.endsWith('quant') ? new Uint8Array(128 * 128 * 3) : new Float32Array(128 * 128 * 3);
    const frame = { data: new Uint8ClampedArray(64 * 48 * 4).fill(90), width: 64, height: 48 };
    for (let i = 0; i < 3; i++) { await net.infer(x); await net.classify(frame); }
    const before = await net.memoryStats();
    for (let i = 0; i < 20; i++) { await net.infer(x); await net.classify(frame); }
    const after = await net.memoryStats();
    assert.equal(after.allocations - before.allocations, 0, `${name}: allocations in 20 infer + 20 classify calls`);
    assert.equal(after.liveBytes, before.liveBytes);
    // A wrong type is still refused by name.
    await rejects(net.infer(name.endsWith('quant') ? new Float32Array(128 * 128 * 3) : new Uint8Array(128 * 128 * 3)),
      'INPUT_INVALID', { what: 'input_type', found: name.endsWith('quant') ? 'float32' : 'uint8', expected: name.endsWith('quant') ? 'uint8' : 'float32' });
    net.dispose();
  }
});

test('threadStats counts every inference: in Node, one thread, each run alone', async () => {
  const net = await MobileNet.load(await model('mobilenet_v1_0.25_128_quant'));
  const x = new Uint8Array(128 * 128 * 3);
  const before = await net.threadStats();
  for (let i = 0; i < 5; i++) await net.infer(x);
  await net.classify({ data: new Uint8ClampedArray(64 * 48 * 4).fill(90), width: 64, height: 48 });
  const after = await net.threadStats();
  assert.equal(net.info.threads, 1);
  assert.equal(after.soloRuns - before.soloRuns, 6, 'five infer calls and a classify');
  assert.equal(after.teamRuns, 0);
  assert.equal(after.teamMs, null, 'the team never measured');
  assert.equal(after.helperChunks, 0);
  assert.equal(after.preferTeam, false, 'no team to prefer');
  assert.deepEqual(Object.keys(after).sort(), ['callerChunks', 'helperChunks', 'joinMs', 'preferTeam', 'probes', 'soloMs',
    'soloRuns', 'stallMs', 'teamMs', 'teamRuns', 'unjoinedRuns']);
  for (const [k, v] of Object.entries(after)) assert.notEqual(v, undefined, k);
  net.dispose();
});

test('calls on one model queue: overlapping calls all settle, in the order they were made', async () => {
  const net = await MobileNet.load(join(MODELS, 'mobilenet_v1_0.25_128_quant.tflite'));
  const cat = decodeImage(await readFile(join(IMAGES, 'cat.bmp')));
  const order = [];
  const track = (p, i) => p.then((v) => { order.push(i); return v; }, (e) => { order.push(i); return e; });
  const results = await Promise.all([
    net.classify(cat, { topK: 1 }), net.setResolution(160), net.classify(cat, { topK: 4 }),
    net.infer(new Uint8Array(3)), net.embed(cat), net.classify(cat),
  ].map(track));
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
  assert.equal(results[0].length, 1);
  assert.equal(results[2].length, 4);
  assert.equal(results[3].code, 'INPUT_INVALID');
  assert.equal(results[4].length, 256);
  assert.equal(net.info.resolution, 160, 'setResolution ran in its place in the queue');
  const pending = net.classify(cat);
  net.dispose();
  await assert.rejects(pending, (e) => e.code === 'INVALID_STATE', 'a call still queued at dispose rejects');
  await assert.rejects(net.classify(cat), (e) => e.code === 'INVALID_STATE');
});

test('classify result options: topK, scoreThreshold, allow and deny by label or index', async () => {
  const net = await MobileNet.load(join(MODELS, 'mobilenet_v1_1.0_224_quant.tflite'));
  const cat = decodeImage(await readFile(join(IMAGES, 'cat.bmp')));
  const all = await net.classify(cat, { topK: 1001 });
  assert.equal(all.length, 1001);
  const top5 = await net.classify(cat);
  assert.deepEqual(top5, all.slice(0, 5), 'default: the top 5');
  const sure = await net.classify(cat, { topK: 10, scoreThreshold: 0.03 });
  assert.deepEqual(sure, all.filter((c) => c.score >= 0.03).slice(0, 10));
  assert.ok(sure.length >= 1 && sure.length < 10);
  const allowed = await net.classify(cat, { allow: ['tabby, tabby cat', 283, 'macaw'] });
  assert.deepEqual(allowed.map((c) => c.index), all.filter((c) => [282, 283, LABELS.indexOf('macaw')].includes(c.index)).map((c) => c.index));
  const denied = await net.classify(cat, { topK: 2, deny: ['Egyptian cat'] });
  assert.deepEqual(denied, all.filter((c) => c.index !== 286).slice(0, 2));
  assert.equal((await net.classify(cat, { topK: 0 })).length, 0);
  for (const bad of [{ topK: -1 }, { topK: 1.5 }, { scoreThreshold: 2 }, { scoreThreshold: Number.NaN },
    { allow: ['no such class'] }, { deny: [1001] }, { allow: 'Egyptian cat' }]) {
    await assert.rejects(net.classify(cat, bad), (e) => e.code === 'INPUT_INVALID', JSON.stringify(bad));
  }
  net.dispose();
});

test('gemm option: the uint8 matrix-product kernel chosen, forced, refused where it cannot run', async () => {
  const bytes = await model('mobilenet_v1_0.25_128_quant');
  const input = new Uint8Array(128 * 128 * 3).map((_, i) => (i * 73 + 11) % 256);
  const auto = await MobileNet.load(bytes);
  const i16 = await MobileNet.load(bytes, { gemm: 'i16' });
  assert.doesNotMatch(i16.info.kernels, /dot/, 'i16 never takes the dot product');
  const want = await i16.infer(input);
  assert.deepEqual(await auto.infer(input), want, 'auto and i16: the same bytes');
  // The dot product runs only where the probe found it exact (x86 with AVX-VNNI, ARM): there
  // 'auto' chose it and 'dot' gives the same bytes; elsewhere (Node 20 lowers it to the
  // saturating pmaddubsw, or the build has no relaxed SIMD) 'dot' is refused and says why.
  if (/\+dot-/.test(auto.info.kernels)) {
    const dot = await MobileNet.load(bytes, { gemm: 'dot' });
    assert.equal(dot.info.kernels, auto.info.kernels);
    assert.deepEqual(await dot.infer(input), want);
    dot.dispose();
  } else {
    await rejects(MobileNet.load(bytes, { gemm: 'dot' }), 'MODEL_UNSUPPORTED', { what: 'gemm_dot' });
  }
  await rejects(MobileNet.load(bytes, { gemm: 'fast' }), 'INPUT_INVALID', { what: 'gemm', found: 'fast' });
  // Not a string: refused before anything downloads (a missing file would say NETWORK), not a
  // failure inside the engine's glue.
  for (const bad of [5, { name: 'i16' }, ['i16']]) {
    await rejects(MobileNet.load(join(MODELS, 'no-such-model.tflite'), { gemm: /** @type {any} */ (bad) }), 'INPUT_INVALID');
  }
  const float = await MobileNet.load(await model('mobilenet_v1_0.25_128_float'), { gemm: 'dot' });
  assert.doesNotMatch(float.info.kernels, /dot/, 'float models have one kernel set');
  for (const n of [auto, i16, float]) n.dispose();
});
