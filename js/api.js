// mobilenet-wasm: MobileNet v1 image classification in WebAssembly. The public JavaScript API,
// which the browser entry (index.js) and the Node entry (node.js) both export. The engine is
// Rust compiled to wasm in four builds (see loader.js); the model runs in this thread or in a
// module Worker (worker-driver.js): on a page's main thread a small threaded model runs on the
// page, a large one in a Worker (where.js).
import { MobileNetClassifier, createClassifier } from './classifier.js';
import { MobileNetError, wrap } from './errors.js';
import { frameToRgba, resultOptions } from './frames.js';
import * as loader from './loader.js';
import { compileVariant, initVariant, otherPoolSize, pickVariant, singleVariant } from './loader.js';
import { LIVE_FRAME, LIVE_SIZE, LiveVideo as LiveLoop } from './live.js';
import { loadLocal, warmLocal } from './local.js';
import { inWorker, platform } from './platform.js';
import { sha256 } from './sha256.js';
import { cachedFetch, readSource } from './source.js';
import { pageOrWorker, readShape, shapeFromName } from './where.js';
import { WorkerDriver } from './worker-driver.js';
import { zooUrl } from './zoo.js';

export { LABELS } from './labels.js';
export { MobileNetClassifier } from './classifier.js';
export { MobileNetError } from './errors.js';
export { topK } from './frames.js';
export { embeddedLabels, exportTflite } from './export.js';
export { ZOO, parseZooFileName, zooAlphaName, zooFileName, zooUrl } from './zoo.js';

// The public types: declared where their values are made (build.sh generates index.d.ts and the
// modules' .d.ts from these JSDoc comments), re-exported here under the package's names.
/** @typedef {import('./errors.js').ErrorCode} ErrorCode */
/** @typedef {import('./errors.js').ErrorDetails} ErrorDetails */
/** @typedef {import('./types.js').Quant} Quant */
/** @typedef {import('./types.js').LayerType} LayerType */
/** @typedef {import('./types.js').LayerCost} LayerCost */
/** @typedef {import('./types.js').Cost} Cost */
/** @typedef {import('./types.js').ModelInfo} ModelInfo */
/** @typedef {import('./types.js').LayerTiming} LayerTiming */
/** @typedef {import('./types.js').MemoryStats} MemoryStats */
/** @typedef {import('./types.js').ThreadStats} ThreadStats */
/** @typedef {import('./types.js').Capabilities} Capabilities */
/** @typedef {import('./frames.js').Classification} Classification */
/** @typedef {import('./frames.js').RgbaFrame} RgbaFrame */
/** @typedef {import('./frames.js').Frame} Frame */
/** @typedef {import('./frames.js').ClassifyOptions} ClassifyOptions */
/** @typedef {import('./live.js').ClassifyVideoOptions} ClassifyVideoOptions */
/** @typedef {import('./live.js').VideoResult} VideoResult */
/** @typedef {import('./live.js').VideoState} VideoState */
/** @typedef {import('./live.js').LiveVideo} LiveVideo */
/** @typedef {import('./classifier.js').ClassifierOptions} ClassifierOptions */
/** @typedef {import('./classifier.js').ClassifierModel} ClassifierModel */
/** @typedef {import('./classifier.js').PredictOptions} PredictOptions */
/** @typedef {import('./classifier.js').Prediction} Prediction */
/** @typedef {import('./classifier.js').TrainOptions} TrainOptions */
/** @typedef {import('./classifier.js').TrainStats} TrainStats */
/** @typedef {import('./classifier.js').LinearHead} LinearHead */
/** @typedef {import('./classifier.js').SavedClassifier} SavedClassifier */
/** @typedef {import('./export.js').ExportHead} ExportHead */
/** @typedef {import('./zoo.js').ZooFile} ZooFile */

