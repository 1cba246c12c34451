// Frames to RGBA pixels, and scores to ranked classes.
import { MobileNetError } from './errors.js';
import { LABELS } from './labels.js';

/**
 * Extracts RGBA pixels from any supported frame type. `owned` says whether the pixels are a
 * fresh buffer (which may be transferred to a Worker) or the caller's own.
 */
export function frameToRgba(frame) {
  if (frame && frame.data && Number.isInteger(frame.width) && Number.isInteger(frame.height)) {
    const d = frame.data;
    if (!ArrayBuffer.isView(d)) {
      throw new MobileNetError('INPUT_INVALID', 'frame.data must be a Uint8Array or Uint8ClampedArray of RGBA pixels');
    }
    const data = d instanceof Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    return { data, width: frame.width, height: frame.height, owned: false };
  }
  if (typeof OffscreenCanvas !== 'undefined' && frame && typeof frame === 'object') {
    const width = frame.videoWidth || frame.displayWidth || frame.naturalWidth || frame.width;
    const height = frame.videoHeight || frame.displayHeight || frame.naturalHeight || frame.height;
    if (width > 0 && height > 0) {
      const canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(frame, 0, 0, width, height);
      const img = ctx.getImageData(0, 0, width, height);
      return { data: new Uint8Array(img.data.buffer), width, height, owned: true };
    }
  }
  throw new MobileNetError('INPUT_INVALID',
    'frame must be ImageData, ImageBitmap, a video/canvas/image element, OffscreenCanvas, '
    + 'VideoFrame or { data, width, height } (RGBA)');
}

/** Indices of the k largest scores: score descending, ties by lower index. */
export function topK(scores, k) {
  const n = Math.min(Math.max(0, k), scores.length);
  if (n > 16) {
    const idx = Array.from(scores.keys());
    idx.sort((a, b) => scores[b] - scores[a] || a - b);
    return idx.slice(0, n);
  }
  // Small k: one pass keeping the best n in order (insertion), no sort of every score.
  const best = [];
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (best.length === n && !(v > scores[best[n - 1]])) continue;
    let j = best.length < n ? best.length : n - 1;
    while (j > 0 && v > scores[best[j - 1]]) {
      if (j < n) best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}

export function toClasses(scores, k) {
  return topK(scores, k).map((index) => ({ index, label: LABELS[index] ?? `class ${index}`, score: scores[index] }));
}
