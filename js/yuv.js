// A video frame's own pixels (VideoFrame.copyTo in its native format: I420, NV12 or packed RGB)
// to the model's RGBA input, in one pass over the output pixels only: bilinear sampling (the
// engine's positions: pixel centres, clamped at the edges) of the luma and chroma planes, then
// YUV → RGB (BT.601 or BT.709, limited or full range). A 640×480 camera frame is never
// converted whole: only size² output pixels are computed. Column tables are kept between
// calls (no allocation in steady state).

/** Formats planesToRgba reads. */
export const FRAME_FORMATS = ['I420', 'I420A', 'NV12', 'RGBA', 'RGBX', 'BGRA', 'BGRX'];

// Per-axis sampling tables, grown when needed: source index 0, index 1, weight of index 1.
let tables = { n: 0, x0: new Int32Array(0), x1: new Int32Array(0), wx: new Float32Array(0),
  c0: new Int32Array(0), c1: new Int32Array(0), wc: new Float32Array(0) };

/** @param {number} n */
function grow(n) {
  if (tables.n >= n) return;
  tables = { n, x0: new Int32Array(n), x1: new Int32Array(n), wx: new Float32Array(n),
    c0: new Int32Array(n), c1: new Int32Array(n), wc: new Float32Array(n) };
}

/**
 * Fills i0/i1/w for `size` outputs over `extent` source pixels (scale: source px per output).
 * @param {number} size @param {number} extent @param {number} scale
 * @param {Int32Array} i0 @param {Int32Array} i1 @param {Float32Array} w
 */
function axis(size, extent, scale, i0, i1, w) {
  const max = extent - 1;
  for (let o = 0; o < size; o++) {
    let f = (o + 0.5) * scale - 0.5;
    f = f < 0 ? 0 : f > max ? max : f;
    const a = f | 0;
    i0[o] = a;
    i1[o] = a + 1 > max ? max : a + 1;
    w[o] = f - a;
  }
}

/**
 * The YUV → RGB coefficients of a VideoColorSpace matrix and range.
 * @param {string | null | undefined} matrix @param {boolean | null | undefined} fullRange
 */
function coefficients(matrix, fullRange) {
  const bt709 = matrix === 'bt709';
  const [kr, kb] = bt709 ? [0.2126, 0.0722] : [0.299, 0.114];
  const kg = 1 - kr - kb;
  const ys = fullRange ? 1 : 255 / 219;
  const cs = fullRange ? 1 : 255 / 224;
  return {
    y0: fullRange ? 0 : 16,
    ys,
    rv: 2 * (1 - kr) * cs,
    gu: (2 * (1 - kb) * kb / kg) * cs,
    gv: (2 * (1 - kr) * kr / kg) * cs,
    bu: 2 * (1 - kb) * cs,
  };
}

/** One channel of a packed-RGB frame, interpolated between rows `row0`/`row1` (offsets of the
 *  channel in those rows) at columns `a`/`c` with weights `wx`, `wy`; rounded. (A plain function,
 *  not a closure per pixel: this is the live loop's hot path.)
 * @param {Uint8Array} src @param {number} row0 @param {number} row1 @param {number} a
 * @param {number} c @param {number} wx @param {number} wy @returns {number} */
function bilerp(src, row0, row1, a, c, wx, wy) {
  const top = src[row0 + a] + (src[row0 + c] - src[row0 + a]) * wx;
  const bottom = src[row1 + a] + (src[row1 + c] - src[row1 + a]) * wx;
  return (top + (bottom - top) * wy + 0.5) | 0;
}

/**
 * Writes `size` × `size` RGBA pixels into `dst` from a square frame copied by VideoFrame.copyTo:
 * `src` the bytes, `frame` = { format, width, height, layout: [{ offset, stride }, …], matrix,
 * fullRange }.
 * @param {Uint8Array} src the frame's bytes as copyTo wrote them
 * @param {{ format: string, width: number, height: number, layout: { offset: number, stride: number }[],
 *   matrix?: string | null, fullRange?: boolean | null }} frame
 * @param {number} size output side in pixels
 * @param {Uint8Array | Uint8ClampedArray} dst size × size × 4 bytes
 * @returns {void}
 */
