// Running the engine in this thread: instantiating a build and driving one model in it with no
// per-call allocation inside the engine (inputs are written into its buffers, outputs read from
// its memory). Used directly on a page's main thread or in Node, and by worker.js.
import { MobileNetError, wrap } from './errors.js';
import { toClasses } from './frames.js';
import { LABELS } from './labels.js';
import { planesToRgba } from './yuv.js';
import { capabilities, crashError, initVariant, instantiatedVariant, markCrashed, noteThreadFailure, otherPoolSize, pickVariant, singleVariant, threadedVariant } from './loader.js';
import { inWorker } from './platform.js';
import { teachOp } from './teach-engine.js';

/** @import { Backend, Glue } from './loader.js' */
/** @import { Classification, ResultOptions, RgbaPixels } from './frames.js' */
/** @import { LayerTiming, MemoryStats, ModelInfo, Pixels, Planes, ThreadStats } from './types.js' */
/** @typedef {import('./mobilenet_wasm.js').Engine} Engine */

/** Runs the engine in this thread. */
export class LocalDriver {
  /**
   * @param {Engine} engine @param {Glue} glue @param {Backend} backend
   * @param {string | null} threadsReason @param {readonly string[]} [labels]
   */
  constructor(engine, glue, backend, threadsReason, labels = LABELS) {
    this.engine = engine;
    /** The class names: ImageNet's, or those in the file's metadata (an exported taught model). */
    this.labels = labels;
    this.glue = glue;
    this.backend = backend;
    this.threadsReason = threadsReason;
    /** Why the model runs in this thread (api.js sets it; see ModelInfo.runsInReason). */
    this.runsInReason = 'on the thread that loaded it';
    /** The engine's info JSON at the current resolution, once read (see info). @type {string | null} */
    this.infoJson = null;
    // Fetched once: each of these calls allocates inside the engine.
    this.memory = glue.wasmMemory();
    this.dtype = engine.dtype;
    /** The classifiers' engine objects (teach-engine.js), by id. @type {Map<number, import('./mobilenet_wasm.js').Teacher> | undefined} */
    this.teachers;
  }

  /** Throws INVALID_STATE once the instance this engine runs in trapped (see noteCrash). */
  assertUsable() {
    const crashed = crashError(this.backend);
    if (crashed) throw crashed;
  }

  /** A call trapped: the instance (shared by every model of this build here) is not to be
   *  trusted again. @param {string} reason */
  noteCrash(reason) {
    markCrashed(this.backend, reason);
  }

  /** The engine's own info: its JSON read once per resolution (each read copies the string out
   *  of the engine: an allocation), parsed on every call, so each caller gets objects of its own.
   *  The engine's part of ModelInfo (info() adds the rest), as JSON.parse gives it.
   *  @returns {any} */
  engineInfo() {
    return JSON.parse(this.infoJson ??= this.engine.info());
  }

  /** @returns {ModelInfo} */
  info() {
    return {
      ...this.engineInfo(),
      threads: this.glue.threadCount(),
      backend: this.backend,
      threadsReason: this.threadsReason,
      capabilities: capabilities(),
      labels: this.labels === LABELS ? null : this.labels,
      runsIn: /** @type {const} */ ('caller'),
      runsInReason: this.runsInReason,
    };
  }

  /** Zero-copy: the input is written straight into the engine's input buffer and the output
   *  copied once out of wasm memory; nothing is allocated inside the engine. The engine checks
   *  the input's type and length (inputPtr) before anything is written.
   *  @param {Uint8Array | Float32Array} input @returns {Uint8Array | Float32Array} */
  infer(input) {
    const at = this.inputAt(input);
    new (this.dtype === 'uint8' ? Uint8Array : Float32Array)(this.memory.buffer, at, input.length).set(input);
    return this.runInPlace();
  }

