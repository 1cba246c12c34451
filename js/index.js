// mobilenet-wasm: MobileNet v1 image classification in WebAssembly.
// The public JavaScript API. The engine is Rust compiled to wasm in up to four builds (generated
// by build.sh next to this file): SIMD128 (baseline), relaxed SIMD, and both again with threads.
// The loader picks the fastest build the engine validates and the page allows.

import { LABELS } from './labels.js';

export { LABELS };

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
const inWorker = typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope;

/** Every failure of this package: `code` is one of the stable codes below. */
export class MobileNetError extends Error {
  /**
   * @param {string} code MODEL_MALFORMED | MODEL_UNSUPPORTED | INPUT_INVALID | LIMITS_EXCEEDED |
   *   INVALID_STATE | NETWORK | NO_SIMD
   * @param {string} message
   * @param {object} [extra] extra fields (e.g. `status`, `url` for NETWORK)
   */
  constructor(code, message, extra = {}) {
    super(message);
    this.name = 'MobileNetError';
    this.code = code;
    Object.assign(this, extra);
  }
}

/** Converts an error thrown by the wasm engine (or a Worker) into a MobileNetError. */
function wrap(e) {
  if (e instanceof MobileNetError) return e;
  if (e && typeof e.code === 'string') return new MobileNetError(e.code, e.message);
  // A trap inside the engine (out of memory, or a bug: every input is validated first). The
  // instance cannot be trusted afterwards: a Worker that sees this restarts.
  return new MobileNetError('INVALID_STATE', `engine failure: ${e?.message ?? e}`, { crashed: true });
}

// Modules using one feature each: they validate only where the engine supports it.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1,
  0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1,
  0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11]);

/** Whether this context can run the threaded build (shared memory needs cross-origin isolation). */
export function threadsSupported() {
  return !isNode && typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated === true
    && typeof Worker !== 'undefined';
}

const VARIANTS = {
  simd128: './mobilenet_wasm.js',
  'relaxed-simd': './relaxed/mobilenet_wasm.js',
  threads: './threads/mobilenet_wasm.js',
  'threads-relaxed-simd': './threads-relaxed/mobilenet_wasm.js',
};

const loaded = new Map();
/** Instantiates one build once; resolves to its glue module. */
function initVariant(name, threads) {
  if (!loaded.has(name)) {
    const p = (async () => {
      const glue = await import(VARIANTS[name]);
      const url = new URL(VARIANTS[name].replace(/\.js$/, '_bg.wasm'), import.meta.url);
      if (isNode) {
        const { readFile } = await import('node:fs/promises');
        await glue.default({ module_or_path: await readFile(url) });
      } else {
        await glue.default({ module_or_path: url });
      }
      // The calling thread computes too: the pool needs one thread fewer.
      if (glue.initThreadPool) await glue.initThreadPool(threads - 1);
      return glue;
    })();
    p.catch(() => loaded.delete(name));
    loaded.set(name, p);
  }
  return loaded.get(name);
}

/** The single-threaded build for this engine. */
function singleVariant() {
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new MobileNetError('NO_SIMD',
      'this JavaScript engine does not support WebAssembly SIMD128, which mobilenet-wasm needs '
      + '(Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4, Node ≥ 16.4)');
  }
  return WebAssembly.validate(RELAXED_PROBE) ? 'relaxed-simd' : 'simd128';
}

/** Reads a model source into bytes. */
async function readSource(source, onProgress) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) {
    return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  }
  if (typeof Response !== 'undefined' && source instanceof Response) {
    return readResponse(source, source.url || 'response', onProgress);
  }
  if (typeof source === 'string' || source instanceof URL) {
    const s = String(source);
    if (isNode && !/^(https?|data|blob):/i.test(s)) {
      const { readFile } = await import('node:fs/promises');
      const path = s.startsWith('file:') ? new URL(s) : s;
      try {
        return new Uint8Array(await readFile(path));
      } catch (e) {
        throw new MobileNetError('NETWORK', `cannot read ${s}: ${e.message}`, { url: s });
      }
    }
    let response;
    try {
      response = await fetch(s);
    } catch (e) {
      throw new MobileNetError('NETWORK', `cannot download ${s}: ${e.message}`, { url: s });
    }
    return readResponse(response, s, onProgress);
  }
  throw new MobileNetError('INPUT_INVALID',
    'model source must be a URL, a path (Node), a Response, an ArrayBuffer or a Uint8Array');
}

