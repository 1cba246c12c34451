// Benchmark of the teachable classifier's engine side (Node, the single-threaded wasm build),
// with peers from the same run: the k-NN query (cosine similarity to every example and the k
// best) and training the softmax head, against TensorFlow.js (tfjs-core 4.9 on its CPU backend,
// the same math as @tensorflow-models/knn-classifier: normalise, matMul, topk; and a dense
// softmax layer fitted with Adam as Teachable Machine does) and a plain JavaScript loop.
// Not a test: it prints numbers.
// Usage: node bench/teach.mjs [--runs N] [--json FILE]
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as glue from '../pkg/mobilenet_wasm.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    json: { type: 'string' },
    models: { type: 'string', default: process.env.MOBILENET_MODELS ?? new URL('../../shared/models', import.meta.url).pathname },
  },
});
const runs = Number(values.runs);
await glue.default({ module_or_path: await readFile(new URL('../pkg/mobilenet_wasm_bg.wasm', import.meta.url)) });
await tf.setBackend('cpu');

const median = (f, n = runs, warm = Math.min(3, n)) => {
  for (let i = 0; i < warm; i++) f(); // warm-up (JIT, allocations)
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
};

let seed = 1;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
/** `n` embeddings of `dim` features in `classes` clusters (non-negative, like the pool's). */
function clusters(n, dim, classes) {
  const centres = Array.from({ length: classes }, () => Float32Array.from({ length: dim }, () => 3 * rnd()));
  const data = new Float32Array(n * dim);
  const labels = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % classes;
    for (let j = 0; j < dim; j++) data[i * dim + j] = Math.max(0, centres[labels[i]][j] + 2 * (rnd() - 0.5));
  }
  return { data, labels };
}

// The engine needs a model for its feature buffer: the query is the embedding of a frame.
const ALPHA_MODEL = { 256: 'mobilenet_v1_0.25_128_quant', 1024: 'mobilenet_v1_1.0_224_quant' };
const rows = { knn: [], train: [] };
const K = 3;
const CLASSES = 5;
for (const dim of [256, 1024]) {
  const engine = new glue.Engine(new Uint8Array(await readFile(`${values.models}/${ALPHA_MODEL[dim]}.tflite`)));
  const frame = new Uint8Array(64 * 64 * 4).map(() => 255 * rnd());
  const at = engine.frameBuffer(frame.length);
  new Uint8Array(glue.wasmMemory().buffer, at, frame.length).set(frame);
  const qAt = engine.embedInPlace(64, 64);
  const query = new Float32Array(glue.wasmMemory().buffer, qAt, dim).slice();
  for (const n of [100, 1000, 5000, 10000]) {
    const { data, labels } = clusters(n, dim, CLASSES);
    const t = new glue.Teacher(dim);
    t.addVectors(data, labels);
    const ours = median(() => t.predictKnn(engine, K, CLASSES));
    // Plain JavaScript: normalised rows, one dot product each, the k best.
    const norms = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += data[i * dim + j] ** 2;
      norms[i] = 1 / Math.sqrt(s);
    }
    const js = median(() => {
      let qn = 0;
      for (let j = 0; j < dim; j++) qn += query[j] ** 2;
      qn = 1 / Math.sqrt(qn);
      const sims = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        const o = i * dim;
        for (let j = 0; j < dim; j++) s += data[o + j] * query[j];
        sims[i] = s * norms[i] * qn;
      }
      const best = [];
      for (let i = 0; i < n; i++) {
        if (best.length < K || sims[i] > sims[best[K - 1]]) {
          best.push(i);
          best.sort((a, b) => sims[b] - sims[a]);
          if (best.length > K) best.pop();
        }
      }
      return best;
    });
    // TensorFlow.js as knn-classifier does it: the examples normalised once, per query
    // normalise, matMul, topk.
    const examples = tf.tidy(() => { const x = tf.tensor2d(data, [n, dim]); return tf.div(x, tf.norm(x, 2, 1, true)); });
    const tfjs = median(() => tf.tidy(() => {
      const q = tf.tensor2d(query, [1, dim]);
      const sims = tf.reshape(tf.matMul(examples, tf.div(q, tf.norm(q)), false, true), [n]);
      return tf.topk(sims, K).indices.dataSync();
    }));
    examples.dispose();
    t.free();
    rows.knn.push({ dim, examples: n, ours, js, tfjs });
    console.log(`k-NN  ${String(dim).padStart(4)} features × ${String(n).padStart(5)} examples: ours ${ours.toFixed(3)} ms, `
      + `plain JS ${js.toFixed(3)} ms, TF.js cpu ${tfjs.toFixed(3)} ms`);
  }
  for (const n of [150, 300]) {
    const { data, labels } = clusters(n, dim, 3);
    const t = new glue.Teacher(dim);
    t.addVectors(data, labels);
    let stats;
    const ours = median(() => { stats = JSON.parse(t.train(3, 60, 16, 0.01, 0.001, 1)); }, 5);
    t.free();
    tf.engine().startScope();
    // TF.js: a dense softmax layer, Adam, the same epochs, batch size and step size.
    const tfjs = median(() => {
      const w = tf.variable(tf.zeros([dim, 3]), true, 'w');
      const b = tf.variable(tf.zeros([3]), true, 'b');
      const opt = tf.train.adam(0.01);
      const x = tf.tensor2d(data, [n, dim]);
      const y = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), 3);
      for (let e = 0; e < 60; e++) {
        for (let s = 0; s < n; s += 16) {
          const xb = tf.slice(x, [s, 0], [Math.min(16, n - s), dim]);
          const yb = tf.slice(y, [s, 0], [Math.min(16, n - s), 3]);
          // The gradient of the mean cross-entropy, by hand (tfjs-core alone registers no
          // gradients): (softmax(x·W + b) − y) / batch, then Adam on W and b.
          tf.tidy(() => {
            const g = tf.div(tf.sub(tf.softmax(tf.add(tf.matMul(xb, w), b)), yb), xb.shape[0]);
            opt.applyGradients({ w: tf.matMul(xb, g, true, false), b: tf.sum(g, 0) });
          });
          xb.dispose(); yb.dispose();
        }
      }
      for (const v of [w, b, x, y]) v.dispose();
      opt.dispose();
    }, 1, 0);
    tf.engine().endScope();
    rows.train.push({ dim, examples: n, ours, tfjs, accuracy: stats.accuracy });
    console.log(`train ${String(dim).padStart(4)} features × ${String(n).padStart(5)} examples, 3 classes, 60 epochs: `
      + `ours ${ours.toFixed(1)} ms (accuracy ${stats.accuracy}), TF.js cpu ${tfjs.toFixed(1)} ms`);
  }
  engine.free();
}
if (values.json) await writeFile(values.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 1));
