// exportTflite through the package (the WebAssembly build): a head taught on crops of the sample
// photos, exported from a uint8 and a float model, loads with MobileNet.load, has the taught
// classes, and on held-back crops gives the class the head gives on the original model's
// embedding (and the right photo); the labels travel in the file; bad input is a typed error.
// (tests/litert/ runs the same exported files in LiteRT.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobileNet, MobileNetError, embeddedLabels, exportTflite } from '../../pkg/node.js';
import { model } from './data.mjs';
import * as variants from '../common/augment.mjs';
import { heldBack, photos, predict, rawInput, squareFrame, teach } from './export-head.mjs';

/** Expects a MobileNetError with `code` whose message matches `expect` (a RegExp: errors made in
 *  JavaScript) or whose `details` have these fields (an object: errors from the engine). */
async function rejects(promise, code, expect) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof MobileNetError, `not a MobileNetError: ${e}`);
    assert.equal(e.code, code, e.message);
    if (expect instanceof RegExp) assert.match(e.message, expect);
    else if (expect) for (const [k, v] of Object.entries(expect)) assert.deepEqual(e.details?.[k], v, `details.${k}: ${e.message}`);
    return true;
  });
}

for (const name of ['mobilenet_v1_0.25_128_quant', 'mobilenet_v1_0.25_128_float', 'mobilenet_v1_1.0_224_quant']) {
  test(`${name}: the exported model loads here and gives the taught classes on held-back crops`, async () => {
    const bytes = await model(name);
    const net = await MobileNet.load(bytes);
    const images = await photos();
    const { head, examples } = await teach(net, images);
    const size = net.info.resolution;
    for (const calibration of [examples, undefined]) {
      const file = await exportTflite(bytes, head, { calibration });
      assert.ok(file instanceof Uint8Array);
      assert.deepEqual(await embeddedLabels(file), head.labels);
      const taught = await MobileNet.load(file);
      assert.equal(taught.info.classes, 3);
      assert.equal(taught.info.dtype, net.info.dtype);
      for (const { truth, crop, frame } of heldBack(images, size)) {
        const e = await net.embed(frame);
        assert.deepEqual(await taught.embed(frame), e, 'the embedding is the original model\'s');
        const { best, logits } = predict(head, e);
        assert.equal(best, truth, `${crop}: the head itself (logits ${logits})`);
        const out = await taught.infer(rawInput(frame, net.info.dtype));
        assert.equal(out.length, 3);
        const top = [...out.keys()].sort((a, b) => out[b] - out[a] || a - b)[0];
        assert.equal(top, best, `${images[truth].label} ${crop} (${calibration ? '' : 'un'}calibrated): outputs ${out}, head logits ${logits}`);
        const [first] = await taught.classify(frame, { topK: 1 });
        assert.equal(first.index, best);
        assert.equal(first.label, head.labels[best], 'classify names the taught class, not ImageNet\'s');
      }
      taught.dispose();
    }
    net.dispose();
  });
}

test('exportTflite: typed errors for a bad head, bad labels and a bad model', async () => {
  const bytes = await model('mobilenet_v1_0.25_128_float');
  const ok = { classes: 2, features: 256, weights: new Float32Array(512).fill(0.1), bias: [0, 0], labels: ['a', 'b'] };
  assert.equal((await MobileNet.load(await exportTflite(bytes, ok))).info.classes, 2);
  await rejects(exportTflite(bytes, { ...ok, features: 1024, weights: new Float32Array(2048) }), 'INPUT_INVALID',
    { what: 'head_features', found: 1024, expected: 256 });
  await rejects(exportTflite(bytes, { ...ok, weights: new Float32Array(100) }), 'INPUT_INVALID', { what: 'head_weights', found: 100, expected: 512 });
  await rejects(exportTflite(bytes, { ...ok, bias: [0] }), 'INPUT_INVALID', { what: 'head_bias_values', found: 1, expected: 2 });
  const nan = new Float32Array(512).fill(0.1);
  nan[7] = NaN;
  await rejects(exportTflite(bytes, { ...ok, weights: nan }), 'INPUT_INVALID',
    { what: 'head_weight_not_finite', found: NaN, expected: 'a finite value at weight 7 (class 0, feature 7)' });
  await rejects(exportTflite(bytes, { ...ok, labels: ['a'] }), 'INPUT_INVALID', { what: 'label_count', found: 1, expected: 2 });
  await rejects(exportTflite(bytes, { ...ok, labels: ['a', 'b\nc'] }), 'INPUT_INVALID', /line break/);
  await rejects(exportTflite(bytes, { ...ok, classes: 0 }), 'INPUT_INVALID', /classes/);
  await rejects(exportTflite(bytes, null), 'INPUT_INVALID');
  await rejects(exportTflite(bytes, ok, { calibration: [new Float32Array(10)] }), 'INPUT_INVALID', /calibration\[0\] has 10 values/);
  await rejects(exportTflite('a path', ok), 'INPUT_INVALID', /bytes/);
  await rejects(exportTflite(new TextEncoder().encode('not a model'), ok), 'MODEL_MALFORMED', { what: 'file_identifier' });
  await rejects(exportTflite(bytes.slice(0, 5000), ok), 'MODEL_MALFORMED');
  assert.equal(await embeddedLabels(bytes), null);
});

test('classifier.exportTflite(): the trained head as a .tflite that loads here with predict()\'s labels; typed errors', async () => {
  const net = await MobileNet.load(await model('mobilenet_v1_0.25_128_quant'));
  const clf = await net.createClassifier();
  const images = await photos();
  for (const { label, image } of images) for (const v of variants.taught(image)) await clf.addExample(v, label);
  await rejects(clf.exportTflite(), 'INVALID_STATE', /train\(\) first/); // the classifier's own state (JavaScript)
  await clf.train();
  const file = await clf.exportTflite();
  assert.deepEqual(await embeddedLabels(file), ['cat', 'bird', 'parrot']);
  const taught = await MobileNet.load(file);
  assert.equal(taught.info.classes, 3);
  assert.deepEqual(taught.labels, ['cat', 'bird', 'parrot']);
  assert.deepEqual(taught.info.labels, ['cat', 'bird', 'parrot']);
  assert.equal(net.info.labels, null, 'an ImageNet file has no labels of its own');
  assert.equal(net.labels.length, 1001);
  await rejects(taught.classify(squareFrame(images[0].image, 128), { allow: ['tabby'] }), 'INPUT_INVALID', /neither a label/);
  for (const { label, image } of images) {
    for (const v of variants.heldBack(image)) {
      const frame = squareFrame(v, 128);
      const p = await clf.predict(frame);
      assert.equal(p.label, label);
      const out = await taught.infer(rawInput(frame, 'uint8'));
      assert.equal(clf.labels[[...out.keys()].sort((a, b) => out[b] - out[a] || a - b)[0]], p.label, `${label}: ${out}`);
      const [top] = await taught.classify(frame, { topK: 1 });
      assert.equal(top.label, label, `classify() of the exported file: ${label}`);
      const only = await taught.classify(frame, { allow: [label === 'cat' ? 'bird' : 'cat'] });
      assert.equal(only.length, 1, 'allow takes the taught labels');
    }
  }
  await net.setResolution(160);
  const other = await net.createClassifier();
  await other.addExample(images[0].image, 'a');
  await other.addExample(images[1].image, 'b');
  await other.train();
  await rejects(other.exportTflite(), 'MODEL_UNSUPPORTED', /taken at 160×160 and the file runs at 128×128/);
  clf.dispose();
  await rejects(clf.exportTflite(), 'INVALID_STATE');
  taught.dispose();
  net.dispose();
});
