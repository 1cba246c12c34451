// Running the engine in a module Worker of its own (`worker: true`, or a large threaded model on a
// page with `worker` not set: the page's thread stays free while it computes). If the engine traps or runs out of memory in the Worker, the Worker is replaced by a
// fresh one with the same model and resolution, the failed call rejects, and `onRestart` is told.
// A Worker that cannot start (its script blocked by a Content-Security-Policy, missing, or slow
// beyond START_TIMEOUT_MS) rejects `start()` with a typed error instead of waiting forever.
//
// A Worker whose threads do not start within THREADS_TIMEOUT_MS is replaced once, then `start()`
// rejects (NETWORK, `stuck: 'threads'`). The threaded build's threads are Workers created from
// this Worker, and Firefox (ESR 153, under WebDriver BiDi automation) now and then never returns
// from that nested `new Worker()`: the Worker is blocked for good, so its own start-up timeout
// (start.js) cannot fire and nothing but the page can notice. The Worker tells the page when
// the threads' start-up begins and ends ('stage' messages, from loader.js).
import { MobileNetError, wrap } from './errors.js';
import { LABELS } from './labels.js';
import { compileVariant, getAssetBase, pickVariant } from './loader.js';

const START_TIMEOUT_MS = 20000;
/** Longer than start.js's own 15 s per thread, so that a Worker that can still report a failed
 *  thread start does so first. */
const THREADS_TIMEOUT_MS = 20000;

/** @import { Classification, ResultOptions, RgbaPixels } from './frames.js' */
/** @import { LayerTiming, MemoryStats, ModelInfo, ThreadStats } from './types.js' */
/**
 * What a Worker is started with (kept to start again after a crash).
 * `wasm`: the Worker's build, compiled on the page (WebAssembly modules can be posted to Workers).
 * @typedef {{ bytes: Uint8Array | null, threads: number, limits: import('./api.js').Limits, gemm: string, assetBase: string | null,
 *   wasm?: { backend: import('./loader.js').Backend, module: WebAssembly.Module } | null }} WorkerLoad
 */
/** @typedef {{ resolve: (v: any) => void, reject: (e: unknown) => void, crash: (reason: string) => void }} Pending */

/** Says why a Worker script did not start: missing (HTTP status) or refused.
 *  @param {URL} url @param {string} detail @returns {Promise<MobileNetError>} */
async function whyNoStart(url, detail) {
  const hint = 'If your bundler does not emit the package\'s worker.js, copy the package folder to your site and '
    + 'call setAssetBase(\'/path/to/it/\') (or pass { assetBase }).';
  try {
    const r = await fetch(url);
    if (!r.ok) {
      return new MobileNetError('NETWORK', `the engine's Worker script ${url.href} could not be loaded: HTTP ${r.status}. ${hint}`,
        { url: url.href, status: r.status });
    }
  } catch {
    // Not even fetchable: fall through to the generic reason.
  }
  return new MobileNetError('NETWORK', `the engine's Worker ${url.href} did not start (${detail}); a Content-Security-Policy `
    + `that does not allow it as worker-src, or a failed import inside it. ${hint}`, { url: url.href });
}

export class WorkerDriver {
  /** @param {WorkerLoad} load @param {((reason: string) => void) | undefined} onRestart */
  constructor(load, onRestart) {
    this.load = load; // { bytes, threads, limits, gemm, assetBase }: kept to start again after a crash
    this.onRestart = onRestart;
    /** @type {Map<number, Pending>} */
    this.pending = new Map();
    this.next = 1;
    /** @type {ModelInfo | null} */
    this.cachedInfo = null;
    this.restarts = 0;
    /** @type {Worker | undefined} */
    this.worker;
    this.disposed = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.threadsTimer = undefined;
    /** Why the model runs in a Worker (api.js sets it; see ModelInfo.runsInReason). */
    this.runsInReason = 'worker: true';
    /** Where inputs may be written straight into the Worker's engine (its memory shared with
     *  this thread), from the last 'load' or 'setResolution'. @type {{ memory: WebAssembly.Memory, at: number, length: number } | null} */
    this.input = null;
    /** Settles when a crashed Worker has been replaced (null when none is). @type {Promise<void> | null} */
    this.replacing = null;
    /** Why the last replacement failed: later requests are refused with it. @type {unknown} */
    this.failed = null;
  }

