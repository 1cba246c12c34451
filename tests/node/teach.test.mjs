// Teaching your own classes (MobileNetClassifier) through the package in Node: classes taught
// from crops of three photos label held-back variants right (k-NN and trained head, uint8 and
// float), the head is the documented linear layer on embed()'s output, JSON round trips
// predict identically, another model is refused with MODEL_MISMATCH, and bad use gets typed
// errors.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { MobileNet, MobileNetClassifier, MobileNetError } from '../../pkg/node.js';
import { decodeImage } from '../../pkg/decode.js';
import { sha256Js } from '../../pkg/sha256.js';
import { heldBack, taught } from '../common/augment.mjs';
import { IMAGES, MODELS, data } from './data.mjs';

const PHOTOS = { cat: 'cat.bmp', bird: 'bird.bmp', parrot: 'parrot.jpg' };

async function photos() {
  const out = {};
  for (const [label, file] of Object.entries(PHOTOS)) out[label] = decodeImage(await data(join(IMAGES, file)), file);
  return out;
}

async function rejects(promise, code) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof MobileNetError, `not a MobileNetError: ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

const load = (name) => MobileNet.load(join(MODELS, `mobilenet_v1_${name}.tflite`));

async function teachAll(net, imgs) {
  const clf = await net.createClassifier();
  for (const [label, img] of Object.entries(imgs)) {
    for (const v of taught(img)) await clf.addExample(v, label);
  }
  return clf;
}

/** Predictions of every held-back variant, as [label, confidence, scores]. */
async function predictAll(clf, imgs, options) {
  const out = [];
  for (const img of Object.values(imgs)) {
    for (const v of heldBack(img)) {
      const p = await clf.predict(v, options);
      out.push([p.label, p.confidence, p.scores]);
    }
  }
  return out;
}

function assertRightLabels(results, imgs, what) {
  const want = Object.keys(imgs).flatMap((l) => heldBack(imgs[l]).map(() => l));
  assert.deepEqual(results.map((r) => r[0]), want, what);
}

for (const kind of ['0.25_128_quant', '0.25_128_float', '1.0_224_quant']) {
  test(`teach cat, bird and parrot from crops; held-back variants get their labels (${kind})`, async () => {
    const imgs = await photos();
    const net = await load(kind);
    const clf = await teachAll(net, imgs);
    assert.deepEqual(clf.counts(), { cat: 5, bird: 5, parrot: 5 });
    assert.deepEqual(clf.labels, ['cat', 'bird', 'parrot']);
    assert.equal(clf.size, 15);
    assert.equal(clf.trained, false);
    assert.equal(clf.head(), null);

    const knn = await predictAll(clf, imgs);
    assertRightLabels(knn, imgs, 'k-NN');
    const p = await clf.predict(heldBack(imgs.cat)[0]);
    assert.equal(p.method, 'knn');
    assert.equal(p.scores.length, 3);
    assert.ok(p.scores.every((s) => s.similarity >= -1 && s.similarity <= 1));
    assert.ok(p.scores[0].similarity > p.scores[2].similarity);

    const stats = await clf.train();
    assert.equal(stats.examples, 15);
    assert.equal(stats.accuracy, 1);
    assert.ok(stats.loss < 0.1, `loss ${stats.loss}`);
    console.log(`# ${kind}: trained on 15 examples in ${stats.ms.toFixed(1)} ms, loss ${stats.loss.toFixed(4)}`);
    assert.equal(clf.trained, true);
    const headResults = await predictAll(clf, imgs);
    assertRightLabels(headResults, imgs, 'trained head');
    const hp = await clf.predict(heldBack(imgs.bird)[1]);
    assert.equal(hp.method, 'head');
    assert.ok(Math.abs(hp.scores.reduce((a, s) => a + s.score, 0) - 1) < 1e-5, 'probabilities sum to 1');
    // method 'knn' still asks the neighbours.
    assert.equal((await clf.predict(heldBack(imgs.bird)[1], { method: 'knn' })).method, 'knn');
    net.dispose();
  });
}

test('the head is logits = W·e + b on embed()\'s output, its argmax predict()\'s label', async () => {
  const imgs = await photos();
  const net = await load('0.25_128_quant');
  const clf = await teachAll(net, imgs);
  await clf.train();
  const h = clf.head();
  assert.equal(h.classes, 3);
  assert.equal(h.features, 256);
  assert.ok(h.weights instanceof Float32Array && h.weights.length === 3 * 256);
  assert.ok(h.bias instanceof Float32Array && h.bias.length === 3);
  assert.deepEqual(h.labels, ['cat', 'bird', 'parrot']);
  for (const img of Object.values(imgs)) {
    for (const v of heldBack(img)) {
      const e = await net.embed(v);
      const logits = Array.from(h.bias, (b, c) => e.reduce((acc, x, j) => acc + h.weights[c * h.features + j] * x, b));
      const max = Math.max(...logits);
      const exp = logits.map((l) => Math.exp(l - max));
      const probs = exp.map((x) => x / exp.reduce((a, b) => a + b));
      const p = await clf.predict(v);
      assert.equal(p.label, h.labels[logits.indexOf(max)]);
      for (const s of p.scores) assert.ok(Math.abs(s.score - probs[h.labels.indexOf(s.label)]) < 1e-5);
    }
  }
  net.dispose();
});

