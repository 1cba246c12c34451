// Image decoding for Node (the CLI and tests): BMP, PNG and JPEG files to RGBA pixels.
// Decoders are well-kept pure-JavaScript npm packages, kept out of the engine's .wasm.

import bmp from 'bmp-js';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { MobileNetError } from './errors.js';

/**
 * Decodes BMP, PNG or JPEG bytes to `{ data: Uint8Array (RGBA), width, height }`.
 * @param {Uint8Array} bytes
 * @param {string} [name] file name for error messages
 * @returns {import('./frames.js').RgbaFrame & { data: Uint8Array }}
 */
export function decodeImage(bytes, name = 'image') {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d) {
      const img = bmp.decode(buf);
      // bmp-js yields ABGR; reorder to RGBA.
      const d = img.data;
      const out = new Uint8Array(img.width * img.height * 4);
      for (let i = 0; i < out.length; i += 4) {
        out[i] = d[i + 3];
        out[i + 1] = d[i + 2];
        out[i + 2] = d[i + 1];
        out[i + 3] = 255;
      }
      return { data: out, width: img.width, height: img.height };
    }
    if (buf.length >= 8 && buf.readUInt32BE(0) === 0x89504e47) {
      const img = PNG.sync.read(buf);
      return { data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length), width: img.width, height: img.height };
    }
    if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return { data: img.data, width: img.width, height: img.height };
    }
  } catch (e) {
    throw new MobileNetError('INPUT_INVALID', `${name}: cannot decode the image (${/** @type {Error} */ (e).message ?? e})`);
  }
  throw new MobileNetError('INPUT_INVALID', `${name}: not a BMP, PNG or JPEG file`);
}
