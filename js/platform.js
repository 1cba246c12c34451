// What differs between the browser and Node: how the engine's .wasm files and model paths are
// read. The browser entry (index.js) uses these defaults; the Node entry (node.js) replaces them
// with file-system readers, so nothing reachable from the browser entry imports a `node:` module.

/**
 * @type {{ node: boolean, wasmSource: (url: URL) => Promise<URL | Uint8Array>,
 *   readPath: ((path: string) => Promise<Uint8Array>) | null }}
 */
export const platform = {
  /** True under the Node entry. */
  node: false,
  /** What the wasm-bindgen glue's init takes for the .wasm at `url`: the URL (the browser
   *  streams and compiles it) or its bytes (Node). */
  wasmSource: async (url) => url,
  /** Reads a model given as a file path or file: URL (Node only); null in browsers. */
  readPath: null,
};

/** Whether this context is a Worker (WorkerGlobalScope: not in the DOM library's types). */
const WorkerScope = /** @type {any} */ (globalThis).WorkerGlobalScope;
export const inWorker = typeof WorkerScope !== 'undefined' && globalThis instanceof WorkerScope;