async function readResponse(response, url, onProgress) {
  if (!response.ok) {
    throw new MobileNetError('NETWORK', `downloading ${url} failed: HTTP ${response.status}`,
      { status: response.status, url });
  }
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body || !onProgress) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.(bytes.length, total || bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  return bytes;
}

/**
 * Extracts RGBA pixels from any supported frame type. `owned` says whether the pixels are a
 * fresh buffer (which may be transferred to a Worker) or the caller's own.
 */
function frameToRgba(frame) {
  if (frame && frame.data && Number.isInteger(frame.width) && Number.isInteger(frame.height)) {
    const d = frame.data;
    if (!ArrayBuffer.isView(d)) {
      throw new MobileNetError('INPUT_INVALID', 'frame.data must be a Uint8Array or Uint8ClampedArray of RGBA pixels');
    }
    const data = d instanceof Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    return { data, width: frame.width, height: frame.height, owned: false };
  }
  if (typeof OffscreenCanvas !== 'undefined' && frame && typeof frame === 'object') {
    const width = frame.videoWidth || frame.displayWidth || frame.naturalWidth || frame.width;
    const height = frame.videoHeight || frame.displayHeight || frame.naturalHeight || frame.height;
    if (width > 0 && height > 0) {
      const canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(frame, 0, 0, width, height);
      const img = ctx.getImageData(0, 0, width, height);
      return { data: new Uint8Array(img.data.buffer), width, height, owned: true };
    }
  }
  throw new MobileNetError('INPUT_INVALID',
    'frame must be ImageData, ImageBitmap, a video/canvas/image element, OffscreenCanvas, '
    + 'VideoFrame or { data, width, height } (RGBA)');
}

/** Indices of the k largest scores: score descending, ties by lower index. */
export function topK(scores, k) {
  const n = Math.min(Math.max(0, k), scores.length);
  if (n > 16) {
    const idx = Array.from(scores.keys());
    idx.sort((a, b) => scores[b] - scores[a] || a - b);
    return idx.slice(0, n);
  }
  // Small k: one pass keeping the best n in order (insertion), no sort of every score.
  const best = [];
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (best.length === n && !(v > scores[best[n - 1]])) continue;
    let j = best.length < n ? best.length : n - 1;
    while (j > 0 && v > scores[best[j - 1]]) {
      if (j < n) best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}

function toClasses(scores, k) {
  return topK(scores, k).map((index) => ({ index, label: LABELS[index] ?? `class ${index}`, score: scores[index] }));
}

const LIMIT_NAMES = ['maxModelBytes', 'maxTensorElements', 'maxResolution', 'maxMacs', 'maxFramePixels'];

/** Validates `options.limits`: positive integers, known names. */
function checkLimits(limits = {}) {
  if (typeof limits !== 'object' || limits === null) {
    throw new MobileNetError('INPUT_INVALID', 'limits must be an object');
  }
  for (const [k, v] of Object.entries(limits)) {
    if (!LIMIT_NAMES.includes(k)) {
      throw new MobileNetError('INPUT_INVALID', `unknown limit ${k} (known: ${LIMIT_NAMES.join(', ')})`);
    }
    if (!(Number.isSafeInteger(v) && v > 0)) {
      throw new MobileNetError('INPUT_INVALID', `limit ${k} must be a positive integer, not ${v}`);
    }
  }
  return { ...limits };
}

/** The α and ρ of the official MobileNet v1 models. */
export const ZOO = Object.freeze({ alphas: [1, 0.75, 0.5, 0.25], resolutions: [224, 192, 160, 128] });

/** Official file name of a model: `mobilenet_v1_<α>_<ρ>[_quant].tflite`. */
export function zooFileName(alpha, resolution, quantized) {
  const a = Number(alpha);
  if (!ZOO.alphas.includes(a)) {
    throw new MobileNetError('INPUT_INVALID', `alpha must be one of ${ZOO.alphas.join(', ')}, not ${alpha}`);
  }
  if (!ZOO.resolutions.includes(Number(resolution))) {
    throw new MobileNetError('INPUT_INVALID', `resolution must be one of ${ZOO.resolutions.join(', ')}, not ${resolution}`);
  }
  const name = `mobilenet_v1_${a === 1 ? '1.0' : String(a)}_${Number(resolution)}`;
  return `${name}${quantized ? '_quant' : ''}.tflite`;
}

function zooUrl(alpha, resolution, quantized, baseUrl) {
  const file = zooFileName(alpha, resolution, quantized);
  const base = String(baseUrl).endsWith('/') ? String(baseUrl) : `${baseUrl}/`;
  if (isNode && !/^(https?|file):/i.test(base)) return `${base}${file}`; // a folder path
  const root = globalThis.location?.href ?? (isNode ? `file://${process.cwd()}/` : undefined);
  return new URL(file, new URL(base, root)).href;
}

/** Downloads `url`, keeping the response in the Cache API where there is one. */
async function cachedFetch(url) {
  if (typeof caches === 'undefined' || !/^https?:/i.test(url)) return url;
  let cache;
  try {
    cache = await caches.open('mobilenet-wasm-models');
    const hit = await cache.match(url);
    if (hit) return hit;
  } catch {
    return url; // no usable cache (e.g. opaque origin): just download
  }
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new MobileNetError('NETWORK', `cannot download ${url}: ${e.message}`, { url });
  }
  if (!response.ok) {
    throw new MobileNetError('NETWORK', `downloading ${url} failed: HTTP ${response.status}`, { status: response.status, url });
  }
  try {
    await cache.put(url, response.clone());
  } catch {
    // Quota or storage errors only cost a download next time.
  }
  return response;
}

