// Y4M files for the fake webcams of the browser tests and the live benchmark (Chromium plays
// them with --use-file-for-fake-video-capture).
import { writeFile } from 'node:fs/promises';

/**
 * Writes a Y4M (C420) file of an RGBA image `{ data, width, height }`: `frames` identical
 * frames, the picture scaled (nearest) to `width` × `height` when given, else cropped to even
 * dimensions.
 */
export async function writeY4m(image, path, { frames = 3, width, height } = {}) {
  const w = (width ?? image.width) & ~1;
  const h = (height ?? image.height) & ~1;
  const px = (x, y) => {
    const sx = width ? Math.min(image.width - 1, Math.floor((x * image.width) / w)) : x;
    const sy = height ? Math.min(image.height - 1, Math.floor((y * image.height) / h)) : y;
    const i = (sy * image.width + sx) * 4;
    return image.data.subarray(i, i + 3);
  };
  const Y = Buffer.alloc(w * h);
  const U = Buffer.alloc((w / 2) * (h / 2));
  const V = Buffer.alloc((w / 2) * (h / 2));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = px(x, y);
      Y[y * w + x] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    }
  }
  for (let y = 0; y < h; y += 2) {
    for (let x = 0; x < w; x += 2) {
      let [r, g, b] = [0, 0, 0];
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const p = px(x + dx, y + dy);
        r += p[0] / 4; g += p[1] / 4; b += p[2] / 4;
      }
      const i = (y / 2) * (w / 2) + x / 2;
      U[i] = Math.max(0, Math.min(255, Math.round(-0.169 * r - 0.331 * g + 0.5 * b + 128)));
      V[i] = Math.max(0, Math.min(255, Math.round(0.5 * r - 0.419 * g - 0.081 * b + 128)));
    }
  }
  const parts = [Buffer.from(`YUV4MPEG2 W${w} H${h} F30:1 Ip A1:1 C420jpeg\n`)];
  for (let f = 0; f < frames; f++) parts.push(Buffer.from('FRAME\n'), Y, U, V);
  await writeFile(path, Buffer.concat(parts));
}