/**
 * @typedef {object} Limits
 * @property {number} [maxModelBytes] Largest model file (default 64 MiB).
 * @property {number} [maxTensorElements] Largest activation tensor in elements (default 16 Mi).
 * @property {number} [maxResolution] Largest input resolution (default 1024).
 * @property {number} [maxMacs] Most multiply-adds per inference (default 16 G).
 * @property {number} [maxFramePixels] Largest frame for classify / embed, in pixels (default 4096 × 4096).
 */

/**
 * @typedef {object} LoadOptions
 * @property {number} [threads] Threads to use (default: navigator.hardwareConcurrency on a
 *   cross-origin isolated page, else 1). Where threads are unavailable the model runs on one.
 * @property {boolean} [worker] true: run the model in a module Worker of its own; false: on the
 *   thread that loads it. Not set (the default): with threads on a page's main thread, on the
 *   page's thread when the model is small (α × ρ ≤ 120: every 0.25, 0.5 up to 224, 0.75 up to 160;
 *   no Worker round trip), else in a Worker; elsewhere on the loading thread.
 *   `net.info.runsIn` / `runsInReason` say where and why.
 * @property {boolean} [cache] Keep a URL's download in the Cache API (browsers), so a reload does not download again.
 * @property {Limits} [limits] Size limits; beyond them calls fail with LIMITS_EXCEEDED.
 * @property {'auto' | 'dot' | 'i16'} [gemm] The uint8 matrix-product kernel: `'auto'` (default)
 *   uses the 8-bit dot product where the browser computes it exactly (probed at load, then
 *   checked against `'i16'` on the model's own layers), else `'i16'`; `'dot'` requires it
 *   (MODEL_UNSUPPORTED where it cannot run); `'i16'` never probes. `info().kernels` names the choice.
 * @property {(reason: string) => void} [onRestart] Worker form: called after the engine trapped or
 *   ran out of memory and its Worker was replaced (same model and resolution, ready again).
 * @property {(loaded: number, total: number) => void} [onProgress] Called during downloads with
 *   the bytes loaded so far and the total (0 if unknown).
 * @property {string | URL | null} [assetBase] Where the package's files (its .wasm builds and
 *   worker.js, in the package's folder layout) are served, for bundlers that do not copy them
 *   (esbuild, Rollup) or a CDN copy; the same as calling {@link setAssetBase} first.
 */

/** @typedef {LoadOptions & import('./zoo.js').ZooChoice} ZooOptions */
/** @import { Driver, Pixels, Planes, TimedClasses } from './types.js' */

// (Functions of loader.js are wrapped, not re-exported: the published types must not reach
// loader.d.ts, which names the builds' wasm-bindgen glue.)

/**
 * What this context gives the engine and, when threads are off, why (= MobileNet.capabilities()).
 * @returns {Capabilities}
 */
export function capabilities() {
  return loader.capabilities();
}

/**
 * Where the package's files (the `.wasm` builds and `worker.js`, in the package's own folder
 * layout) are served, for tools that do not copy `new URL(…, import.meta.url)` assets (esbuild)
 * or a copy of the package on a CDN. `null` (the default) finds them next to the package's
 * modules.
 * @param {string | URL | null} base
 * @returns {void}
 */
export function setAssetBase(base) {
  loader.setAssetBase(base);
}

/** Whether this context can run the threaded build (shared memory needs cross-origin isolation).
 *  @returns {boolean} */
export function threadsSupported() {
  return capabilities().threads;
}

/** A loaded MobileNet model. */
export class MobileNet {
  /** @type {Driver | null} */
  #driver;
  /** @type {Uint8Array} */
  #bytes;
  /** @type {Promise<string> | null} */
  #hash = null;

  /**
   * Use MobileNet.load().
   * @private
   * @param {Driver} driver @param {Uint8Array} bytes
   */
  constructor(driver, bytes) {
    this.#driver = driver;
    this.#bytes = bytes;
  }

  /**
   * What this context gives the engine (SIMD128, relaxed SIMD, threads) and, when threads are
   * off, why — in words that say what to change.
   * @returns {Capabilities}
   */
  static capabilities() {
    return capabilities();
  }