/** Runs the engine in this thread. */
class LocalDriver {
  constructor(engine, glue, backend) {
    this.engine = engine;
    this.glue = glue;
    this.backend = backend;
    // Fetched once: each of these calls allocates inside the engine.
    this.memory = glue.wasmMemory();
    this.dtype = engine.dtype;
  }

  info() {
    return { ...JSON.parse(this.engine.info()), threads: this.glue.threadCount(), backend: this.backend };
  }

  /** Zero-copy: the input is written straight into the engine's input buffer and the output
   *  copied once out of wasm memory; nothing is allocated inside the engine. */
  infer(input) {
    const e = this.engine;
    const want = this.dtype === 'uint8' ? Uint8Array : Float32Array;
    if (!(input instanceof want)) {
      throw new MobileNetError('INPUT_INVALID',
        `a ${this.dtype} model takes a ${want.name}, not ${input?.constructor?.name ?? typeof input}`);
    }
    if (input.length !== e.inputLength) {
      throw new MobileNetError('INPUT_INVALID',
        `input of ${input.length} values, the model expects ${e.inputLength} (${e.resolution}×${e.resolution}×3)`);
    }
    new want(this.memory.buffer, e.inputPtr(), input.length).set(input);
    const out = e.runInPlace();
    return new want(this.memory.buffer, out, e.outputLength).slice();
  }

  /** Copies an RGBA frame into the engine's frame buffer. */
  loadFrame({ data, width, height }) {
    if (!(width > 0 && height > 0 && data.length === width * height * 4)) {
      throw new MobileNetError('INPUT_INVALID',
        `a ${width}×${height} RGBA frame needs ${width * height * 4} bytes, got ${data.length}`);
    }
    const at = this.engine.frameBuffer(data.length);
    new Uint8Array(this.memory.buffer, at, data.length).set(data);
  }

  classify(frame, k) {
    const e = this.engine;
    this.loadFrame(frame);
    const scores = new Float32Array(this.memory.buffer, e.classifyInPlace(frame.width, frame.height), e.outputLength);
    return toClasses(scores, k);
  }

  embed(frame) {
    const e = this.engine;
    if (e.embeddingLength === 0) {
      throw new MobileNetError('MODEL_UNSUPPORTED', 'the model has no average pool to take features from');
    }
    this.loadFrame(frame);
    return new Float32Array(this.memory.buffer, e.embedInPlace(frame.width, frame.height), e.embeddingLength).slice();
  }

