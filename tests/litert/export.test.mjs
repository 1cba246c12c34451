// The exported .tflite in LiteRT itself (ai-edge-litert from PyPI, its built-in reference kernels:
// OpResolverType.BUILTIN_REF, as ../shared/reference was made), through tests/litert/run.py in the
// virtual environment build.sh installs (target/litert-venv; $MOBILENET_PYTHON overrides).
// A head taught on crops of the sample photos is exported from a uint8 and a float model; LiteRT
// loads each file and, on held-back crops (and two seeded random inputs), gives: the taught label
// (= what the head predicts on the original model's embedding) and, for uint8, outputs identical
// byte for byte to this package's on the same input tensor; for float, the same order and every
// probability within 1e-4 (the golden tests' float rule). LiteRT also reads the labels from the
// file's metadata, and the logits it computes are not saturated.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MobileNet, exportTflite } from '../../pkg/node.js';
import { REFERENCE, ROOT, data, model } from '../node/data.mjs';
import * as variants from '../common/augment.mjs';
import { heldBack, photos, predict, rawInput, squareFrame, teach } from '../node/export-head.mjs';

const PYTHON = process.env.MOBILENET_PYTHON ?? join(ROOT, 'target/litert-venv/bin/python');

function litert(file, inputs) {
  if (!existsSync(PYTHON)) {
    throw new Error(`no LiteRT Python at ${PYTHON}: ./build.sh test litert installs it (a venv with ai-edge-litert), or set MOBILENET_PYTHON`);
  }
  const out = execFileSync(PYTHON, [join(ROOT, 'tests/litert/run.py'), file, ...inputs],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  return JSON.parse(out);
}

const argmax = (v) => [...v.keys()].sort((a, b) => v[b] - v[a] || a - b)[0];
const order = (v) => [...v.keys()].sort((a, b) => v[b] - v[a] || a - b);

for (const name of ['mobilenet_v1_0.25_128_quant', 'mobilenet_v1_0.25_128_float', 'mobilenet_v1_0.5_160_quant']) {
  test(`${name}: LiteRT (reference kernels) runs the exported file and agrees with this package`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mnw-litert-'));
    try {
      const bytes = await model(name);
      const net = await MobileNet.load(bytes);
      const { dtype, resolution } = net.info;
      const images = await photos();
      const { head, examples } = await teach(net, images);
      const exported = await exportTflite(bytes, head, { calibration: examples });
      const file = join(dir, 'taught.tflite');
      writeFileSync(file, exported);
      const taught = await MobileNet.load(exported);
      const cases = heldBack(images, resolution).map((c) => ({ ...c, input: rawInput(c.frame, dtype) }));
      for (const r of ['random0', 'random1']) {
        const raw = await data(join(REFERENCE, name, `${r}.input.bin`));
        cases.push({ truth: null, crop: r, input: dtype === 'uint8' ? raw : new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4) });
      }
      const paths = cases.map((c, i) => {
        const p = join(dir, `input${i}.bin`);
        writeFileSync(p, Buffer.from(c.input.buffer, c.input.byteOffset, c.input.byteLength));
        return p;
      });
      const lr = litert(file, paths);
      assert.deepEqual(lr.input.shape, [1, resolution, resolution, 3]);
      assert.deepEqual(lr.output.shape, [1, 3]);
      assert.equal(lr.output.dtype, dtype === 'uint8' ? 'uint8' : 'float32');
      assert.deepEqual(lr.labels, head.labels, 'LiteRT reads the labels from the metadata');
      let identical = 0;
      for (const [i, c] of cases.entries()) {
        const ours = await taught.infer(c.input);
        const theirs = lr.results[i].output;
        const what = `${c.truth === null ? '' : images[c.truth].label} ${c.crop}`;
        if (dtype === 'uint8') {
          assert.deepEqual([...ours], theirs, `${what}: uint8 outputs differ (ours ${ours}, LiteRT ${theirs})`);
          identical++;
          const logits = lr.results[i].logits;
          if (c.truth !== null) assert.ok(logits.every((q) => q > 0 && q < 255), `${what}: LiteRT's logits ${logits} saturate`);
        } else {
          assert.deepEqual(order(ours), order(theirs), `${what}: order`);
          ours.forEach((p, k) => assert.ok(Math.abs(p - theirs[k]) <= 1e-4, `${what}: p[${k}] ${p} vs LiteRT ${theirs[k]}`));
        }
        if (c.truth !== null) {
          const { best } = predict(head, await net.embed(c.frame));
          assert.equal(best, c.truth, `${what}: the head itself`);
          assert.equal(argmax(theirs), best, `${what}: LiteRT's top-1 (outputs ${theirs})`);
        }
      }
      if (dtype === 'uint8') assert.equal(identical, cases.length);
      taught.dispose();
      net.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// The whole hand-off: net.createClassifier() taught on variants of the photos, train(), then
// classifier.exportTflite(); LiteRT's label on held-back variants is predict()'s.
for (const name of ['mobilenet_v1_0.25_128_quant', 'mobilenet_v1_0.25_128_float']) {
  test(`${name}: classifier.exportTflite() in LiteRT gives predict()'s labels, uint8 byte for byte`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mnw-litert-'));
    try {
      const net = await MobileNet.load(await model(name));
      const { dtype, resolution } = net.info;
      const clf = await net.createClassifier();
      const images = await photos();
      for (const { label, image } of images) for (const v of variants.taught(image)) await clf.addExample(v, label);
      await clf.train();
      const exported = await clf.exportTflite();
      const file = join(dir, 'taught.tflite');
      writeFileSync(file, exported);
      const taught = await MobileNet.load(exported);
      const cases = [];
      for (const { label, image } of images) {
        for (const v of variants.heldBack(image)) {
          const frame = squareFrame(v, resolution);
          cases.push({ label, frame, input: rawInput(frame, dtype), predicted: (await clf.predict(frame)).label });
        }
      }
      const paths = cases.map((c, i) => {
        const p = join(dir, `input${i}.bin`);
        writeFileSync(p, Buffer.from(c.input.buffer, c.input.byteOffset, c.input.byteLength));
        return p;
      });
      const lr = litert(file, paths);
      assert.deepEqual(lr.labels, clf.labels);
      for (const [i, c] of cases.entries()) {
        const theirs = lr.results[i].output;
        assert.equal(c.predicted, c.label, `predict() on a held-back ${c.label}`);
        assert.equal(lr.labels[argmax(theirs)], c.predicted, `LiteRT on a held-back ${c.label}: outputs ${theirs}`);
        const ours = await taught.infer(c.input);
        if (dtype === 'uint8') assert.deepEqual([...ours], theirs, `${c.label}: uint8 outputs`);
        else ours.forEach((p, k) => assert.ok(Math.abs(p - theirs[k]) <= 1e-4, `${c.label}: p[${k}] ${p} vs LiteRT ${theirs[k]}`));
      }
      clf.dispose();
      taught.dispose();
      net.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
