// The Node entry of mobilenet-wasm (the `node` condition of the package's exports): the same API
// as the browser entry, reading the engine's .wasm files and model paths from the file system.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MobileNetError } from './errors.js';
import { platform } from './platform.js';

platform.node = true;
platform.wasmSource = async (url) => {
  try {
    return await readFile(url.protocol === 'file:' ? fileURLToPath(url) : url);
  } catch (e) {
    throw new MobileNetError('NETWORK', `cannot read the engine file ${url.href}: ${/** @type {Error} */ (e).message}`, { url: url.href });
  }
};
platform.readPath = async (s) => {
  try {
    return new Uint8Array(await readFile(s.startsWith('file:') ? new URL(s) : s));
  } catch (e) {
    throw new MobileNetError('NETWORK', `cannot read ${s}: ${/** @type {Error} */ (e).message}`, { url: s });
  }
};

export * from './api.js';