  profile(input) {
    const e = this.engine;
    const want = e.dtype === 'uint8' ? Uint8Array : Float32Array;
    if (!(input instanceof want)) throw new MobileNetError('INPUT_INVALID', `a ${e.dtype} model takes a ${want.name}`);
    const times = want === Uint8Array ? e.profileU8(input) : e.profileF32(input);
    const info = this.info();
    const costs = [...info.cost.layers];
    return info.operators.map((op, index) => {
      const c = op === 'CONV_2D' || op === 'DEPTHWISE_CONV_2D' ? costs.shift() : null;
      return { index, op, type: c?.type ?? null, ms: times[index], macs: c?.macs ?? 0 };
    });
  }

  setResolution(r) {
    this.engine.setResolution(r);
  }

  memoryStats() {
    const g = this.glue;
    return { wasmMemoryBytes: this.memory.buffer.byteLength, liveBytes: g.liveBytes(), allocations: g.allocationCount() };
  }

  dispose() {
    this.engine.free();
  }
}

/** Runs the engine in a module Worker (the threaded build must not run on the main thread).
 *  If the engine traps or runs out of memory in the Worker, the Worker is replaced by a fresh
 *  one with the same model and resolution, the failed call rejects, and `onRestart` is told. */
class WorkerDriver {
  constructor(load, onRestart) {
    this.load = load; // { bytes, threads, limits }: kept to start again after a crash
    this.onRestart = onRestart;
    this.pending = new Map();
    this.next = 1;
    this.cachedInfo = null;
    this.restarts = 0;
  }

  /** Starts the Worker and loads the model in it. */
  async start() {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.worker = worker;
    worker.onmessage = ({ data }) => {
      const p = this.pending.get(data.id);
      if (!p) return;
      this.pending.delete(data.id);
      if (data.ok) p.resolve(data.result);
      else if (data.crashed) p.crash(data.error.message);
      else p.reject(new MobileNetError(data.error.code, data.error.message));
    };
    worker.onerror = (e) => {
      e.preventDefault?.();
      const pending = [...this.pending.values()];
      this.pending.clear();
      if (pending.length) for (const p of pending) p.crash(e.message ?? String(e));
      else this.restart(e.message ?? String(e)).catch(() => {});
    };
    this.cachedInfo = await this.call('load', this.load);
  }

  /** Replaces a crashed Worker: same model, same resolution. */
  async restart(reason) {
    const resolution = this.cachedInfo?.resolution;
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new MobileNetError('INVALID_STATE', 'the inference worker was restarted'));
    this.pending.clear();
    this.restarts++;
    await this.start();
    if (resolution && resolution !== this.cachedInfo.resolution) {
      this.cachedInfo = await this.call('setResolution', { resolution });
    }
    this.onRestart?.(reason);
  }

  call(type, payload = {}, transfer = []) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const crash = (reason) => {
        this.restart(reason).then(
          () => reject(new MobileNetError('INVALID_STATE',
            `the engine failed (${reason}); its Worker was restarted and the model is ready again`, { restarted: true })),
          (e) => reject(wrap(e)),
        );
      };
      this.pending.set(id, { resolve, reject, crash });
      this.worker.postMessage({ id, type, ...payload }, transfer);
    });
  }

  info() {
    return this.cachedInfo;
  }

  infer(input) {
    // Copy: the caller keeps its input; the copy is transferred, not cloned again.
    const copy = input.slice();
    return this.call('infer', { input: copy }, [copy.buffer]);
  }

  classify(frame, k) {
    const data = frame.owned ? frame.data : frame.data.slice();
    return this.call('classify', { frame: { data, width: frame.width, height: frame.height }, topK: k }, [data.buffer]);
  }

  embed(frame) {
    const data = frame.owned ? frame.data : frame.data.slice();
    return this.call('embed', { frame: { data, width: frame.width, height: frame.height } }, [data.buffer]);
  }

  profile(input) {
    return this.call('profile', { input: input.slice() });
  }

  async setResolution(r) {
    this.cachedInfo = await this.call('setResolution', { resolution: r });
  }

  memoryStats() {
    return this.call('memoryStats');
  }

  dispose() {
    this.call('dispose').finally(() => this.worker.terminate());
  }
}

