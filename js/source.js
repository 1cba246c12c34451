// Model sources: a URL (with download progress and, on request, the Cache API), a path (Node),
// a Response, or bytes. The one download-with-progress of the package: MobileNet.load and
// `mobilenet fetch-models` (fetch.js) both read through download().
import { MobileNetError } from './errors.js';
import { platform } from './platform.js';

/** @typedef {(loaded: number, total: number) => void} Progress bytes so far, and the total (0 if unknown) */
/** @typedef {(total: number) => void} Size the download's length, as soon as the server says it */

/**
 * Reads a model source into bytes.
 * @param {string | URL | Response | ArrayBuffer | ArrayBufferView} source
 * @param {Progress} [onProgress]
 * @param {Size} [onSize]
 * @returns {Promise<Uint8Array>}
 */
export async function readSource(source, onProgress, onSize) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) {
    return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  }
  if (typeof Response !== 'undefined' && source instanceof Response) {
    return readResponse(source, source.url || 'response', onProgress, onSize);
  }
  if (typeof source === 'string' || source instanceof URL) {
    const s = String(source);
    if (platform.readPath && !/^(https?|data|blob):/i.test(s)) return platform.readPath(s);
    return download(s, onProgress, onSize);
  }
  throw new MobileNetError('INPUT_INVALID',
    'model source must be a URL, a path (Node), a Response, an ArrayBuffer or a Uint8Array');
}

/**
 * Downloads `url` into bytes, telling `onProgress` as the bytes arrive. NETWORK errors name the
 * URL (and the HTTP status when the server answered).
 * @param {string} url
 * @param {Progress} [onProgress]
 * @param {Size} [onSize]
 * @returns {Promise<Uint8Array>}
 */
export async function download(url, onProgress, onSize) {
  return readResponse(await fetchOk(url), url, onProgress, onSize);
}

/**
 * fetch(url) with its failures as NETWORK errors: unreachable, or an HTTP error status.
 * @param {string} url
 * @returns {Promise<Response>}
 */
async function fetchOk(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    // Node's fetch says only "fetch failed"; the reason is its cause.
    const err = /** @type {Error & { cause?: Error }} */ (e);
    throw new MobileNetError('NETWORK', `cannot download ${url}: ${err.cause?.message ?? err.message}`, { url });
  }
  return checkStatus(response, url);
}

/**
 * @param {Response} response
 * @param {string} url
 */
function checkStatus(response, url) {
  if (!response.ok) {
    throw new MobileNetError('NETWORK', `downloading ${url} failed: HTTP ${response.status}`,
      { status: response.status, url });
  }
  return response;
}

/** Bodies of this length or more (or of no stated length) are read through a Blob (readResponse). */
const BLOB_FROM_BYTES = 3 << 20;

/**
 * @param {Response} response
 * @param {string} url
 * @param {Progress} [onProgress]
 * @param {Size} [onSize]
 * @returns {Promise<Uint8Array>}
 */
async function readResponse(response, url, onProgress, onSize) {
  checkStatus(response, url);
  const total = contentLength(response);
  if (total) onSize?.(total);
  if (!response.body || !onProgress) {
    // A large body through a Blob: a browser then drains it off the page's thread, and the one
    // copy out is fast. response.arrayBuffer() has the page's thread take every chunk: a 17 MB
    // body came 40–70 ms later that way in Chromium, more with the thread busy (warming up). A
    // small one directly: the Blob's extra round trip cost 15–25 ms on 0.5–2 MB files.
    const body = total && total < BLOB_FROM_BYTES ? response : await response.blob();
    const bytes = new Uint8Array(await body.arrayBuffer());
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

/** A response's Content-Length, 0 when it has none. @param {Response} response */
function contentLength(response) {
  return Number(response.headers.get('content-length')) || 0;
}

/**
 * Downloads `url`, keeping the response in the Cache API where there is one.
 * @param {string} url
 * @param {Size} [onSize] told the download's length before the response is stored
 * @returns {Promise<string | Response>} the cached or fresh Response, or `url` itself where
 *   there is no cache to use (readSource then downloads it)
 */
export async function cachedFetch(url, onSize) {
  if (typeof caches === 'undefined' || !/^https?:/i.test(url)) return url;
  let cache;
  try {
    cache = await caches.open('mobilenet-wasm-models');
    const hit = await cache.match(url);
    if (hit) return hit;
  } catch {
    return url; // no usable cache (e.g. opaque origin): just download
  }
  const response = await fetchOk(url);
  // The length now: storing the response below waits for the whole body.
  const total = contentLength(response);
  if (total) onSize?.(total);
  try {
    await cache.put(url, response.clone());
  } catch {
    // Quota or storage errors only cost a download next time.
  }
  return response;
}
