// Teach your own classes: MobileNetClassifier, bound to one loaded model. Examples are the
// model's embeddings (the final average pool's output, dequantized floats for uint8 models),
// stored in the engine's memory next to the model (in its Worker for the Worker form); predict
// is a k-nearest-neighbour vote by cosine similarity, one matrix-vector product in Rust, or the
// softmax head train() fits there. A copy of the examples is kept here, so toJSON() is
// synchronous and a restarted Worker gets them back.
import { MobileNetError, wrap } from './errors.js';
import { exportTflite } from './export.js';
import { frameToRgba } from './frames.js';

/** @import { Classification, Frame, RgbaPixels } from './frames.js' */
/** @import { MobileNet } from './api.js' */
/** @import { Driver } from './types.js' */

/**
 * @typedef {object} ClassifierOptions
 * @property {number} [k] Nearest examples that vote in a k-NN prediction (default 3).
 */

/**
 * The model a classifier is bound to (and a saved one records).
 * @typedef {object} ClassifierModel
 * @property {number} alpha
 * @property {'uint8' | 'float32'} dtype
 * @property {number} resolution The input size the examples were taken at.
 * @property {number} trainedResolution
 * @property {number} features Embedding length (1024·α).
 * @property {string} sha256 SHA-256 of the model file, lowercase hex.
 */

/**
 * @typedef {object} PredictOptions
 * @property {number} [k] Neighbours that vote (default: the classifier's k).
 * @property {'auto' | 'knn' | 'head'} [method] 'auto' (default): the trained head if there is one, else k-NN.
 * @property {number} [topK] Labels in `scores` at most (default all).
 * @property {number} [imagenet] Also run the whole model on the frame: its top n ImageNet classes, and `mixed` (default 0).
 */

/**
 * @typedef {object} Prediction
 * @property {string} label
 * @property {number} confidence The top score.
 * @property {'knn' | 'head'} method
 * @property {{ label: string, score: number, similarity?: number }[]} scores Every label (or topK),
 *   best first. k-NN: share of the k votes, and the best cosine similarity to an example of the
 *   label; head: softmax probability.
 * @property {Classification[]} [imagenet] With `imagenet: n`: the model's own top n classes on the same frame.
 * @property {{ label: string, score: number, source: 'taught' | 'imagenet', index?: number }[]} [mixed]
 *   With `imagenet: n`: taught labels and ImageNet's top n in one list by score.
 */

/**
 * @typedef {object} TrainOptions
 * @property {number} [epochs] Passes over the examples (default 60).
 * @property {number} [batchSize] Examples per step (default 16).
 * @property {number} [learningRate] Adam's step size (default 0.01).
 * @property {number} [l2] L2 penalty on the weights (default 0.001).
 * @property {number} [seed] Seed of the visiting order (default 1).
 */

/**
 * @typedef {object} TrainStats
 * @property {number} examples
 * @property {number} epochs
 * @property {number} steps
 * @property {number} loss Mean cross-entropy on the examples after training.
 * @property {number} accuracy Fraction of the examples labelled right.
 * @property {number} ms Wall time of the call.
 */

/**
 * A trained linear head: logits = W·e + b on `embed()`'s output (dequantized floats for uint8
 * models); the predicted label is `labels[argmax]`.
 * @typedef {object} LinearHead
 * @property {number} classes
 * @property {number} features
 * @property {Float32Array} weights `classes × features`, row-major.
 * @property {Float32Array} bias
 * @property {string[]} labels
 */

/**
 * The persistence format of {@link MobileNetClassifier.toJSON}.
 * @typedef {object} SavedClassifier
 * @property {'mobilenet-wasm/classifier'} format
 * @property {1} version
 * @property {ClassifierModel} model
 * @property {number} k
 * @property {string[]} labels
 * @property {{ labels: number[], embeddings: string }} examples `labels[i]` indexes the
 *   classifier's labels; `embeddings`: base64 of little-endian float32, one row of
 *   `model.features` per example.
 * @property {{ weights: string, bias: string, options: Required<TrainOptions> } | null} head
 *   base64 little-endian float32 (`labels.length × features` weights, row-major; biases).
 */

/**
 * How a classifier queues work on its model (MobileNet's queue): `prepare()` runs at the call,
 * `f(driver, prepared)` in turn.
 * @typedef {<P, R>(prepare: () => P, f: (d: Driver, prepared: P) => R | Promise<R>) => Promise<R>} RunOnModel
 */