/** A loaded MobileNet model. */
export class MobileNet {
  #driver;
  #busy = false;

  /** @private Use MobileNet.load(). */
  constructor(driver) {
    this.#driver = driver;
  }

  /**
   * Loads a `.tflite` MobileNet v1 model.
   * @param {string|URL|Response|ArrayBuffer|Uint8Array} source
   * @param {{threads?: number, worker?: boolean, cache?: boolean,
   *   onProgress?: (loaded: number, total: number) => void}} [options]
   *   threads: default what the page allows (navigator.hardwareConcurrency when cross-origin
   *   isolated, else 1). Where threads are unavailable the model runs on one.
   *   cache: keep a downloaded URL in the Cache API (browsers) so a reload does not download it.
   *   onRestart(reason): the Worker form restarted its Worker after the engine trapped or ran
   *   out of memory (the model is ready again; show a notice).
   *   limits: { maxModelBytes (64 MiB), maxTensorElements (16 Mi), maxResolution (1024),
   *   maxMacs (16 G per inference), maxFramePixels (4096²) } — LIMITS_EXCEEDED beyond.
   * @returns {Promise<MobileNet>}
   */
  static async load(source, options = {}) {
    const allowed = threadsSupported() ? Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1) : 1;
    const threads = options.threads ?? allowed;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new MobileNetError('INPUT_INVALID', `threads must be an integer ≥ 1, not ${threads}`);
    }
    const threaded = threads > 1 && threadsSupported();
    // The threaded build blocks while its threads run, which a page's main thread may not do:
    // there it lives in a Worker of its own. `worker: true` asks for the Worker form anyway.
    const useWorker = options.worker ?? (threaded && !inWorker);
    if (useWorker && (isNode || typeof Worker === 'undefined' || inWorker)) {
      throw new MobileNetError('INPUT_INVALID',
        'worker: true needs a browser page (module Workers); in Node and inside a Worker the model runs in place');
    }
    const cacheable = options.cache && typeof caches !== 'undefined' && (typeof source === 'string' || source instanceof URL);
    const src = cacheable ? await cachedFetch(new URL(String(source), globalThis.location?.href).href) : source;
    const limits = checkLimits(options.limits);
    const bytes = await readSource(src, options.onProgress);
    if (limits.maxModelBytes && bytes.length > limits.maxModelBytes) {
      throw new MobileNetError('LIMITS_EXCEEDED', `the model is ${bytes.length} bytes, the limit is ${limits.maxModelBytes}`);
    }
    const single = singleVariant();
    if (useWorker) {
      const driver = new WorkerDriver({ bytes, threads: threaded ? threads : 1, limits }, options.onRestart);
      try {
        await driver.start();
      } catch (e) {
        driver.worker?.terminate();
        throw wrap(e);
      }
      return new MobileNet(driver);
    }
    if (threaded) {
      return MobileNet.#local(bytes, single === 'relaxed-simd' ? 'threads-relaxed-simd' : 'threads', threads, limits);
    }
    return MobileNet.#local(bytes, single, 1, limits);
  }

  /**
   * Loads one of the 32 official MobileNet v1 models by width multiplier and input size, from
   * `baseUrl` under its official file name (`mobilenet_v1_<α>_<ρ>_quant.tflite`, float
   * `mobilenet_v1_<α>_<ρ>.tflite`). In browsers the download is kept in the Cache API, so a
   * reload does not download again. `mobilenet fetch-models` puts the files in a folder to host.
   * @param {{alpha?: number, resolution?: number, quantized?: boolean, baseUrl?: string|URL,
   *   threads?: number, worker?: boolean, onProgress?: (loaded: number, total: number) => void}} [options]
   *   defaults: alpha 1, resolution 224, quantized true, baseUrl "models/" (the demo's folder)
   * @returns {Promise<MobileNet>}
   */
  static async fromZoo(options = {}) {
    const { alpha = 1, resolution = 224, quantized = true, baseUrl = 'models/' } = options;
    return MobileNet.load(zooUrl(alpha, resolution, quantized, baseUrl), { cache: true, ...options });
  }

  static async #local(bytes, backend, threads, limits) {
    let glue;
    try {
      glue = await initVariant(backend, threads);
    } catch (e) {
      throw new MobileNetError('INVALID_STATE', `cannot start the ${backend} build: ${e.message}`);
    }
    try {
      const l = limits;
      const engine = glue.Engine.withLimits(bytes, l.maxModelBytes ?? 0, l.maxTensorElements ?? 0, l.maxResolution ?? 0,
        l.maxMacs ?? 0, l.maxFramePixels ?? 0);
      return new MobileNet(new LocalDriver(engine, glue, backend));
    } catch (e) {
      throw wrap(e);
    }
  }

  #live() {
    if (!this.#driver) throw new MobileNetError('INVALID_STATE', 'this model has been disposed');
    if (this.#busy) throw new MobileNetError('INVALID_STATE', 'an inference is already running on this model');
    return this.#driver;
  }

  async #run(f) {
    const d = this.#live();
    this.#busy = true;
    try {
      return await f(d);
    } catch (e) {
      throw wrap(e);
    } finally {
      this.#busy = false;
    }
  }

  /** Model facts at the current resolution: alpha, resolution, dtype, cost, threads, backend… */
  get info() {
    if (!this.#driver) throw new MobileNetError('INVALID_STATE', 'this model has been disposed');
    try {
      return this.#driver.info();
    } catch (e) {
      throw wrap(e);
    }
  }

  /**
   * Runs the model on a raw HWC input tensor.
   * @param {Uint8Array|Float32Array} input
   * @returns {Promise<Uint8Array|Float32Array>} the raw model output
   */
  infer(input) {
    return this.#run((d) => d.infer(input));
  }

  /**
   * Classifies an image: center crop, resize, run; the top classes with their probabilities.
   * @param {*} frame ImageData, ImageBitmap, a video/canvas element, OffscreenCanvas,
   *   VideoFrame or {data, width, height} (RGBA)
   * @param {{topK?: number}} [options]
   * @returns {Promise<{index: number, label: string, score: number}[]>}
   */
  classify(frame, { topK: k = 5 } = {}) {
    return this.#run((d) => d.classify(frameToRgba(frame), k));
  }

  /**
   * The feature vector of an image — the output of the final average pool, before the
   * classifier (1024·α values) — for transfer learning or nearest-neighbour classifiers.
   * @param {*} frame as for classify()
   * @returns {Promise<Float32Array>}
   */
  embed(frame) {
    return this.#run((d) => d.embed(frameToRgba(frame)));
  }

  /**
   * Runs the model once on a raw input and times every layer (for benchmarks and tuning).
   * @returns {Promise<{index: number, op: string, type: string|null, ms: number, macs: number}[]>}
   */
  profile(input) {
    return this.#run((d) => d.profile(input));
  }

  /**
   * Diagnostics of the engine instance running this model: its wasm memory size, the bytes it
   * has allocated, and how many allocations it has made (running a frame makes none).
   * @returns {Promise<{wasmMemoryBytes: number, liveBytes: number, allocations: number}>}
   */
  memoryStats() {
    return this.#run((d) => d.memoryStats());
  }

  /** Runs the model at another input resolution (re-plans; does not reload). */
  setResolution(resolution) {
    if (!Number.isInteger(resolution)) {
      return Promise.reject(new MobileNetError('INPUT_INVALID', `resolution must be an integer, not ${resolution}`));
    }
    return this.#run((d) => d.setResolution(resolution));
  }

  /** Frees the model's memory; any later call throws INVALID_STATE. */
  dispose() {
    if (this.#driver) {
      this.#driver.dispose();
      this.#driver = null;
    }
  }
}

/**
 * The cost model of the plain MobileNet v1 architecture (the paper's count).
 * @param {{alpha?: number, resolution?: number, classes?: number}} [options]
 */
export async function cost({ alpha = 1, resolution = 224, classes = 1000 } = {}) {
  const glue = await initVariant(singleVariant(), 1);
  try {
    return JSON.parse(glue.costModel(alpha, resolution, classes));
  } catch (e) {
    throw wrap(e);
  }
}