  /** The address of the engine's input buffer for `input`, once the engine has checked its
   *  type (by name) and length. A name passed to the engine is copied into wasm memory (an
   *  allocation), so the model's own type goes as ''.
   *  @param {Uint8Array | Float32Array} input @returns {number} */
  inputAt(input) {
    const type = input instanceof Uint8Array ? 'uint8' : input instanceof Float32Array ? 'float32'
      : (/** @type {any} */ (input)?.constructor?.name ?? typeof input);
    return this.engine.inputPtr(type === 'uint8' || type === 'float32' ? input.length : 0, type === this.dtype ? '' : type);
  }

  /** Runs the model on the input already in its input buffer (infer, or the page writing
   *  into shared memory: see inputBuffer). @returns {Uint8Array | Float32Array} */
  runInPlace() {
    const e = this.engine;
    const out = e.runInPlace();
    return new (this.dtype === 'uint8' ? Uint8Array : Float32Array)(this.memory.buffer, out, e.outputLength).slice();
  }

  /** Where another thread may write an input straight into the engine (the threaded build's
   *  memory is shared): the memory, the input buffer's address and its length in values of
   *  the model's type; null for a build whose memory is not shared.
   *  @returns {{ memory: WebAssembly.Memory, at: number, length: number } | null} */
  inputBuffer() {
    if (typeof SharedArrayBuffer === 'undefined' || !(this.memory.buffer instanceof SharedArrayBuffer)) return null;
    const e = this.engine;
    const length = e.inputLength;
    return { memory: this.memory, at: e.inputPtr(length, this.dtype), length };
  }

  /** Copies an RGBA frame's bytes into the engine's frame buffer; the engine checks them
   *  against the frame's size when it runs. @param {Pixels} frame */
  loadFrame({ data }) {
    const at = this.engine.frameBuffer(data.length);
    new Uint8Array(this.memory.buffer, at, data.length).set(data);
  }

  /** @param {Pixels} frame @param {ResultOptions} options @returns {Classification[]} */
  classify(frame, options) {
    const e = this.engine;
    this.loadFrame(frame);
    const scores = new Float32Array(this.memory.buffer, e.classifyInPlace(frame.width, frame.height), e.outputLength);
    return toClasses(scores, options, this.labels);
  }

  /** classify() of the live loop: the same, with the time of the copy into the engine and of
   *  the engine's work (preprocessing and inference).
   * @param {Pixels | Planes} frame RGBA pixels, or a video frame's planes (yuv.js)
   * @param {ResultOptions} options from resultOptions()
   * @returns {{ classes: Classification[], copyMs: number, inferMs: number }} */
  classifyTimed(frame, options) {
    const e = this.engine;
    const t0 = performance.now();
    if ('planes' in frame) {
      // A video frame's own planes (yuv.js): converted straight into the engine's frame buffer
      // at the model's input size.
      const n = frame.size * frame.size * 4;
      const at = e.frameBuffer(n);
      planesToRgba(frame.data, frame, frame.size, new Uint8Array(this.memory.buffer, at, n));
      frame = { data: frame.data, width: frame.size, height: frame.size };
    } else {
      this.loadFrame(frame);
    }
    const t1 = performance.now();
    const at = e.classifyInPlace(frame.width, frame.height);
    const t2 = performance.now();
    const classes = toClasses(new Float32Array(this.memory.buffer, at, e.outputLength), options, this.labels);
    return { classes, copyMs: t1 - t0, inferMs: t2 - t1 };
  }

  /** @returns {number} the current input size */
  resolution() {
    return this.engine.resolution;
  }

  /** @param {Pixels} frame @returns {Float32Array} */
  embed(frame) {
    const e = this.engine;
    this.loadFrame(frame);
    return new Float32Array(this.memory.buffer, e.embedInPlace(frame.width, frame.height), e.embeddingLength).slice();
  }

  /** @param {Uint8Array | Float32Array} input @returns {LayerTiming[]} */
  profile(input) {
    const e = this.engine;
    this.inputAt(input); // the engine's checks
    const times = input instanceof Uint8Array ? e.profileU8(input) : e.profileF32(/** @type {Float32Array} */ (input));
    /** @type {ModelInfo} */
    const info = this.engineInfo();
    // Each cost row names the layer it counts (computed once per resolution, from the plan).
    const cost = new Map(info.cost.layers.map((c) => [c.layer, c]));
    return info.operators.map((op, index) => {
      const c = cost.get(index);
      return { index, op, type: c?.type ?? null, ms: times[index], macs: c?.macs ?? 0 };
    });
  }