export const FORMAT = /** @type {const} */ ('mobilenet-wasm/classifier');
export const VERSION = /** @type {const} */ (1);
const DB_NAME = 'mobilenet-wasm-classifiers';
const STORE = 'classifiers';
const MAX_LABEL = 200;

let nextId = 1;
const TOKEN = Symbol('MobileNetClassifier');
/** @type {(run: RunOnModel, id: number, model: ClassifierModel, k: number, restarts: number, modelBytes: () => Uint8Array) => MobileNetClassifier} */
let construct;

/** Little-endian float32 ↔ base64 (chunked: large arrays exceed the argument limit of apply).
 * @param {Float32Array} f32 @returns {string} */
function toBase64(f32) {
  const bytes = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, /** @type {any} */ (bytes.subarray(i, i + 0x8000)));
  return btoa(s);
}

/** @param {string} b64 @param {string} what @returns {Float32Array} */
function fromBase64(b64, what) {
  let s;
  try {
    s = atob(b64);
  } catch {
    throw new MobileNetError('INPUT_INVALID', `${what} is not base64`);
  }
  if (s.length % 4) throw new MobileNetError('INPUT_INVALID', `${what}: ${s.length} bytes is not a whole number of float32 values`);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/** @param {unknown} label @returns {string} */
function checkLabel(label) {
  if (typeof label !== 'string' || label.length === 0 || label.length > MAX_LABEL) {
    throw new MobileNetError('INPUT_INVALID', `a label must be a non-empty string of at most ${MAX_LABEL} characters, not ${JSON.stringify(label)}`);
  }
  return label;
}

/** @param {any} k untrusted @returns {number} */
function checkK(k) {
  if (!Number.isInteger(k) || k < 1) throw new MobileNetError('INPUT_INVALID', `k must be an integer ≥ 1, not ${k}`);
  return k;
}

const TRAIN_DEFAULTS = { epochs: 60, batchSize: 16, learningRate: 0.01, l2: 0.001, seed: 1 };

/** @param {TrainOptions} [options] @returns {Required<TrainOptions>} */
function trainOptions(options = {}) {
  if (options === null || typeof options !== 'object') throw new MobileNetError('INPUT_INVALID', 'train options must be an object');
  const o = { ...TRAIN_DEFAULTS };
  for (const [k, v] of Object.entries(options)) {
    if (!Object.hasOwn(TRAIN_DEFAULTS, k)) {
      throw new MobileNetError('INPUT_INVALID', `unknown train option ${k} (known: ${Object.keys(TRAIN_DEFAULTS).join(', ')})`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new MobileNetError('INPUT_INVALID', `train option ${k} must be a number, not ${v}`);
    o[/** @type {keyof TrainOptions} */ (k)] = v;
  }
  for (const k of /** @type {const} */ (['epochs', 'batchSize', 'seed'])) {
    if (!Number.isSafeInteger(o[k]) || o[k] < (k === 'seed' ? 0 : 1)) {
      throw new MobileNetError('INPUT_INVALID', `train option ${k} must be an integer ≥ ${k === 'seed' ? 0 : 1}, not ${o[k]}`);
    }
  }
  return o;
}

function indexedDb() {
  if (typeof indexedDB === 'undefined') {
    throw new MobileNetError('INVALID_STATE', 'IndexedDB is not available here (Node, or a context without it): keep toJSON() instead');
  }
  return indexedDB;
}

/**
 * Runs `f(store)` in one IndexedDB transaction; resolves to the last request's result.
 * @template T
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest<T>} f
 * @returns {Promise<T>}
 */
async function withStore(mode, f) {
  const idb = indexedDb();
  /** @type {IDBDatabase} */
  const db = await new Promise((resolve, reject) => {
    const open = idb.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(new MobileNetError('INVALID_STATE', `cannot open IndexedDB ${DB_NAME}: ${open.error?.message}`));
  });
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = f(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(new MobileNetError('INVALID_STATE', `IndexedDB ${DB_NAME}: ${tx.error?.message}`));
      tx.onabort = () => reject(new MobileNetError('INVALID_STATE', `IndexedDB ${DB_NAME}: ${tx.error?.message ?? 'aborted'}`));
    });
  } finally {
    db.close();
  }
}

/** @param {unknown} name @returns {string} */
function checkName(name) {
  if (typeof name !== 'string' || name.length === 0) {
    throw new MobileNetError('INPUT_INVALID', `a saved classifier's name must be a non-empty string, not ${JSON.stringify(name)}`);
  }
  return /** @type {string} */ (name);
}

/** A model's identity as a saved classifier records it.
 * @param {Pick<ClassifierModel, 'alpha' | 'dtype' | 'resolution' | 'sha256'>} m */
function describe(m) {
  return `α ${m.alpha}, ${m.dtype}, ${m.resolution}×${m.resolution}, sha256 ${m.sha256.slice(0, 12)}…`;
}

/**
 * A classifier of your own classes on top of one model's embeddings. Make one with
 * `await net.createClassifier()` or `await MobileNetClassifier.fromJSON(net, json)`.
 */
export class MobileNetClassifier {
  /** @type {RunOnModel} */
  #run;
  /** @type {number} */
  #id;
  /** @type {ClassifierModel} */
  #model;
  /** @type {number} */
  #k;
  /** @type {string[]} */
  #labels = [];
  /** @type {number[]} */
  #counts = [];
  /** Copies of the examples: Float32Array embeddings and their label indices. @type {Float32Array[]} */
  #vectors = [];
  /** @type {number[]} */
  #vectorLabels = [];
  /** @type {{ weights: Float32Array, bias: Float32Array, options: Required<TrainOptions> } | null} */
  #head = null;
  /** @type {number} */
  #restarts;
  #disposed = false;
  /** @type {() => Uint8Array} */
  #modelBytes;

  /**
   * Use net.createClassifier() or MobileNetClassifier.fromJSON().
   * @private
   * @param {symbol} token @param {RunOnModel} run @param {number} id @param {ClassifierModel} model
   * @param {number} k @param {number} restarts @param {() => Uint8Array} modelBytes
   */
  constructor(token, run, id, model, k, restarts, modelBytes) {
    if (token !== TOKEN) throw new TypeError('use net.createClassifier() or MobileNetClassifier.fromJSON()');
    this.#run = run;
    this.#id = id;
    this.#model = model;
    this.#k = k;
    this.#restarts = restarts;
    this.#modelBytes = modelBytes;
  }

  // The one way to make one from outside the class (createClassifier): the constructor stays
  // private in the published type, and createClassifier is not a member of it.
  static #registered = (construct = (...args) => new MobileNetClassifier(TOKEN, ...args));

  /** The model this classifier is bound to: { alpha, dtype, resolution, trainedResolution,
   *  features, sha256 } (resolution: the input size its examples are taken at).
   *  @returns {ClassifierModel} */
  get model() {
    return { ...this.#model };
  }

  /** The labels, in the order they were first taught. */
  get labels() {
    return [...this.#labels];
  }

  /** Examples stored, all labels together. */
  get size() {
    return this.#vectors.length;
  }

  /** Neighbours that vote in a k-NN prediction (default 3). */
  get k() {
    return this.#k;
  }

  /** Examples per label: `{ label: count }`. @returns {Record<string, number>} */
  counts() {
    return Object.fromEntries(this.#labels.map((l, i) => [l, this.#counts[i]]));
  }

  /** Whether train() has fitted a head that predict() uses (examples changed since drop it). */
  get trained() {
    return this.#head !== null;
  }

  /**
   * Queues `f(driver)` on the model after the frame is read, checking the classifier is alive,
   * the model runs at the resolution the examples were taken at, and restoring the examples
   * into a Worker that was restarted since.
   * @template P, R
   * @param {() => P} prepare
   * @param {(d: Driver, prepared: P) => R | Promise<R>} f
   * @returns {Promise<R>}
   */
  #call(prepare, f) {
    if (this.#disposed) return Promise.reject(new MobileNetError('INVALID_STATE', 'this classifier has been disposed'));
    return this.#run(prepare, async (d, prepared) => {
      if (this.#disposed) throw new MobileNetError('INVALID_STATE', 'this classifier was disposed before the call ran');
      const r = d.info().resolution;
      if (r !== this.#model.resolution) {
        throw new MobileNetError('MODEL_MISMATCH', `this classifier was taught at ${this.#model.resolution}×${this.#model.resolution} `
          + `and the model now runs at ${r}×${r}: call net.setResolution(${this.#model.resolution}) (or clear() the classifier)`);
      }
      if (restartsOf(d) !== this.#restarts) await this.#restore(d);
      return f(d, prepared);
    });
  }

  /** Puts the kept examples (and head) into a fresh engine (after a Worker restart).
   *  @param {Driver} d */
  async #restore(d) {
    await d.teach({ type: 'create', id: this.#id });
    this.#restarts = restartsOf(d);
    await this.#upload(d);
  }

  /** @param {Driver} d */
  async #upload(d) {
    const dim = this.#model.features;
    if (this.#vectors.length) {
      const vectors = new Float32Array(this.#vectors.length * dim);
      this.#vectors.forEach((v, i) => vectors.set(v, i * dim));
      await d.teach({ type: 'addVectors', id: this.#id, vectors, labels: Uint32Array.from(this.#vectorLabels) });
    }
    if (this.#head) {
      await d.teach({ type: 'setHead', id: this.#id, classes: this.#labels.length, weights: this.#head.weights, bias: this.#head.bias });
    }
  }

  /**
   * Adds one example: the frame's embedding, under `label` (a new label is created).
   * @param {Frame} frame any frame classify() takes
   * @param {string} label
   * @returns {Promise<{label: string, count: number}>} the label's examples after this one
   */
  addExample(frame, label) {
    return this.#call(() => /** @type {const} */ ([frameToRgba(frame), checkLabel(label)]), async (d, [rgba, l]) => {
      let i = this.#labels.indexOf(l);
      const index = i < 0 ? this.#labels.length : i;
      const { embedding } = await d.teach({ type: 'add', id: this.#id, frame: rgba, label: index });
      if (i < 0) {
        i = this.#labels.push(l) - 1;
        this.#counts.push(0);
      }
      this.#counts[i]++;
      this.#vectors.push(embedding);
      this.#vectorLabels.push(i);
      this.#head = null;
      return { label: l, count: this.#counts[i] };
    });
  }

  /**
   * Classifies a frame among the taught labels. `method`: `'auto'` (default: the trained head
   * when there is one, else k-NN), `'knn'` or `'head'`. k-NN scores are each label's share of
   * the `k` nearest examples' votes (ties ranked by the best cosine similarity, also given);
   * head scores are softmax probabilities. `imagenet: n` also runs the whole model on the same
   * frame and adds `imagenet` (its top n classes) and `mixed`: the taught labels and those n
   * ImageNet classes in one list by score (taught first on ties), each with its `source`.
   * @param {Frame} frame
   * @param {PredictOptions} [options]
   * @returns {Promise<Prediction>}
   */
  predict(frame, options = {}) {
    return this.#call(() => {
      if (options === null || typeof options !== 'object') throw new MobileNetError('INPUT_INVALID', 'predict options must be an object');
      const { k = this.#k, method = 'auto', topK = Infinity, imagenet = 0 } = options;
      if (!(Number.isInteger(imagenet) && imagenet >= 0)) {
        throw new MobileNetError('INPUT_INVALID', `imagenet must be an integer ≥ 0, not ${imagenet}`);
      }
      checkK(k);
      if (!['auto', 'knn', 'head'].includes(method)) {
        throw new MobileNetError('INPUT_INVALID', `method must be 'auto', 'knn' or 'head', not ${JSON.stringify(method)}`);
      }
      if (!(topK === Infinity || (Number.isInteger(topK) && topK >= 0))) {
        throw new MobileNetError('INPUT_INVALID', `topK must be an integer ≥ 0, not ${topK}`);
      }
      return /** @type {const} */ ([frameToRgba(frame), k, method, topK, imagenet]);
    }, async (d, [rgba, k, method, topK, imagenet]) => {
      if (this.#vectors.length === 0) throw new MobileNetError('INVALID_STATE', 'the classifier has no examples: addExample() first');
      if (method === 'head' && !this.#head) throw new MobileNetError('INVALID_STATE', 'no trained head: call train() first (or use method \'knn\')');
      const useHead = method === 'head' || (method === 'auto' && this.#head !== null);
      const classes = this.#labels.length;
      const r = await d.teach({ type: 'predict', id: this.#id, frame: rgba, method: useHead ? 'head' : 'knn', k, classes, imagenet });
      /** @type {Prediction['scores']} */
      let scores;
      if (useHead) {
        scores = this.#labels.map((label, i) => ({ label, score: r.head[i] }));
        scores.sort((a, b) => b.score - a.score || this.#labels.indexOf(a.label) - this.#labels.indexOf(b.label));
      } else {
        scores = this.#labels.map((label, i) => ({ label, score: r.knn[2 * i], similarity: r.knn[2 * i + 1] }));
        scores.sort((a, b) => b.score - a.score || /** @type {number} */ (b.similarity) - /** @type {number} */ (a.similarity)
          || this.#labels.indexOf(a.label) - this.#labels.indexOf(b.label));
      }
      /** @type {Prediction} */
      const out = { label: scores[0].label, confidence: scores[0].score, method: useHead ? 'head' : 'knn', scores: scores.slice(0, topK) };
      if (imagenet > 0) {
        out.imagenet = r.imagenet;
        // A stable sort: taught labels (first in the list) stay ahead of ImageNet's on ties.
        /** @type {NonNullable<Prediction['mixed']>} */
        const taught = scores.map((s) => ({ label: s.label, score: s.score, source: 'taught' }));
        out.mixed = [...taught,
          ...r.imagenet.map((/** @type {Classification} */ c) => ({ label: c.label, score: c.score, source: /** @type {const} */ ('imagenet'), index: c.index }))]
          .sort((a, b) => b.score - a.score);
      }
      return out;
    });
  }

  /**
   * Removes a label and its examples; drops the trained head.
   * @param {string} label
   * @returns {Promise<number>} the examples removed
   */
  removeLabel(label) {
    return this.#call(() => {
      const i = this.#labels.indexOf(label);
      if (i < 0) {
        throw new MobileNetError('INPUT_INVALID', `no label ${JSON.stringify(label)} (labels: ${this.#labels.map((l) => JSON.stringify(l)).join(', ') || 'none'})`);
      }
      return i;
    }, async (d, i) => {
      if (this.#labels[i] !== label) throw new MobileNetError('INPUT_INVALID', `no label ${JSON.stringify(label)}`);
      const { removed } = await d.teach({ type: 'removeLabel', id: this.#id, label: i });
      const keep = this.#vectorLabels.map((l) => l !== i);
      this.#vectors = this.#vectors.filter((_, j) => keep[j]);
      this.#vectorLabels = this.#vectorLabels.filter((_, j) => keep[j]).map((l) => (l > i ? l - 1 : l));
      this.#labels.splice(i, 1);
      this.#counts.splice(i, 1);
      this.#head = null;
      return removed;
    });
  }

  /** Removes every example and label and the head; the classifier is then bound to the
   *  model's current resolution. */
  clear() {
    if (this.#disposed) return Promise.reject(new MobileNetError('INVALID_STATE', 'this classifier has been disposed'));
    return this.#run(() => null, async (d) => {
      if (restartsOf(d) !== this.#restarts) await this.#restore(d);
      await d.teach({ type: 'clear', id: this.#id });
      this.#labels = [];
      this.#counts = [];
      this.#vectors = [];
      this.#vectorLabels = [];
      this.#head = null;
      this.#model.resolution = d.info().resolution;
    });
  }

  /**
   * Fits a softmax head on the stored examples, in the engine: seeded mini-batch Adam,
   * deterministic for the same examples and options. predict() then uses it (method 'auto')
   * until the examples change.
   * @param {TrainOptions} [options] defaults 60, 16, 0.01, 0.001, 1
   * @returns {Promise<TrainStats>}
   */
  train(options = {}) {
    return this.#call(() => trainOptions(options), async (d, o) => {
      const t0 = performance.now();
      const { stats, weights, bias } = await d.teach({ type: 'train', id: this.#id, classes: this.#labels.length, options: o });
      this.#head = { weights, bias, options: o };
      return { ...stats, ms: performance.now() - t0 };
    });
  }

  /**
   * The trained head (null before train()): `logits = W·e + b` on the embedding `embed()`
   * returns (dequantized floats for uint8 models), `W` = `weights`, row-major
   * `classes × features`; the predicted label is `labels[argmax]`.
   * @returns {LinearHead | null}
   */
  head() {
    if (!this.#head) return null;
    return {
      classes: this.#labels.length,
      features: this.#model.features,
      weights: this.#head.weights.slice(),
      bias: this.#head.bias.slice(),
      labels: [...this.#labels],
    };
  }

  /**
   * The taught classifier as a `.tflite` file for any TFLite runtime: the model it is bound to
   * with its 1001 ImageNet logits replaced by the trained head (train() first; k-NN has no
   * TFLite form), uint8 logits calibrated on the stored examples, the labels in the file's
   * metadata (see exportTflite). It runs at the file's own input size, so the examples must have
   * been taken at that size.
   * @returns {Promise<Uint8Array>}
   */
  async exportTflite() {
    if (this.#disposed) throw new MobileNetError('INVALID_STATE', 'this classifier has been disposed');
    const head = this.head();
    if (!head) throw new MobileNetError('INVALID_STATE', 'no trained head to export: call train() first (k-NN has no .tflite form)');
    const { resolution, trainedResolution } = this.#model;
    if (resolution !== trainedResolution) {
      throw new MobileNetError('MODEL_UNSUPPORTED', `the examples were taken at ${resolution}×${resolution} and the file runs at `
        + `${trainedResolution}×${trainedResolution}: teach at the file's own size to export`);
    }
    return exportTflite(this.#modelBytes(), head, { calibration: this.#vectors });
  }

  /** The classifier as JSON-ready data (see the README's persistence format).
   *  @returns {SavedClassifier} */
  toJSON() {
    const dim = this.#model.features;
    const all = new Float32Array(this.#vectors.length * dim);
    this.#vectors.forEach((v, i) => all.set(v, i * dim));
    return {
      format: FORMAT,
      version: VERSION,
      model: { ...this.#model },
      k: this.#k,
      labels: [...this.#labels],
      examples: { labels: [...this.#vectorLabels], embeddings: toBase64(all) },
      head: this.#head && {
        weights: toBase64(this.#head.weights),
        bias: toBase64(this.#head.bias),
        options: { ...this.#head.options },
      },
    };
  }

  /**
   * A classifier restored from toJSON()'s data (an object or its JSON string) on `net`, which
   * must be the model it was taught on (same file, by SHA-256, and the same input resolution):
   * another model is refused with MODEL_MISMATCH.
   * @param {MobileNet} net
   * @param {SavedClassifier | string} json
   * @returns {Promise<MobileNetClassifier>}
   */
  static async fromJSON(net, json) {
    /** @type {any} untrusted until checked */
    let j = json;
    if (typeof j === 'string') {
      try {
        j = JSON.parse(j);
      } catch (e) {
        throw new MobileNetError('INPUT_INVALID', `not JSON: ${/** @type {Error} */ (e).message}`);
      }
    }
    if (!j || j.format !== FORMAT) throw new MobileNetError('INPUT_INVALID', `not a saved classifier (format ${JSON.stringify(j?.format)}, expected ${FORMAT})`);
    if (j.version !== VERSION) throw new MobileNetError('INPUT_INVALID', `saved classifier version ${j.version}, this package reads ${VERSION}`);
    /** @type {ClassifierModel} */
    const m = j.model;
    if (!m || typeof m.sha256 !== 'string' || !Number.isInteger(m.features) || !Array.isArray(j.labels)
        || !j.examples || !Array.isArray(j.examples.labels)) {
      throw new MobileNetError('INPUT_INVALID', 'a saved classifier needs model, labels and examples');
    }
    const info = net.info;
    const hash = await net.modelHash();
    const here = { alpha: info.alpha, dtype: info.dtype, resolution: info.resolution, sha256: hash };
    if (m.sha256 !== hash || m.alpha !== info.alpha || m.dtype !== info.dtype) {
      throw new MobileNetError('MODEL_MISMATCH', `this classifier was taught on another model (${describe(m)}); this one is ${describe(here)}`,
        { expected: { ...m }, actual: here });
    }
    if (m.resolution !== info.resolution) {
      throw new MobileNetError('MODEL_MISMATCH', `this classifier was taught at ${m.resolution}×${m.resolution} and the model runs at `
        + `${info.resolution}×${info.resolution}: call net.setResolution(${m.resolution}) first`, { expected: { ...m }, actual: here });
    }
    const labels = j.labels.map(checkLabel);
    if (new Set(labels).size !== labels.length) throw new MobileNetError('INPUT_INVALID', 'a saved classifier with a label twice');
    const vectors = fromBase64(j.examples.embeddings ?? '', 'examples.embeddings');
    /** @type {number[]} */
    const vl = j.examples.labels;
    if (vectors.length !== vl.length * m.features || vl.some((l) => !(Number.isInteger(l) && l >= 0 && l < labels.length))) {
      throw new MobileNetError('INPUT_INVALID', `a saved classifier's examples do not match its labels and ${m.features} features`);
    }
    const c = await net.createClassifier({ k: j.k ?? 3 });
    await c.#load(labels, vectors, vl, j.head);
    return c;
  }

  /**
   * @param {string[]} labels @param {Float32Array} vectors @param {number[]} vectorLabels
   * @param {SavedClassifier['head']} head
   */
  async #load(labels, vectors, vectorLabels, head) {
    const dim = this.#model.features;
    const counts = labels.map(() => 0);
    for (const l of vectorLabels) counts[l]++;
    if (counts.some((n) => n === 0)) throw new MobileNetError('INPUT_INVALID', 'a saved classifier with a label without examples');
    const h = head && { weights: fromBase64(head.weights, 'head.weights'), bias: fromBase64(head.bias, 'head.bias'), options: { ...head.options } };
    if (h && (h.weights.length !== labels.length * dim || h.bias.length !== labels.length)) {
      throw new MobileNetError('INPUT_INVALID', `a saved head must have ${labels.length} × ${dim} weights and ${labels.length} biases`);
    }
    this.#labels = labels;
    this.#counts = counts;
    this.#vectors = vectorLabels.map((_, i) => vectors.slice(i * dim, (i + 1) * dim));
    this.#vectorLabels = [...vectorLabels];
    this.#head = h;
    try {
      await this.#call(() => null, (d) => this.#upload(d));
    } catch (e) {
      this.dispose();
      throw wrap(e);
    }
  }

  /**
   * Saves the classifier in this origin's IndexedDB under `name` (replacing one saved there).
   * @param {string} name
   * @returns {Promise<void>}
   */
  async save(name) {
    checkName(name);
    const data = this.toJSON();
    await withStore('readwrite', (s) => s.put(data, name));
  }

  /**
   * Restores the classifier saved under `name` on `net` (as fromJSON; MODEL_MISMATCH for
   * another model, INPUT_INVALID when nothing is saved under the name).
   * @param {MobileNet} net
   * @param {string} name
   * @returns {Promise<MobileNetClassifier>}
   */
  static async load(net, name) {
    checkName(name);
    /** @type {SavedClassifier | undefined} */
    const data = await withStore('readonly', (s) => s.get(name));
    if (data === undefined) throw new MobileNetError('INPUT_INVALID', `no classifier is saved under ${JSON.stringify(name)}`);
    return MobileNetClassifier.fromJSON(net, data);
  }

  /** Names of the classifiers saved in this origin's IndexedDB. @returns {Promise<string[]>} */
  static async saved() {
    return (await withStore('readonly', (s) => s.getAllKeys())).map(String);
  }

  /** Deletes the classifier saved under `name` (nothing if there is none).
   *  @param {string} name */
  static async remove(name) {
    checkName(name);
    await withStore('readwrite', (s) => s.delete(name));
  }

  /** Frees the classifier's examples in the engine; later calls reject with INVALID_STATE.
   *  @returns {void} */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#vectors = [];
    this.#run(() => null, (d) => d.teach({ type: 'dispose', id: this.#id })).catch(() => {});
  }
}

/** Restarts of the model's Worker so far (0 for a model in this thread).
 *  @param {Driver} d @returns {number} */
function restartsOf(d) {
  return /** @type {{ restarts?: number }} */ (d).restarts ?? 0;
}

/**
 * A new classifier on `net` (MobileNet#createClassifier): `run` queues work on the model.
 * @param {MobileNet} net @param {RunOnModel} run @param {ClassifierOptions} [options]
 * @returns {Promise<MobileNetClassifier>}
 */
export async function createClassifier(net, run, options = {}) {
  if (options === null || typeof options !== 'object') throw new MobileNetError('INPUT_INVALID', 'classifier options must be an object');
  const k = checkK(options.k ?? 3);
  const hash = await net.modelHash();
  const id = nextId++;
  const [model, restarts] = await run(() => null, async (d) => {
    const info = d.info();
    const { features } = await d.teach({ type: 'create', id });
    /** @type {[ClassifierModel, number]} */
    const r = [{ alpha: info.alpha, dtype: info.dtype, resolution: info.resolution, trainedResolution: info.trained_resolution,
      features, sha256: hash }, restartsOf(d)];
    return r;
  });
  return construct(run, id, model, k, restarts, () => net.modelBytes());
}
