// The module Worker behind MobileNet.load(…, { threads }) on a page's main thread: it owns the
// wasm instance (the threaded build blocks while its own threads compute, which only a Worker
// may do) and answers {id, ok, result | error} messages. Frames and outputs are transferred.
// It imports the engine driver only (not the Worker form), so bundlers see no Worker inside it
// but the threads' own.
import { loadLocal, warmLocal } from './local.js';
import { setAssetBase } from './loader.js';
import { transferables } from './teach-engine.js';

let driver = null;

async function handle(msg) {
  switch (msg.type) {
    case 'load':
      driver?.dispose();
      driver = null;
      setAssetBase(msg.assetBase ?? null);
      driver = await loadLocal(msg.bytes, msg.threads, msg.limits);
      return [driver.info()];
    case 'warm':
      // The engine starts while the page still downloads the model.
      if (!driver) {
        setAssetBase(msg.assetBase ?? null);
        warmLocal(msg.threads);
      }
      return [null];
    case 'infer': {
      const out = driver.infer(msg.input);
      return [out, [out.buffer]];
    }
    case 'classify':
      return [driver.classify(msg.frame, msg.options)];
    case 'classifyTimed': {
      // The frame's buffer goes back to the page, which fills it with the next frame.
      const r = driver.classifyTimed(msg.frame, msg.options);
      r.buffer = msg.frame.data.buffer;
      return [r, [r.buffer]];
    }
    case 'embed': {
      const features = driver.embed(msg.frame);
      return [features, [features.buffer]];
    }
    case 'profile':
      return [driver.profile(msg.input)];
    case 'setResolution':
      driver.setResolution(msg.resolution);
      return [driver.info()];
    case 'teach': {
      const result = driver.teach(msg.op);
      return [result, transferables(result)];
    }
    case 'memoryStats':
      return [driver.memoryStats()];
    case 'dispose':
      driver?.dispose();
      driver = null;
      return [null];
    default:
      throw Object.assign(new Error(`unknown request ${msg.type}`), { code: 'INVALID_STATE' });
  }
}

self.onmessage = async ({ data }) => {
  try {
    if (!driver && data.type !== 'load' && data.type !== 'warm' && data.type !== 'dispose') {
      throw Object.assign(new Error('no model is loaded in this worker'), { code: 'INVALID_STATE' });
    }
    const [result, transfer = []] = await handle(data);
    self.postMessage({ id: data.id, ok: true, result }, transfer);
  } catch (e) {
    // A trap leaves the wasm instance unusable: tell the page, which replaces this Worker.
    const crashed = e.crashed === true || e instanceof WebAssembly.RuntimeError || !(typeof e?.code === 'string');
    const extra = {};
    for (const k of ['url', 'status', 'details']) if (e?.[k] !== undefined) extra[k] = e[k];
    self.postMessage({ id: data.id, ok: false, crashed, error: { code: e.code ?? 'INVALID_STATE', message: e.message ?? String(e), extra } });
  }
};

self.postMessage({ type: 'ready' });