  /** @param {number} r */
  setResolution(r) {
    this.engine.setResolution(r);
    this.infoJson = null;
  }

  /** A MobileNetClassifier request (see teach-engine.js).
   *  @param {Parameters<typeof teachOp>[1]} op @returns {any} */
  teach(op) {
    return teachOp(this, op);
  }

  /** @returns {MemoryStats} */
  memoryStats() {
    const g = this.glue;
    return {
      wasmMemoryBytes: this.memory.buffer.byteLength, liveBytes: g.liveBytes(), allocations: g.allocationCount(),
      prefaultedBytes: g.prefaultedBytes(),
    };
  }

  /** The engine's counts (src/kernels/parallel.rs, ExecStats, serialized in JavaScript's
   *  names). @returns {ThreadStats} */
  threadStats() {
    return JSON.parse(this.engine.threadStats());
  }

  dispose() {
    // A crashed instance is left as it is (its objects may still be marked in use by the call
    // that trapped): nothing runs on it again.
    if (crashError(this.backend)) {
      this.teachers?.clear();
      return;
    }
    for (const t of this.teachers?.values() ?? []) t.free();
    this.teachers?.clear();
    this.engine.free();
  }
}

/**
 * The model loaded into the build `backend` once `instance` (its glue, instantiated) is there.
 * @param {Backend} backend @param {Promise<Glue> | undefined} instance @param {Uint8Array} bytes
 * @param {import('./api.js').Limits} limits @param {string} gemm @param {string | null} threadsReason
 * @returns {Promise<LocalDriver>}
 */
async function engineIn(backend, instance, bytes, limits, gemm, threadsReason) {
  const glue = /** @type {Glue} */ (await instance);
  try {
    // The limits object and the gemm name go to the engine as they are: the engine checks
    // them (known names, positive integers) and chooses its kernels once, before it packs.
    const engine = new glue.Engine(bytes, limits, gemm);
    const names = engine.labels?.split('\n');
    const labels = names?.length === engine.outputLength ? names : LABELS;
    return new LocalDriver(engine, glue, backend, threadsReason, labels);
  } catch (e) {
    throw wrap(e);
  }
}

/**
 * Loads a model into a build in this thread: the threaded build when `threads` > 1 and the
 * context allows it, else (or if the threads cannot start) the single-threaded one.
 */
/** Starts instantiating the build `loadLocal(…, threads, …)` will use (its .wasm fetched and
 *  compiled, its threads started) before the model is there, warms its kernels up, then maps
 *  the memory the load will touch, all until `until` settles (the model's bytes are there: see
 *  warmKernels, mapAhead). Failures are left for loadLocal to report (a failed start is not kept).
 *  @param {number} threads @param {Promise<unknown>} until @param {LoadHint} [hint] */
export function warmLocal(threads, until, hint = {}) {
  let arrived = false;
  until.then(() => { arrived = true; }, () => { arrived = true; });
  try {
    const backend = pickVariant(threads);
    initVariant(backend, threads).catch(() => {});
    // Warmed up while the threads start, too; then the memory mapped; then more warm-up while
    // the download lasts. All yield between slices, leaving the thread free to receive the
    // model's bytes. The warm-up first: it is short (WARM_ROUNDS) and what a small model's first
    // inference needs; the mapping matters for large models, whose downloads leave time for
    // all three.
    instantiatedVariant(backend)?.then(async (glue) => {
      const done = () => arrived;
      await warmKernels(glue, done, hint.dtype);
      await mapAhead(glue, hint, until, done);
      await warmKernels(glue, done, hint.dtype, WARM_ROUNDS_MORE);
    }, () => {});
  } catch {
    // NO_SIMD: loadLocal says so.
  }
}

/** What the page knows of a model before its bytes: the dtype its file name says ('both' when
 *  it says none), the load's `limits` option, and, once the server has sent it, the file's
 *  length.
 *  @typedef {{ dtype?: 'uint8' | 'float32' | 'both', limits?: object, fileBytes?: Promise<number> }} LoadHint */