  /**
   * Loads a `.tflite` MobileNet v1 model from a URL, a path (Node), a Response or bytes.
   * @param {string | URL | Response | ArrayBuffer | Uint8Array} source
   * @param {LoadOptions} [options]
   * @returns {Promise<MobileNet>}
   */
  static async load(source, options = {}) {
    if (options.assetBase !== undefined) setAssetBase(options.assetBase);
    const caps = capabilities();
    const threads = options.threads ?? caps.maxThreads;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new MobileNetError('INPUT_INVALID', `threads must be an integer ≥ 1, not ${threads}`);
    }
    const threaded = threads > 1 && caps.threads;
    if (options.worker && (platform.node || typeof Worker === 'undefined' || inWorker)) {
      throw new MobileNetError('INPUT_INVALID',
        'worker: true needs a browser page (module Workers); in Node and inside a Worker the model runs in place');
    }
    // Checked by the engine (one home for the rule): known names, positive integers.
    const limits = options.limits ?? {};
    // The gemm name too (one home: the engine, which chooses its kernels once at construction);
    // its type here, before anything downloads or starts.
    const gemm = options.gemm ?? 'auto';
    if (typeof gemm !== 'string') {
      throw new MobileNetError('INPUT_INVALID', `gemm must be 'auto', 'dot' or 'i16', not ${typeof gemm} ${String(gemm)}`);
    }
    singleVariant(); // NO_SIMD before anything starts
    // The model downloads while the engine starts (its .wasm fetched and compiled, its threads
    // started): neither waits for the other.
    const cacheable = options.cache && typeof caches !== 'undefined' && (typeof source === 'string' || source instanceof URL);
    // What the engine can prepare before the bytes: the kernels of the dtype a zoo file name
    // says, and the memory the load will touch once the server says the file's length.
    const named = shapeFromName(source);
    /** @type {(total: number) => void} */
    let sized = () => {};
    /** @type {import('./local.js').LoadHint} */
    const hint = {
      dtype: named ? (named.quantized ? 'uint8' : 'float32') : 'both',
      limits,
      fileBytes: new Promise((resolve) => { sized = resolve; }),
    };
    const bytesPromise = (async () => {
      const src = cacheable ? await cachedFetch(new URL(String(source), globalThis.location?.href).href, sized) : source;
      return readSource(src, options.onProgress, sized);
    })();
    bytesPromise.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
    // Where the model runs: in a Worker when asked for; with threads on a page's main thread and
    // no `worker` option, on the page's thread for a small model, else in a Worker (where.js).
    const auto = options.worker === undefined && threaded && onPage();
    if (options.worker || auto) {
      let why = 'worker: true';
      if (auto) {
        // α and ρ from a zoo file name (decided before the download ends), else from the file.
        if (!named) {
          // Both outcomes run the same build: it compiles while the model downloads (once: the
          // page's warm-up and the Worker's start reuse it).
          compileVariant(pickVariant(threads)).catch(() => {});
        }
        let choice = named ? pageOrWorker(named, 'its file name') : pageOrWorker(readShape(await bytesPromise), 'the file');
        // The page's threads are started once: another count needs a Worker of its own.
        const other = otherPoolSize(threads);
        if (choice.page && other) {
          choice = { page: false, why: `worker: not set, the model is small, but ${other}: in a Worker` };
        }
        if (choice.page) {
          // The engine and its threads' Workers start from the page while the model downloads.
          warmLocal(threads, bytesPromise, hint);
          const bytes = await bytesPromise;
          const local = await localDriver(bytes, threads, limits, gemm, null);
          local.runsInReason = choice.why;
          return new MobileNet(local, bytes);
        }
        why = choice.why;
      }
      const assetBase = options.assetBase == null ? null : new URL(String(options.assetBase), globalThis.location?.href).href;
      const driver = new WorkerDriver({ bytes: null, threads: threaded ? threads : 1, limits, gemm, assetBase }, options.onRestart);
      driver.runsInReason = why;
      try {
        await driver.start(bytesPromise, hint);
        return new MobileNet(driver, await bytesPromise);
      } catch (e) {
        driver.worker?.terminate();
        const err = wrap(e);
        // The model itself could not be had: that is the error.
        const bytes = await bytesPromise;
        // Asked for the Worker form: say why it cannot be had. Chose it: run here (on one
        // thread, the threaded build being what the Worker could not start), and say why.
        if (options.worker || err.code !== 'NETWORK') throw err;
        const reason = `the engine's Worker could not start, so the model runs on the page's thread, on one thread `
          + `(the engine's threads are Workers too): ${err.message}`;
        const local = await localDriver(bytes, 1, limits, gemm, reason);
        local.runsInReason = `${why}; but the Worker could not start: on the page's thread`;
        return new MobileNet(local, bytes);
      }
    }
    warmLocal(threaded ? threads : 1, bytesPromise, hint);
    const bytes = await bytesPromise;
    // Why one thread: said unless one thread is what the caller asked for.
    const local = await localDriver(bytes, threaded ? threads : 1, limits, gemm,
      !threaded && options.threads !== 1 ? caps.reason : null);
    local.runsInReason = options.worker === false ? 'worker: false'
      : inWorker || platform.node ? 'already off the page\'s main thread (a Worker or Node)'
        : 'one thread: nothing to wait for that a Worker would hide';
    return new MobileNet(local, bytes);
  }

  /**
   * Loads one of the 32 official MobileNet v1 models by width multiplier and input size, from
   * `baseUrl` under its official file name (`mobilenet_v1_<α>_<ρ>_quant.tflite`, float
   * `mobilenet_v1_<α>_<ρ>.tflite`). In browsers the download is kept in the Cache API, so a
   * reload does not download again. `mobilenet fetch-models` puts the files in a folder to host.
   * Defaults: alpha 1, resolution 224, quantized true, baseUrl "models/".
   * @param {ZooOptions} [options]
   * @returns {Promise<MobileNet>}
   */
  static async fromZoo(options = {}) {
    const { alpha = 1, resolution = 224, quantized = true, baseUrl = 'models/' } = options;
    return MobileNet.load(zooUrl(alpha, resolution, quantized, baseUrl), { cache: true, ...options });
  }

  // Calls on one model run one at a time, in the order they were made (FIFO): each waits for
  // the one before it. A call made after dispose(), or still queued when dispose() runs, rejects
  // with INVALID_STATE.
  /** @type {Promise<unknown>} */
  #queue = Promise.resolve();

  /**
   * @template R
   * @param {(d: Driver) => R | Promise<R>} f
   * @returns {Promise<R>}
   */
  #run(f) {
    if (!this.#driver) return Promise.reject(new MobileNetError('INVALID_STATE', 'this model has been disposed'));
    const run = async () => {
      const d = this.#driver;
      if (!d) throw new MobileNetError('INVALID_STATE', 'this model was disposed before the call ran');
      d.assertUsable?.();
      try {
        return await f(d);
      } catch (e) {
        const err = wrap(e);
        // A trap in this thread's engine: later calls on its instance are refused.
        if (err.crashed) d.noteCrash?.(err.message);
        throw err;
      }
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => {});
    return p;
  }

  /**
   * Runs `prepare()` now (the frame as it is at the call, its errors as a rejection), then
   * queues `f(driver, prepared)`.
   * @template P, R
   * @param {() => P} prepare
   * @param {(d: Driver, prepared: P) => R | Promise<R>} f
   * @returns {Promise<R>}
   */
  #runWith(prepare, f) {
    /** @type {P} */
    let prepared;
    try {
      prepared = prepare();
    } catch (e) {
      return Promise.reject(wrap(e));
    }
    return this.#run((d) => f(d, prepared));
  }

  /** Model facts at the current resolution: alpha, resolution, dtype, cost, kernels (the
   *  kernel set, with the gemm choice), threads, backend, capabilities, runsIn and runsInReason
   *  (where the model runs and why) and, when it runs on another thread count than was asked
   *  for, threadsReason (see ModelInfo).
   *  @returns {ModelInfo} */
  get info() {
    const d = this.#usableDriver();
    try {
      return d.info();
    } catch (e) {
      throw wrap(e);
    }
  }

  /** The driver, for the getters: INVALID_STATE once disposed or once its instance trapped.
   *  @returns {Driver} */
  #usableDriver() {
    if (!this.#driver) throw new MobileNetError('INVALID_STATE', 'this model has been disposed');
    this.#driver.assertUsable?.();
    return this.#driver;
  }

  /** The class names results carry: ImageNet's 1001, or the taught labels a file exported by
   *  `exportTflite()` records in its metadata.
   *  @returns {readonly string[]} */
  get labels() {
    // From the driver, not through info (each classify asks: no parse of the engine's JSON).
    return this.#usableDriver().labels;
  }

  /**
   * Runs the model on a raw HWC input tensor (Uint8Array for uint8 models); resolves to the raw
   * output (1001 values).
   * @overload
   * @param {Uint8Array} input
   * @returns {Promise<Uint8Array>}
   */
  /**
   * Runs the model on a raw HWC input tensor (Float32Array for float models); resolves to the
   * raw output (1001 values).
   * @overload
   * @param {Float32Array} input
   * @returns {Promise<Float32Array>}
   */
  /**
   * @param {Uint8Array | Float32Array} input
   * @returns {Promise<Uint8Array | Float32Array>}
   */
  infer(input) {
    return this.#run((d) => d.infer(input));
  }

  /**
   * Classifies an image: center crop, resize, run; the top classes with their probabilities.
   * The top classes, score descending (ties by lower index).
   * @param {Frame} frame ImageData, ImageBitmap, a video/canvas element, OffscreenCanvas,
   *   VideoFrame or {data, width, height} (RGBA)
   * @param {ClassifyOptions} [options]
   *   topK (default 5) classes, those with a score ≥ scoreThreshold (default 0), only the
   *   classes in `allow` / none in `deny` (labels or indices)
   * @returns {Promise<Classification[]>}
   */
  classify(frame, options = {}) {
    return this.#runWith(() => /** @type {const} */ ([frameToRgba(frame), resultOptions(options, this.labels)]),
      (d, [rgba, o]) => d.classify(rgba, o));
  }

  /**
   * Classifies a playing video (a webcam) frame after frame until stopped: never more than one
   * frame in flight, frames that arrive meanwhile dropped (the newest runs next), paused while
   * the page is hidden, the camera track ending reported to `onError` (a CAMERA error).
   * `onResult` gets `{ classes, timestamp, frameToResultMs, inferMs, prepareMs, transferMs, … }`.
   * @param {HTMLVideoElement} video
   * @param {(result: VideoResult) => void} onResult
   * @param {ClassifyVideoOptions} [options] result options (topK, scoreThreshold, allow, deny), onError,
   *   pauseWhenHidden (default true), resize ('browser', default, or 'engine')
   * @returns {LiveVideo} { stop(), pause(), resume(), setModel(net), setOptions(o), state, running, error, stats }
   */
  classifyVideo(video, onResult, options = {}) {
    if (!this.#driver) throw new MobileNetError('INVALID_STATE', 'this model has been disposed');
    return new LiveLoop(this, video, onResult, options);
  }

  /**
   * The live loop's call: one grabbed frame ({ data, width, height }, owned), with timings.
   * @internal
   * @param {Pixels | Planes} pixels
   * @param {import('./frames.js').ResultOptions} options
   * @returns {Promise<TimedClasses>}
   */
  [LIVE_FRAME](pixels, options) {
    return this.#run((d) => d.classifyTimed(pixels, options));
  }

  /** The input size frames are scaled to. @internal @returns {number} */
  [LIVE_SIZE]() {
    if (!this.#driver) throw new MobileNetError('INVALID_STATE', 'this model has been disposed');
    return this.#driver.resolution();
  }

  /** The feature vector of an image — the output of the final average pool, before the
   *  classifier (1024·α values) — for transfer learning or nearest-neighbour classifiers.
   *  @param {Frame} frame @returns {Promise<Float32Array>} */
  embed(frame) {
    return this.#runWith(() => frameToRgba(frame), (d, rgba) => d.embed(rgba));
  }

  /** Runs the model once on a raw input and times every layer (for benchmarks and tuning).
   *  @param {Uint8Array | Float32Array} input @returns {Promise<LayerTiming[]>} */
  profile(input) {
    return this.#run((d) => d.profile(input));
  }

  /** Diagnostics of the engine instance: its wasm memory size, the bytes it has allocated, and
   *  how many allocations it has made (running a frame makes none).
   *  @returns {Promise<MemoryStats>} */
  memoryStats() {
    return this.#run((d) => d.memoryStats());
  }

  /** Diagnostics of this model's threads: how many inferences ran on the team and how many on
   *  the calling thread alone, and why (the measured times; see ThreadStats).
   *  @returns {Promise<ThreadStats>} */
  threadStats() {
    return this.#run((d) => d.threadStats());
  }

  /** Runs the model at another input resolution (re-plans; does not reload).
   *  @param {number} resolution @returns {Promise<void>} */
  setResolution(resolution) {
    if (!Number.isInteger(resolution)) {
      return Promise.reject(new MobileNetError('INPUT_INVALID', `resolution must be an integer, not ${resolution}`));
    }
    return this.#run((d) => d.setResolution(resolution));
  }

  /**
   * A classifier of your own classes on this model's embeddings (k-NN by cosine similarity,
   * and an optional trained softmax head), computed in the engine.
   * @param {ClassifierOptions} [options] neighbours that vote (default 3)
   * @returns {Promise<MobileNetClassifier>}
   */
  createClassifier(options = {}) {
    return createClassifier(this, (prepare, f) => this.#runWith(prepare, f), options);
  }

  /** A copy of the `.tflite` file this model was loaded from. @returns {Uint8Array} */
  modelBytes() {
    if (!this.#driver) throw new MobileNetError('INVALID_STATE', 'this model has been disposed');
    return this.#bytes.slice();
  }

  /** The SHA-256 of the model file, lowercase hex (computed once). @returns {Promise<string>} */
  modelHash() {
    if (!this.#driver) return Promise.reject(new MobileNetError('INVALID_STATE', 'this model has been disposed'));
    this.#hash ??= sha256(this.#bytes);
    return this.#hash;
  }

  /** Frees the model's memory; any later call throws INVALID_STATE. @returns {void} */
  dispose() {
    if (this.#driver) {
      this.#driver.dispose();
      this.#driver = null;
    }
  }
}

/**
 * The engine in this thread; `reason`: why it runs on one thread (kept unless the engine says).
 * @param {Uint8Array} bytes @param {number} threads @param {Limits} limits
 * @param {string} gemm @param {string | null} reason
 */
async function localDriver(bytes, threads, limits, gemm, reason) {
  const driver = await loadLocal(bytes, threads, limits, gemm);
  if (reason && !driver.threadsReason) driver.threadsReason = reason;
  return driver;
}

/** Whether this is a page's main thread (a Window: it has a document). */
const onPage = () => !platform.node && !inWorker && typeof document !== 'undefined';

/**
 * The cost model of the plain MobileNet v1 architecture (the paper's count).
 * @param {{ alpha?: number, resolution?: number, classes?: number }} [options]
 * @returns {Promise<Cost>}
 */
export async function cost({ alpha = 1, resolution = 224, classes = 1000 } = {}) {
  const glue = await initVariant(singleVariant(), 1);
  try {
    return JSON.parse(glue.costModel(alpha, resolution, classes));
  } catch (e) {
    throw wrap(e);
  }
}