test('training is deterministic for a seed; the seed changes the weights, not the labels', async () => {
  const imgs = await photos();
  const net = await load('0.25_128_quant');
  const clf = await teachAll(net, imgs);
  await clf.train({ epochs: 20, seed: 7 });
  const a = clf.head();
  await clf.train({ epochs: 20, seed: 7 });
  const b = clf.head();
  assert.deepEqual(b.weights, a.weights);
  assert.deepEqual(b.bias, a.bias);
  await clf.train({ epochs: 20, seed: 8 });
  assert.notDeepEqual(clf.head().weights, a.weights);
  assertRightLabels(await predictAll(clf, imgs), imgs, 'seed 8');
  net.dispose();
});

test('toJSON / fromJSON: identical predictions (k-NN and head), through a JSON string too', async () => {
  const imgs = await photos();
  const net = await load('0.25_128_quant');
  const clf = await teachAll(net, imgs);
  const before = await predictAll(clf, imgs, { method: 'knn' });
  const json = JSON.stringify(clf);
  const restored = await MobileNetClassifier.fromJSON(net, json);
  assert.deepEqual(restored.counts(), clf.counts());
  assert.deepEqual(await predictAll(restored, imgs, { method: 'knn' }), before);
  assert.equal(restored.trained, false);

  await clf.train();
  const headBefore = await predictAll(clf, imgs);
  const saved = clf.toJSON();
  assert.equal(saved.format, 'mobilenet-wasm/classifier');
  assert.equal(saved.version, 1);
  assert.deepEqual(Object.keys(saved.model).sort(), ['alpha', 'dtype', 'features', 'resolution', 'sha256', 'trainedResolution']);
  assert.equal(saved.model.sha256, sha256Js(await data(join(MODELS, 'mobilenet_v1_0.25_128_quant.tflite'))));
  assert.equal(saved.model.sha256, await net.modelHash());
  assert.deepEqual([saved.model.alpha, saved.model.dtype, saved.model.resolution, saved.model.features], [0.25, 'uint8', 128, 256]);
  // Through a second model instance of the same file: same predictions, bit for bit.
  const net2 = await load('0.25_128_quant');
  const again = await MobileNetClassifier.fromJSON(net2, JSON.parse(JSON.stringify(saved)));
  assert.equal(again.trained, true);
  assert.deepEqual(await predictAll(again, imgs), headBefore);
  assert.deepEqual(again.head(), clf.head());
  net.dispose();
  net2.dispose();
});

test('a classifier taught on α = 0.25 is refused by α = 1.0 (and by the float file) with MODEL_MISMATCH', async () => {
  const imgs = await photos();
  const small = await load('0.25_128_quant');
  const clf = await teachAll(small, imgs);
  await clf.train();
  const json = clf.toJSON();
  const big = await load('1.0_224_quant');
  await assert.rejects(MobileNetClassifier.fromJSON(big, json), (e) => {
    assert.equal(e.code, 'MODEL_MISMATCH', e.message);
    assert.match(e.message, /α 0\.25, uint8, 128×128/);
    assert.match(e.message, /α 1, uint8, 224×224/);
    assert.equal(e.expected.alpha, 0.25);
    assert.equal(e.actual.alpha, 1);
    return true;
  });
  const float = await load('0.25_128_float');
  await rejects(MobileNetClassifier.fromJSON(float, json), 'MODEL_MISMATCH');
  // The same file at another resolution: refused until the resolution matches.
  const other = await load('0.25_128_quant');
  await other.setResolution(160);
  await rejects(MobileNetClassifier.fromJSON(other, json), 'MODEL_MISMATCH');
  await other.setResolution(128);
  assert.equal((await MobileNetClassifier.fromJSON(other, json)).size, 15);
  // A classifier in use after its model changed resolution.
  await small.setResolution(160);
  await rejects(clf.predict(imgs.cat), 'MODEL_MISMATCH');
  await rejects(clf.addExample(imgs.cat, 'cat'), 'MODEL_MISMATCH');
  await small.setResolution(128);
  assert.equal((await clf.predict(imgs.cat)).label, 'cat');
  for (const n of [small, big, float, other]) n.dispose();
});