/** The engine memory a model's load touches, from its file's length: a little under what the
 *  eight zoo models' loads grow a fresh engine by after a few warm-up rounds (float 2.54–2.64×
 *  the file, uint8 3.24–3.63×, one thread: the file's copy — freed once imported, its memory
 *  then reused by the packed weights —, the weights, their packed form, the activations and the
 *  kernels' scratch). A compressed download's length only makes it smaller.
 *  @param {number} fileBytes @param {'uint8' | 'float32' | 'both'} dtype */
export function loadFootprint(fileBytes, dtype) {
  return Math.floor(fileBytes * (dtype === 'uint8' ? 3.2 : 2.5));
}

/** Bytes mapped per slice of mapAhead (~2–4 ms in Chromium here). */
export const MAP_SLICE_BYTES = 4 << 20;

/**
 * Maps the memory a model's load will touch (loadFootprint; the engine's `prefault`) if the
 * file's length is known before the model is there, a slice per task: the operating system's
 * page faults of a float 1.0/224 load (~45 MB, 20–40 ms) then happen while the model
 * downloads, not after it. The slices leave the thread free between them: a browser hands a
 * download's body to the page on its thread, and a thread busy for 50 ms stalls the download.
 * Nothing for a file over the engine's `maxModelBytes` limit (it will be refused).
 * @param {Pick<Glue, 'prefault' | 'maxModelBytes'>} glue @param {LoadHint} hint
 * @param {Promise<unknown>} until @param {() => boolean} done
 * @returns {Promise<number>} the bytes mapped
 */
export async function mapAhead(glue, { dtype = 'both', limits, fileBytes }, until, done) {
  if (!fileBytes) return 0;
  const file = await Promise.race([fileBytes, until.then(() => 0, () => 0)]);
  if (!(file > 0) || done()) return 0;
  let mapped = 0;
  try {
    if (file > glue.maxModelBytes(limits)) return 0;
    const total = loadFootprint(file, dtype);
    while (mapped < total && !done()) {
      const slice = glue.prefault(total, mapped, Math.min(total, mapped + MAP_SLICE_BYTES));
      if (slice === 0) break; // no room: the load will say so, if it comes to that
      mapped += slice;
      await nextTask();
    }
  } catch {
    // Bad limits or a broken engine: the load reports them.
  }
  return mapped;
}

/** Warm-up rounds before the memory is mapped: after the first (which compiles the kernels'
 *  baseline code) a round takes ~0.2–0.3 ms in Chromium (50 rounds: 12–16 ms, with the first ones
 *  in baseline code); 5 get Node's V8 to optimise every kernel. */
export const WARM_ROUNDS = 20;
/** Warm-up rounds in all, the rest after the mapping while the download lasts: Chromium 156's
 *  V8 optimises later (first inference of 1.0/224 uint8 after 20 / 50 / 100 / 200 rounds, 8
 *  fresh pages each: medians ~40 / 34 / 28 / 30 ms; warm 17–19; 2026-12-06, when each round
 *  also made its synthetic network — the kernels' work per round, which decides when V8
 *  optimises them, is the same since). */
export const WARM_ROUNDS_MORE = 100;
/** Rounds run back to back for up to this long before yielding: a page's main thread is busy
 *  with the model's download meanwhile, and a yield there can take 15–30 ms. */
const WARM_SLICE_MS = 5;

/**
 * Runs the engine's warm-up (`warmUp`: every kernel on a small synthetic network; src/kernels/
 * warmup.rs) round after round while `done()` is false, until `limit` rounds per instance,
 * yielding to the event loop every WARM_SLICE_MS so the model's arrival is seen soon: a JavaScript engine runs a
 * fresh module in baseline code and optimises a function only after it has run for a while, so
 * without this the model's first inference (a whole layer per kernel call) ran 3–4× slower than
 * the next. `dtype`: the model's, when its file name says it, else 'both'. An error ends it
 * silently (loading goes on; a broken engine is loadLocal's to report).
 * @param {Pick<Glue, 'warmUp'>} glue @param {() => boolean} done
 * @param {'uint8' | 'float32' | 'both'} [dtype] @param {number} [limit] WARM_ROUNDS or WARM_ROUNDS_MORE
 * @returns {Promise<number>} the rounds this call ran
 */
