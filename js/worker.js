// The module Worker behind MobileNet.load(…, { threads }) on a page's main thread: it owns the
// wasm instance (the threaded build blocks while its own workers compute, which only a Worker
// may do) and answers {id, ok, result | error} messages. Frames and outputs are transferred.
import { MobileNet } from './index.js';

let net = null;

async function handle(msg) {
  switch (msg.type) {
    case 'load':
      net?.dispose();
      net = await MobileNet.load(msg.bytes, { threads: msg.threads, limits: msg.limits });
      return [net.info];
    case 'infer': {
      const out = await net.infer(msg.input);
      return [out, [out.buffer]];
    }
    case 'classify':
      return [await net.classify(msg.frame, { topK: msg.topK })];
    case 'embed': {
      const features = await net.embed(msg.frame);
      return [features, [features.buffer]];
    }
    case 'profile':
      return [await net.profile(msg.input)];
    case 'setResolution':
      await net.setResolution(msg.resolution);
      return [net.info];
    case 'memoryStats':
      return [await net.memoryStats()];
    case 'dispose':
      net?.dispose();
      net = null;
      return [null];
    default:
      throw Object.assign(new Error(`unknown request ${msg.type}`), { code: 'INVALID_STATE' });
  }
}

self.onmessage = async ({ data }) => {
  try {
    if (!net && data.type !== 'load' && data.type !== 'dispose') {
      throw Object.assign(new Error('no model is loaded in this worker'), { code: 'INVALID_STATE' });
    }
    const [result, transfer = []] = await handle(data);
    self.postMessage({ id: data.id, ok: true, result }, transfer);
  } catch (e) {
    // A trap leaves the wasm instance unusable: tell the page, which replaces this Worker.
    const crashed = e.crashed === true || e instanceof WebAssembly.RuntimeError;
    self.postMessage({ id: data.id, ok: false, crashed, error: { code: e.code ?? 'INVALID_STATE', message: e.message ?? String(e) } });
  }
};