test('removeLabel, clear, counts; typed errors for bad use', async () => {
  const imgs = await photos();
  const net = await load('0.25_128_quant');
  const clf = await net.createClassifier({ k: 1 });
  await rejects(clf.predict(imgs.cat), 'INVALID_STATE'); // no examples
  await rejects(clf.train(), 'INVALID_STATE'); // no labels
  assert.deepEqual(await clf.addExample(imgs.cat, 'cat'), { label: 'cat', count: 1 });
  await rejects(clf.train(), 'INVALID_STATE'); // one label
  await rejects(clf.predict(imgs.cat, { method: 'head' }), 'INVALID_STATE'); // not trained
  await rejects(clf.addExample({ data: new Uint8Array(10), width: 4, height: 4 }, 'cat'), 'INPUT_INVALID');
  await rejects(clf.addExample('cat.bmp', 'cat'), 'INPUT_INVALID');
  await rejects(clf.addExample(imgs.cat, ''), 'INPUT_INVALID');
  await rejects(clf.addExample(imgs.cat, 7), 'INPUT_INVALID');
  await rejects(clf.predict(imgs.cat, { k: 0 }), 'INPUT_INVALID');
  await rejects(clf.predict(imgs.cat, { method: 'svm' }), 'INPUT_INVALID');
  await rejects(clf.train({ epochs: 0 }), 'INPUT_INVALID');
  await rejects(clf.train({ rate: 1 }), 'INPUT_INVALID');
  await rejects(clf.train({ toString: 1 }), 'INPUT_INVALID'); // a name of Object.prototype is no option either
  await rejects(clf.removeLabel('dog'), 'INPUT_INVALID');
  await rejects(net.createClassifier({ k: -1 }), 'INPUT_INVALID');
  await rejects(MobileNetClassifier.fromJSON(net, '{"format":"something else"}'), 'INPUT_INVALID');
  await rejects(MobileNetClassifier.fromJSON(net, 'not json'), 'INPUT_INVALID');
  await rejects(clf.save('mine'), 'INVALID_STATE'); // no IndexedDB in Node
  assert.throws(() => new MobileNetClassifier(), TypeError);

  await clf.addExample(imgs.bird, 'bird');
  await clf.addExample(taught(imgs.bird)[0], 'bird');
  await clf.addExample(imgs.parrot, 'parrot');
  assert.deepEqual(clf.counts(), { cat: 1, bird: 2, parrot: 1 });
  await clf.train({ epochs: 5 });
  assert.equal(await clf.removeLabel('bird'), 2);
  assert.equal(clf.trained, false, 'removing a label drops the head');
  assert.deepEqual(clf.counts(), { cat: 1, parrot: 1 });
  assert.equal((await clf.predict(heldBack(imgs.parrot)[0])).label, 'parrot');
  assert.equal((await clf.predict(heldBack(imgs.cat)[0])).label, 'cat');
  await clf.clear();
  assert.deepEqual(clf.counts(), {});
  assert.equal(clf.size, 0);
  await rejects(clf.predict(imgs.cat), 'INVALID_STATE');

  clf.dispose();
  await rejects(clf.addExample(imgs.cat, 'cat'), 'INVALID_STATE');
  const other = await net.createClassifier();
  await other.addExample(imgs.cat, 'cat');
  net.dispose();
  await rejects(other.predict(imgs.cat), 'INVALID_STATE'); // disposed model
  await rejects(net.createClassifier(), 'INVALID_STATE');
});

test('a k-NN over 3000 examples answers with the nearest one (restored vectors)', async () => {
  const imgs = await photos();
  const net = await load('0.25_128_quant');
  const clf = await teachAll(net, imgs);
  // 3000 more examples of a fourth label, far from the photos (random non-negative vectors),
  // restored through fromJSON; the photos' held-back variants still find their own label.
  const saved = clf.toJSON();
  let seed = 3;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  const noise = new Float32Array(3000 * 256).map(() => rnd() * rnd() * 4);
  const old = Buffer.from(saved.examples.embeddings, 'base64');
  const all = Buffer.concat([old, Buffer.from(noise.buffer)]);
  saved.labels.push('noise');
  saved.examples.labels.push(...new Array(3000).fill(3));
  saved.examples.embeddings = all.toString('base64');
  const big = await MobileNetClassifier.fromJSON(net, saved);
  assert.equal(big.size, 3015);
  assertRightLabels(await predictAll(big, imgs), imgs, '3015 examples');
  net.dispose();
});

test('imagenet: n mixes the taught labels with ImageNet\'s top n in one ranked list', async () => {
  const imgs = await photos();
  const net = await load('0.25_128_quant');
  const clf = await teachAll(net, imgs);
  await clf.train();
  const frame = heldBack(imgs.cat)[0];
  const p = await clf.predict(frame, { imagenet: 3 });
  assert.equal(p.label, 'cat');
  assert.deepEqual(p.imagenet, await net.classify(frame, { topK: 3 }), 'the model\'s own top 3 on the frame');
  assert.equal(p.mixed.length, 3 + 3);
  assert.deepEqual(p.mixed.filter((m) => m.source === 'taught').map((m) => m.label), p.scores.map((s) => s.label));
  assert.deepEqual(p.mixed.filter((m) => m.source === 'imagenet').map((m) => m.index), p.imagenet.map((c) => c.index));
  for (let i = 1; i < p.mixed.length; i++) assert.ok(p.mixed[i - 1].score >= p.mixed[i].score, 'ranked by score');
  assert.equal((await clf.predict(frame)).mixed, undefined, 'only when asked');
  await rejects(clf.predict(frame, { imagenet: -1 }), 'INPUT_INVALID');
  net.dispose();
});