export function planesToRgba(src, frame, size, dst) {
  const { format, width, height, layout } = frame;
  grow(size);
  const t = tables;
  const scale = width / size;
  axis(size, width, scale, t.x0, t.x1, t.wx);
  if (format === 'RGBA' || format === 'RGBX' || format === 'BGRA' || format === 'BGRX') {
    const { offset, stride } = layout[0];
    const r = format[0] === 'B' ? 2 : 0;
    const b = 2 - r;
    let o = 0;
    for (let y = 0; y < size; y++) {
      let fy = (y + 0.5) * scale - 0.5;
      fy = fy < 0 ? 0 : fy > height - 1 ? height - 1 : fy;
      const ya = fy | 0;
      const wy = fy - ya;
      const row0 = offset + ya * stride;
      const row1 = offset + (ya + 1 > height - 1 ? height - 1 : ya + 1) * stride;
      for (let x = 0; x < size; x++) {
        const a = t.x0[x] * 4;
        const c = t.x1[x] * 4;
        const wx = t.wx[x];
        dst[o] = bilerp(src, row0 + r, row1 + r, a, c, wx, wy);
        dst[o + 1] = bilerp(src, row0 + 1, row1 + 1, a, c, wx, wy);
        dst[o + 2] = bilerp(src, row0 + b, row1 + b, a, c, wx, wy);
        dst[o + 3] = 255;
        o += 4;
      }
    }
    return;
  }
  const nv12 = format === 'NV12';
  if (!nv12 && format !== 'I420' && format !== 'I420A') {
    throw new Error(`unsupported frame format ${format}`);
  }
  const cw = width >> 1;
  const ch = height >> 1;
  axis(size, cw, scale / 2, t.c0, t.c1, t.wc);
  const { y0, ys, rv, gu, gv, bu } = coefficients(frame.matrix, frame.fullRange);
  const { x0, x1, wx: wxs, c0, c1, wc: wcs } = t;
  const yp = layout[0];
  const up = layout[1];
  const vp = nv12 ? layout[1] : layout[2];
  const step = nv12 ? 2 : 1; // chroma samples interleaved (NV12: U V U V …)
  const vo = nv12 ? 1 : 0;
  let o = 0;
  for (let y = 0; y < size; y++) {
    let fy = (y + 0.5) * scale - 0.5;
    fy = fy < 0 ? 0 : fy > height - 1 ? height - 1 : fy;
    const ya = fy | 0;
    const wy = fy - ya;
    const yr0 = yp.offset + ya * yp.stride;
    const yr1 = yp.offset + (ya + 1 > height - 1 ? height - 1 : ya + 1) * yp.stride;
    let fc = (y + 0.5) * (scale / 2) - 0.5;
    fc = fc < 0 ? 0 : fc > ch - 1 ? ch - 1 : fc;
    const ca = fc | 0;
    const wcy = fc - ca;
    const cb = ca + 1 > ch - 1 ? ch - 1 : ca + 1;
    const ur0 = up.offset + ca * up.stride;
    const ur1 = up.offset + cb * up.stride;
    const vr0 = vp.offset + ca * vp.stride + vo;
    const vr1 = vp.offset + cb * vp.stride + vo;
    for (let x = 0; x < size; x++) {
      const a = x0[x];
      const c = x1[x];
      const wx = wxs[x];
      const yt = src[yr0 + a] + (src[yr0 + c] - src[yr0 + a]) * wx;
      const yb = src[yr1 + a] + (src[yr1 + c] - src[yr1 + a]) * wx;
      const Y = (yt + (yb - yt) * wy - y0) * ys;
      const ua = c0[x] * step;
      const uc = c1[x] * step;
      const wc = wcs[x];
      const ut = src[ur0 + ua] + (src[ur0 + uc] - src[ur0 + ua]) * wc;
      const ub = src[ur1 + ua] + (src[ur1 + uc] - src[ur1 + ua]) * wc;
      const U = ut + (ub - ut) * wcy - 128;
      const vt = src[vr0 + ua] + (src[vr0 + uc] - src[vr0 + ua]) * wc;
      const vb = src[vr1 + ua] + (src[vr1 + uc] - src[vr1 + ua]) * wc;
      const V = vt + (vb - vt) * wcy - 128;
      const R = Y + rv * V;
      const G = Y - gu * U - gv * V;
      const B = Y + bu * U;
      dst[o] = R <= 0 ? 0 : R >= 255 ? 255 : (R + 0.5) | 0;
      dst[o + 1] = G <= 0 ? 0 : G >= 255 ? 255 : (G + 0.5) | 0;
      dst[o + 2] = B <= 0 ? 0 : B >= 255 ? 255 : (B + 0.5) | 0;
      dst[o + 3] = 255;
      o += 4;
    }
  }
}
