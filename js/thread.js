// One thread of a threaded build (build.sh copies this file to <build>/thread.js; the loader
// starts it): waits for the init message, instantiates the glue on the shared memory, reports
// ready (or why it could not start), then serves rayon. The glue is a static import with a
// literal path (no dynamic import(): Vite's classic-script Workers cannot be split).
import * as glue from './mobilenet_wasm.js';

/** @typedef {typeof import('./threads/mobilenet_wasm.js')} ThreadsGlue (for the type check, which sees this file in js/) */
/**
 * @param {EventTarget} target @param {string} type
 * @returns {Promise<any>} the message's data
 */
function waitForMsgType(target, type) {
  return new Promise((resolve) => {
    target.addEventListener('message', /** @param {any} event */ function onMsg({ data }) {
      if (data?.type !== type) return;
      target.removeEventListener('message', onMsg);
      resolve(data);
    });
  });
}

waitForMsgType(self, 'wasm_bindgen_worker_init').then(async ({ init, receiver }) => {
  try {
    await /** @type {ThreadsGlue} */ (/** @type {unknown} */ (glue)).default(init);
  } catch (e) {
    postMessage({ type: 'wasm_bindgen_worker_failed', message: String(/** @type {any} */ (e)?.message ?? e) });
    return;
  }
  postMessage({ type: 'wasm_bindgen_worker_ready' });
  /** @type {ThreadsGlue} */ (/** @type {unknown} */ (glue)).wbg_rayon_start_worker(receiver);
});
