// The module Worker behind the Worker form of MobileNet.load (`worker: true`, or a large threaded
// model on a page with `worker` not set; see where.js): it owns the wasm instance, so the page's
// thread stays free while the engine computes, and answers {id, ok, result | error} messages.
// Frames and outputs are transferred. With the threaded build (shared memory) the page writes
// inputs straight into the engine's input buffer and asks for a 'run' (see worker-driver.js).
// It imports the engine driver only (not the Worker form), so bundlers see no Worker inside it
// but the threads' own.
import { loadLocal, warmLocal } from './local.js';
import { setAssetBase, setThreadStageListener, useCompiled } from './loader.js';
import { transferables } from './teach-engine.js';

/** @type {import('./local.js').LocalDriver | null} */
let driver = null;
/** Ends the warm-up (local.js warmLocal) when the model comes ('load') or the page gives up. */
/** @type {(value?: unknown) => void} */
let endWarmUp = () => {};
const warmUntil = new Promise((resolve) => { endWarmUp = resolve; });
/** The model file's length, when the page learns it ('prefault'). */
/** @type {(bytes: number) => void} */
let fileBytesKnown = () => {};
/** @type {Promise<number>} */
const fileBytes = new Promise((resolve) => { fileBytesKnown = resolve; });

// The page bounds the threads' start-up (worker-driver.js): creating a thread's Worker from this
// one can block this thread for good (Firefox), and then nothing here can report it.
setThreadStageListener((stage) => self.postMessage({ type: 'stage', stage }));

/**
 * One request from the page: resolves to [result, transferables].
 * @param {any} msg { id, type, … }
 * @returns {Promise<[unknown, Transferable[]?]>}
 */
async function handle(msg) {
  // Set for every request but load, warm, prefault and dispose (onmessage refuses the others before a load).
  const d = /** @type {import('./local.js').LocalDriver} */ (driver);
  switch (msg.type) {
    case 'load':
      driver?.dispose();
      driver = null;
      setAssetBase(msg.assetBase ?? null);
      if (msg.wasm) useCompiled(msg.wasm.backend, msg.wasm.module);
      driver = await loadLocal(msg.bytes, msg.threads, msg.limits, msg.gemm);
      return [{ info: driver.info(), input: driver.inputBuffer() }];
    case 'warm':
      // The engine starts while the page still downloads the model.
      if (!driver) {
        setAssetBase(msg.assetBase ?? null);
        // The build the page compiled for this Worker (see worker-driver.js).
        if (msg.wasm) useCompiled(msg.wasm.backend, msg.wasm.module);
        warmLocal(msg.threads, warmUntil, { dtype: msg.dtype, limits: msg.limits, fileBytes });
      }
      return [null];
    case 'prefault':
      fileBytesKnown(msg.fileBytes);
      return [null];
    case 'infer': {
      const out = d.infer(msg.input);
      return [out, [out.buffer]];
    }
    case 'run': {
      // The page wrote the input into the shared input buffer ('load' told it where).
      const out = d.runInPlace();
      return [out, [out.buffer]];
    }
    case 'classify':
      return [d.classify(msg.frame, msg.options)];
    case 'classifyTimed': {
      // The frame's buffer goes back to the page, which fills it with the next frame.
      const r = /** @type {ReturnType<import('./local.js').LocalDriver['classifyTimed']> & { buffer: ArrayBuffer }} */ (d.classifyTimed(msg.frame, msg.options));
      r.buffer = msg.frame.data.buffer;
      return [r, [r.buffer]];
    }
    case 'embed': {
      const features = d.embed(msg.frame);
      return [features, [features.buffer]];
    }
    case 'profile':
      return [d.profile(msg.input)];
    case 'setResolution':
      d.setResolution(msg.resolution);
      return [{ info: d.info(), input: d.inputBuffer() }];
    case 'teach': {
      const result = d.teach(msg.op);
      return [result, transferables(result)];
    }
    case 'memoryStats':
      return [d.memoryStats()];
    case 'threadStats':
      return [d.threadStats()];
    case 'dispose':
      driver?.dispose();
      driver = null;
      return [null];
    default:
      throw Object.assign(new Error(`unknown request ${msg.type}`), { code: 'INVALID_STATE' });
  }
}

self.onmessage = async ({ data }) => {
  const early = data.type === 'warm' || data.type === 'prefault';
  if (!early) endWarmUp();
  try {
    if (!driver && !early && data.type !== 'load' && data.type !== 'dispose') {
      throw Object.assign(new Error('no model is loaded in this worker'), { code: 'INVALID_STATE' });
    }
    const [result, transfer = []] = await handle(data);
    /** @type {Worker} */ (/** @type {unknown} */ (self)).postMessage({ id: data.id, ok: true, result }, transfer);
  } catch (err) {
    /** @type {any} */
    const e = err;
    // A trap leaves the wasm instance unusable: tell the page, which replaces this Worker.
    const crashed = e.crashed === true || e instanceof WebAssembly.RuntimeError || !(typeof e?.code === 'string');
    /** @type {Record<string, unknown>} */
    const extra = {};
    for (const k of ['url', 'status', 'details']) if (e?.[k] !== undefined) extra[k] = e[k];
    /** @type {Worker} */ (/** @type {unknown} */ (self)).postMessage({ id: data.id, ok: false, crashed, error: { code: e.code ?? 'INVALID_STATE', message: e.message ?? String(e), extra } });
  }
};

self.postMessage({ type: 'ready' });
