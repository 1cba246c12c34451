// Model sources: a URL (with download progress and, on request, the Cache API), a path (Node),
// a Response, or bytes.
import { MobileNetError } from './errors.js';
import { platform } from './platform.js';

/** Reads a model source into bytes. */
export async function readSource(source, onProgress) {
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
    if (platform.readPath && !/^(https?|data|blob):/i.test(s)) return platform.readPath(s);
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

/** Downloads `url`, keeping the response in the Cache API where there is one. */
export async function cachedFetch(url) {
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