export async function warmKernels(glue, done, dtype = 'both', limit = WARM_ROUNDS) {
  // Rounds are counted per instance and dtype ('both' warms each): a second model's load does
  // not warm up again, unless it is of a dtype not warmed yet.
  const counts = warmedRounds.get(glue) ?? { uint8: 0, float32: 0 };
  warmedRounds.set(glue, counts);
  const kinds = dtype === 'both' ? /** @type {const} */ (['uint8', 'float32']) : [dtype];
  const rounds = () => Math.min(...kinds.map((k) => counts[k]));
  const before = rounds();
  while (rounds() < limit && !done()) {
    const start = performance.now();
    try {
      do {
        // 'both' once one dtype is warm: the other alone.
        const behind = kinds.filter((k) => counts[k] === rounds());
        glue.warmUp(behind.length === 1 ? behind[0] : dtype);
        for (const k of behind) counts[k]++;
      } while (rounds() < limit && performance.now() - start < WARM_SLICE_MS);
    } catch {
      const ran = rounds() - before;
      counts.uint8 = counts.float32 = WARM_ROUNDS_MORE;
      return ran;
    }
    await nextTask();
  }
  return rounds() - before;
}

/** Warm-up rounds run so far, per instance (glue module) and dtype.
 *  @type {WeakMap<object, { uint8: number, float32: number }>} */
const warmedRounds = new WeakMap();

/** Resolves in a new task (a message to itself: unlike a timer, never clamped to 4 ms). */
function nextTask() {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve(undefined);
    };
    port2.postMessage(null);
  });
}

/** @param {Uint8Array} bytes @param {number} threads @param {import('./api.js').Limits} limits
 *  @param {string} gemm The uint8 matrix-product kernel (LoadOptions.gemm).
 *  @returns {Promise<LocalDriver>} */
export async function loadLocal(bytes, threads, limits, gemm = 'auto') {
  const single = singleVariant();
  let reason = threads > 1 ? capabilities().reason : null;
  if (threads > 1 && reason === null) {
    const threaded = threadedVariant(single);
    const pool = initVariant(threaded, threads);
    pool.catch(() => {});
    // On a page, the model is loaded into the instance while its threads start (their Workers
    // started ahead: see initVariant): the engine counts one thread until the pool runs, then
    // fits its scratch to them. A load that fails here is done again below, where it fails the
    // same way on whichever build the threads' outcome leaves. Not in a Worker: there the
    // threads' Workers start only now, and on 2 cores the load beside them delayed the pool
    // (ready 77–111 ms after its start instead of 35–77; cold 1.0/224 uint8 on two threads
    // 371 vs 343 ms).
    /** @type {LocalDriver | null} */
    let driver = inWorker ? null
      : await engineIn(threaded, instantiatedVariant(threaded), bytes, limits, gemm, null).catch(() => null);
    let glue;
    try {
      glue = await pool;
    } catch (e) {
      driver?.dispose();
      reason = `the threads could not start (${/** @type {Error} */ (e).message}); the engine runs on one thread.`;
      noteThreadFailure(reason);
    }
    if (glue) {
      driver ??= await engineIn(threaded, pool, bytes, limits, gemm, null);
      driver.engine.fitThreads();
      // A pool started before with another count keeps its size: said in threadsReason.
      const other = otherPoolSize(threads);
      driver.threadsReason = other && `${other}: the model runs on ${glue.threadCount()}.`;
      return driver;
    }
  }
  try {
    return await engineIn(single, initVariant(single, 1), bytes, limits, gemm, reason);
  } catch (e) {
    if (e instanceof MobileNetError) throw e;
    throw new MobileNetError('INVALID_STATE', `cannot start the ${single} build: ${/** @type {Error} */ (e).message}`);
  }
}