  /** Starts the Worker and loads the model in it. `bytesPromise` (first start): the model,
   *  still downloading — the Worker starts the engine meanwhile. A Worker stuck starting its
   *  threads is replaced once. `hint`: what is known of the model before its bytes (local.js
   *  LoadHint), passed on to the Worker's warm-up.
   *  @param {Promise<Uint8Array>} [bytesPromise] @param {import('./local.js').LoadHint} [hint] */
  async start(bytesPromise, hint = {}) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#startOnce(bytesPromise, hint);
      } catch (e) {
        if (/** @type {{ stuck?: string } | undefined} */ (e)?.stuck !== 'threads' || attempt === 2 || this.disposed) throw e;
      }
    }
  }

  /** The page's watchdog over the Worker's thread start-up (see the top of this file).
   *  @param {string} stage */
  #threadStage(stage) {
    clearTimeout(this.threadsTimer);
    if (stage !== 'threads') return;
    const worker = this.worker;
    this.threadsTimer = setTimeout(() => {
      if (!worker || worker !== this.worker) return;
      worker.terminate();
      const err = new MobileNetError('NETWORK', `the engine's threads did not start within ${THREADS_TIMEOUT_MS / 1000} s: `
        + 'its Worker stopped answering while creating the Worker of a thread', { stuck: 'threads' });
      const pending = [...this.pending.values()];
      this.pending.clear();
      for (const p of pending) p.reject(err);
    }, THREADS_TIMEOUT_MS);
  }

  /** The build the Worker will run, fetched and compiled here while the Worker loads its
   *  modules; null if that fails (the Worker then fetches it and reports why).
   *  @returns {Promise<WorkerLoad['wasm']>} */
  #compile() {
    try {
      const backend = pickVariant(this.load.threads);
      return compileVariant(backend).then((module) => ({ backend, module }), () => null);
    } catch {
      return Promise.resolve(null);
    }
  }

  /** @param {Promise<Uint8Array>} [bytesPromise] @param {import('./local.js').LoadHint} [hint] */
  async #startOnce(bytesPromise, hint = {}) {
    const wasm = bytesPromise ? this.#compile() : null;
    const base = getAssetBase();
    const url = base ? new URL('worker.js', base) : new URL('./worker.js', import.meta.url);
    let worker;
    try {
      // The literal new Worker(new URL('./worker.js', import.meta.url), …) is what bundlers
      // recognise and emit (with worker.js's own imports bundled into it).
      worker = base ? new Worker(url, { type: 'module' })
        : new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    } catch (e) {
      throw await whyNoStart(url, /** @type {Error} */ (e).message); // e.g. a SecurityError from the page's CSP
    }
    this.worker = worker;
    // The Worker says "ready" once its modules are evaluated; until then an error event means
    // it could not start at all.
    await /** @type {Promise<void>} */ (new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new MobileNetError('NETWORK',
        `the engine's Worker ${url.href} did not start within ${START_TIMEOUT_MS / 1000} s`, { url: url.href })), START_TIMEOUT_MS);
      worker.onmessage = ({ data }) => {
        if (data?.type === 'ready') { clearTimeout(timer); resolve(); }
      };
      worker.onerror = (e) => {
        e.preventDefault?.();
        clearTimeout(timer);
        whyNoStart(url, e.message || 'error event').then(reject);
      };
    })).catch((e) => {
      worker.terminate();
      throw e;
    });
    worker.onmessage = ({ data }) => {
      if (data?.type === 'stage') {
        this.#threadStage(data.stage);
        return;
      }
      const p = this.pending.get(data.id);
      if (!p) return;
      this.pending.delete(data.id);
      if (data.ok) p.resolve(data.result);
      else if (data.crashed) p.crash(data.error.message);
      else p.reject(new MobileNetError(data.error.code, data.error.message, data.error.extra));
    };
    worker.onerror = (e) => {
      e.preventDefault?.();
      // A disposed model's Worker is not brought back (an error while it shuts down).
      if (this.disposed) return;
      const pending = [...this.pending.values()];
      this.pending.clear();
      if (pending.length) for (const p of pending) p.crash(e.message ?? String(e));
      else this.restart(e.message ?? String(e)).catch(() => {});
    };
    if (bytesPromise) {
      this.load.wasm = await wasm;
      this.#send('warm', {
        threads: this.load.threads, assetBase: this.load.assetBase, wasm: this.load.wasm, dtype: hint.dtype, limits: this.load.limits,
      }).catch(() => {});
      // The file's length once the server has sent it, for the memory the load will touch (the
      // Worker ignores it once the model is there).
      hint.fileBytes?.then((fileBytes) => this.#send('prefault', { fileBytes })).catch(() => {});
      this.load.bytes = await bytesPromise;
    }
    this.#loaded(await this.#send('load', this.load));
  }

  /** A 'load' or 'setResolution' answer: the model's info, and where the page may write
   *  inputs (null unless the Worker's memory is shared).
   *  @param {{ info: ModelInfo, input: { memory: WebAssembly.Memory, at: number, length: number } | null }} r */
  #loaded({ info, input }) {
    this.cachedInfo = info;
    this.input = input;
  }

  /** Replaces a crashed Worker: same model, same resolution. Requests made meanwhile wait for
   *  the new Worker (see call). @param {string} reason */
  async restart(reason) {
    const resolution = this.cachedInfo?.resolution;
    // The old Worker's memory is no place for an input.
    this.input = null;
    /** @type {Worker} */ (this.worker).terminate();
    for (const p of this.pending.values()) p.reject(new MobileNetError('INVALID_STATE', 'the inference worker was restarted'));
    this.pending.clear();
    this.restarts++;
    const replaced = (async () => {
      await this.start();
      if (resolution && resolution !== /** @type {ModelInfo} */ (this.cachedInfo).resolution) {
        this.#loaded(await this.#send('setResolution', { resolution }));
      }
    })();
    this.replacing = replaced.then(() => { this.replacing = null; }, (e) => {
      this.replacing = null;
      this.failed = wrap(e);
    });
    await replaced;
    this.onRestart?.(reason);
  }

  /**
   * One request to the Worker; resolves to its answer. While a crashed Worker is being
   * replaced, the request waits for the new one (sent earlier, to a Worker still loading the
   * model, it would be refused, and the refusal lost: the page listens for `ready` alone until
   * then); if the replacement failed, it is refused with the reason.
   * @param {string} type @param {object} [payload] @param {Transferable[]} [transfer]
   * @returns {Promise<any>}
   */
  call(type, payload = {}, transfer = []) {
    if (this.replacing) return this.replacing.then(() => this.call(type, payload, transfer));
    if (this.failed) return Promise.reject(this.failed);
    return this.#send(type, payload, transfer);
  }

  /**
   * A request to the current Worker, sent now.
   * @param {string} type @param {object} [payload] @param {Transferable[]} [transfer]
   * @returns {Promise<any>}
   */
  #send(type, payload = {}, transfer = []) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      /** @param {string} reason */
      const crash = (reason) => {
        this.restart(reason).then(
          () => reject(new MobileNetError('INVALID_STATE',
            `the engine failed (${reason}); its Worker was restarted and the model is ready again`, { restarted: true })),
          (e) => reject(wrap(e)),
        );
      };
      this.pending.set(id, { resolve, reject, crash });
      /** @type {Worker} */ (this.worker).postMessage({ id, type, ...payload }, transfer);
    });
  }

  /** @returns {ModelInfo} */
  info() {
    return { .../** @type {ModelInfo} */ (this.cachedInfo), runsIn: 'worker', runsInReason: this.runsInReason };
  }

  /** The class names results carry (see LocalDriver.labels): the model's own, from its info,
   *  or ImageNet's. @returns {readonly string[]} */
  get labels() {
    return this.cachedInfo?.labels ?? LABELS;
  }

  /** @param {Uint8Array | Float32Array} input @returns {Promise<Uint8Array | Float32Array>} */
  infer(input) {
    // With shared memory, an input of the model's type and length is written straight into the
    // engine's input buffer (one copy; the Worker is idle: calls run one at a time). Otherwise
    // a copy (the caller keeps its input) is transferred, and the Worker's engine checks it.
    const direct = this.input;
    const type = this.cachedInfo?.dtype === 'uint8' ? Uint8Array : Float32Array;
    if (direct && input instanceof type && input.length === direct.length) {
      new type(direct.memory.buffer, direct.at, direct.length).set(input);
      return this.call('run');
    }
    const copy = input.slice();
    return this.call('infer', { input: copy }, [copy.buffer]);
  }

  /** @param {RgbaPixels} frame @param {ResultOptions} options @returns {Promise<Classification[]>} */
  classify(frame, options) {
    const data = frame.owned ? frame.data : frame.data.slice();
    return this.call('classify', { frame: { data, width: frame.width, height: frame.height }, options }, [data.buffer]);
  }

  /** The live loop's frames (see LocalDriver.classifyTimed): their buffer is transferred, and
   *  comes back as `buffer` in the result.
   * @param {import('./types.js').Pixels | import('./types.js').Planes} frame @param {ResultOptions} options
   * @returns {Promise<{ classes: Classification[], copyMs: number, inferMs: number, buffer: ArrayBuffer }>} */
  classifyTimed(frame, options) {
    return this.call('classifyTimed', { frame, options }, [frame.data.buffer]);
  }

  /** @returns {number} the current input size */
  resolution() {
    return /** @type {ModelInfo} */ (this.cachedInfo).resolution;
  }

  /** @param {RgbaPixels} frame @returns {Promise<Float32Array>} */
  embed(frame) {
    const data = frame.owned ? frame.data : frame.data.slice();
    return this.call('embed', { frame: { data, width: frame.width, height: frame.height } }, [data.buffer]);
  }

  /** @param {Uint8Array | Float32Array} input @returns {Promise<LayerTiming[]>} */
  profile(input) {
    return this.call('profile', { input: input.slice() });
  }

  /** @param {number} r */
  async setResolution(r) {
    this.#loaded(await this.call('setResolution', { resolution: r }));
  }

  /** @returns {Promise<MemoryStats>} */
  memoryStats() {
    return this.call('memoryStats');
  }

  /** @returns {Promise<ThreadStats>} */
  threadStats() {
    return this.call('threadStats');
  }

  /** A MobileNetClassifier request, run in the Worker (see teach-engine.js); a frame's pixels
   *  and typed arrays are transferred (frames copied first unless they are the call's own).
   *  @param {Parameters<typeof import('./teach-engine.js').teachOp>[1]} op @returns {Promise<any>} */
  teach(op) {
    /** @type {Transferable[]} */
    const transfer = [];
    let msg = op;
    if (op.frame) {
      const f = op.frame;
      const data = f.owned ? f.data : f.data.slice();
      msg = { ...op, frame: { data, width: f.width, height: f.height } };
      transfer.push(data.buffer);
    }
    for (const k of ['vectors', 'labels', 'weights', 'bias']) {
      if (ArrayBuffer.isView(op[k])) {
        msg = { ...msg, [k]: /** @type {Float32Array | Uint32Array} */ (op[k]).slice() };
        transfer.push(msg[k].buffer);
      }
    }
    return this.call('teach', { op: msg }, transfer);
  }

  dispose() {
    this.disposed = true;
    this.input = null; // not to keep the Worker's memory alive
    clearTimeout(this.threadsTimer);
    this.call('dispose').finally(() => /** @type {Worker} */ (this.worker).terminate());
  }
}
