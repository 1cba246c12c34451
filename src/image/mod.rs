//! RGBA frames → model inputs: center crop to a square, bilinear resize, conversion.
//!
//! A frame is `width × height` RGBA pixels, row-major, 4 bytes each (alpha ignored). The
//! largest centered square is resized to the model's `size × size` with bilinear sampling at
//! pixel centers, then written as the model's input: uint8 RGB as is, or float32
//! `(v − 128) / 128` (the normalisation the MobileNet v1 models were trained with). Nothing is
//! allocated: the caller passes the output buffer (the session's own input buffer).

use crate::error::{Result, invalid_input, limits_exceeded};

/// Largest accepted frame side, in pixels.
pub const MAX_FRAME_SIDE: usize = 16384;

/// Checks a frame's dimensions against its buffer.
///
/// # Errors
/// [`Error::InputInvalid`](crate::Error::InputInvalid) for a zero dimension or a buffer whose length is not
/// `width · height · 4`; [`Error::LimitsExceeded`](crate::Error::LimitsExceeded) for a side over [`MAX_FRAME_SIDE`].
pub fn check_frame(rgba: &[u8], width: usize, height: usize) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(invalid_input("frame_size")
            .found([width, height])
            .expected("width and height at least 1"));
    }
    if width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE {
        return Err(limits_exceeded("frame_side", width.max(height), MAX_FRAME_SIDE));
    }
    let expected = width * height * 4;
    if rgba.len() != expected {
        return Err(invalid_input("frame_bytes").found(rgba.len()).expected(expected));
    }
    Ok(())
}

/// Sampling positions of one axis: for each output index, the two source indices and the
/// weight of the second.
#[inline]
fn sample(o: usize, size: usize, crop: usize, offset: usize) -> (usize, usize, f32) {
    let scale = crop as f32 / size as f32;
    // f < crop − ½ always. Past the last pixel center (f > crop − 1, only when upsampling) both
    // indices are the last pixel, so the weight no longer matters: only the lower side needs
    // a clamp.
    let f = ((o as f32 + 0.5) * scale - 0.5).max(0.0);
    let i0 = f as usize;
    let i1 = (i0 + 1).min(crop - 1);
    (offset + i0, offset + i1, f - i0 as f32)
}

/// Output sizes up to this have their column positions precomputed on the stack.
const TABLE: usize = 2048;

/// The 4 channels (RGBA) of pixel `x` of a row, as floats.
#[inline(always)]
fn pixel(row: &[u8], x: usize) -> [f32; 4] {
    let p = &row[x * 4..x * 4 + 4];
    [f32::from(p[0]), f32::from(p[1]), f32::from(p[2]), f32::from(p[3])]
}

#[inline(always)]
fn lerp(a: [f32; 4], b: [f32; 4], w: f32) -> [f32; 4] {
    core::array::from_fn(|i| a[i] + (b[i] - a[i]) * w)
}

/// Center-crops and resizes, calling `put(pixel, rgba)` for every output pixel with the
/// resampled 0–255 channel values. Column positions are computed once per call, and the four
/// channels are interpolated together (one 4-lane vector with SIMD128).
fn resample(rgba: &[u8], width: usize, height: usize, size: usize, mut put: impl FnMut(usize, [f32; 4])) {
    let crop = width.min(height);
    let (ox, oy) = ((width - crop) / 2, (height - crop) / 2);
    let mut cols = [(0u32, 0u32, 0f32); TABLE];
    let tabled = size <= TABLE;
    if tabled {
        for (x, c) in cols[..size].iter_mut().enumerate() {
            let (x0, x1, wx) = sample(x, size, crop, ox);
            *c = (x0 as u32, x1 as u32, wx);
        }
    }
    for y in 0..size {
        let (y0, y1, wy) = sample(y, size, crop, oy);
        let (r0, r1) = (&rgba[y0 * width * 4..][..width * 4], &rgba[y1 * width * 4..][..width * 4]);
        for (x, col) in cols.iter().chain(core::iter::repeat(&(0, 0, 0.0))).take(size).enumerate() {
            let (x0, x1, wx) =
                if tabled { (col.0 as usize, col.1 as usize, col.2) } else { sample(x, size, crop, ox) };
            let top = lerp(pixel(r0, x0), pixel(r0, x1), wx);
            let bottom = lerp(pixel(r1, x0), pixel(r1, x1), wx);
            put(y * size + x, lerp(top, bottom, wy));
        }
    }
}

/// Writes a uint8 model input (`size × size × 3`) from an RGBA frame.
///
/// # Errors
/// As [`check_frame`], and [`Error::InputInvalid`](crate::Error::InputInvalid) if `out` is not `size·size·3` long.
pub fn rgba_to_u8(rgba: &[u8], width: usize, height: usize, size: usize, out: &mut [u8]) -> Result<()> {
    check_frame(rgba, width, height)?;
    check_out(out.len(), size)?;
    resample(rgba, width, height, size, |p, v| {
        let o = &mut out[p * 3..p * 3 + 3];
        for c in 0..3 {
            o[c] = (v[c] + 0.5) as u8;
        }
    });
    Ok(())
}

/// Writes a float32 model input (`size × size × 3`, `(v − 128) / 128`) from an RGBA frame.
///
/// # Errors
/// As [`rgba_to_u8`].
pub fn rgba_to_f32(rgba: &[u8], width: usize, height: usize, size: usize, out: &mut [f32]) -> Result<()> {
    check_frame(rgba, width, height)?;
    check_out(out.len(), size)?;
    resample(rgba, width, height, size, |p, v| {
        let o = &mut out[p * 3..p * 3 + 3];
        for c in 0..3 {
            o[c] = ((v[c] + 0.5).floor() - 128.0) / 128.0;
        }
    });
    Ok(())
}

fn check_out(len: usize, size: usize) -> Result<()> {
    if size == 0 || len != size * size * 3 {
        return Err(invalid_input("output_values")
            .found(len)
            .expected(size.saturating_mul(size).saturating_mul(3)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: usize, h: usize, f: impl Fn(usize, usize) -> [u8; 3]) -> Vec<u8> {
        let mut v = Vec::with_capacity(w * h * 4);
        for y in 0..h {
            for x in 0..w {
                let [r, g, b] = f(x, y);
                v.extend([r, g, b, 255]);
            }
        }
        v
    }

    #[test]
    fn same_size_square_is_copied() {
        let f = frame(4, 4, |x, y| [(x * 10) as u8, (y * 10) as u8, 7]);
        let mut out = [0u8; 48];
        rgba_to_u8(&f, 4, 4, 4, &mut out).unwrap();
        assert_eq!(&out[..6], &[0, 0, 7, 10, 0, 7]);
        assert_eq!(&out[45..], &[30, 30, 7]);
    }

    #[test]
    fn wide_frame_is_center_cropped() {
        // 6×2: the left and right two columns are red, the centre 2×2 is green.
        let f = frame(6, 2, |x, _| if (2..4).contains(&x) { [0, 200, 0] } else { [255, 0, 0] });
        let mut out = [0u8; 12];
        rgba_to_u8(&f, 6, 2, 2, &mut out).unwrap();
        assert!(out.chunks(3).all(|p| p == [0, 200, 0]), "{out:?}");
    }

    #[test]
    fn float_normalisation() {
        let f = frame(2, 2, |_, _| [0, 128, 255]);
        let mut out = [0f32; 12];
        rgba_to_f32(&f, 2, 2, 2, &mut out).unwrap();
        assert_eq!(&out[..3], &[-1.0, 0.0, 127.0 / 128.0]);
    }

    /// Bilinear weights at pixel centers, worked by hand: upsampling 2 → 4 samples at
    /// −0.25 (clamped to 0), 0.25, 0.75 and 1.25 (clamped to 1).
    #[test]
    fn upsampling_weights() {
        let values = [[0u8, 200], [40, 120]];
        let f = frame(2, 2, |x, y| [values[y][x], 255 - values[y][x], 3]);
        let mut out = [0u8; 48];
        rgba_to_u8(&f, 2, 2, 4, &mut out).unwrap();
        let w = [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.0, 1.0]];
        for y in 0..4 {
            for x in 0..4 {
                let mut v = 0.0;
                for (j, row) in values.iter().enumerate() {
                    for (i, &p) in row.iter().enumerate() {
                        v += w[y][j] * w[x][i] * f64::from(p);
                    }
                }
                let px = &out[(y * 4 + x) * 3..][..3];
                let round = |v: f64| (v + 0.5).floor() as u8;
                assert_eq!(px, [round(v), round(255.0 - v), 3], "pixel {x},{y}");
            }
        }
    }

    /// Downsampling 4 → 2 samples at 0.5 and 2.5: the mean of each 2×2 block, ties rounded up.
    #[test]
    fn downsampling_averages_blocks() {
        let f = frame(4, 4, |x, y| [(x * 10 + y * 41) as u8, (x + y) as u8, 9]);
        let mut out = [0u8; 12];
        rgba_to_u8(&f, 4, 4, 2, &mut out).unwrap();
        for (o, (x0, y0)) in [(0, 0), (2, 0), (0, 2), (2, 2)].into_iter().enumerate() {
            let mean = |c: usize| {
                let mut s = 0usize;
                for y in y0..y0 + 2 {
                    for x in x0..x0 + 2 {
                        s += usize::from(f[(y * 4 + x) * 4 + c]);
                    }
                }
                ((s as f64 / 4.0) + 0.5).floor() as u8
            };
            assert_eq!(&out[o * 3..o * 3 + 3], &[mean(0), mean(1), mean(2)], "output {o}");
        }
    }

    #[test]
    fn tall_and_odd_frames_are_center_cropped() {
        // 2×6: rows 2 and 3 are the centre square.
        let f = frame(2, 6, |x, y| [(y * 30) as u8, (x * 50) as u8, 0]);
        let mut out = [0u8; 12];
        rgba_to_u8(&f, 2, 6, 2, &mut out).unwrap();
        assert_eq!(out, [60, 0, 0, 60, 50, 0, 90, 0, 0, 90, 50, 0]);
        // 5×2: the offset (5 − 2) / 2 = 1 rounds down: columns 1 and 2.
        let f = frame(5, 2, |x, _| [(x * 20) as u8, 0, 0]);
        rgba_to_u8(&f, 5, 2, 2, &mut out).unwrap();
        assert_eq!(out, [20, 0, 0, 40, 0, 0, 20, 0, 0, 40, 0, 0]);
    }

    /// Outputs wider than the precomputed column table sample every column themselves.
    #[test]
    fn outputs_wider_than_the_table() {
        let size = TABLE + 1;
        let f = frame(3, 3, |x, y| [(x * 100) as u8, (y * 100) as u8, 1]);
        let mut out = vec![0u8; size * size * 3];
        rgba_to_u8(&f, 3, 3, size, &mut out).unwrap();
        let at = |x: usize, y: usize| &out[(y * size + x) * 3..][..3];
        assert_eq!(at(0, 0), [0, 0, 1]);
        assert_eq!(at(size - 1, 0), [200, 0, 1]);
        assert_eq!(at(size / 2, size - 1), [100, 200, 1]);
        assert_eq!(at(size - 1, size - 1), [200, 200, 1]);
    }

    #[test]
    fn float_rounds_before_normalising() {
        // Upsampling 2 → 4: 0.75·1 + 0.25·2 = 1.25 → 1, 0.25·1 + 0.75·2 = 1.75 → 2.
        let f = frame(2, 2, |x, _| [[1, 2][x], [254, 255][x], 128]);
        let mut out = [0f32; 48];
        rgba_to_f32(&f, 2, 2, 4, &mut out).unwrap();
        let v = |q: f32| (q - 128.0) / 128.0;
        let row0 =
            [v(1.0), v(254.0), 0.0, v(1.0), v(254.0), 0.0, v(2.0), v(255.0), 0.0, v(2.0), v(255.0), 0.0];
        assert_eq!(out[..12], row0);
        // 3×1: the crop is the middle pixel.
        let f = frame(3, 1, |x, _| [[0, 64, 255][x], 0, 0]);
        let mut one = [0f32; 3];
        rgba_to_f32(&f, 3, 1, 1, &mut one).unwrap();
        assert_eq!(one, [v(64.0), -1.0, -1.0]);
    }

    /// The error's variant name and `what`.
    fn kind<T>(r: Result<T>) -> (&'static str, &'static str) {
        let e = r.err().expect("an error");
        (e.code(), e.what())
    }

    #[test]
    fn limits_are_inclusive() {
        let side = MAX_FRAME_SIDE;
        let f = vec![7u8; side * 4];
        let mut out = [0u8; 3];
        assert!(rgba_to_u8(&f, side, 1, 1, &mut out).is_ok());
        assert!(rgba_to_u8(&f, 1, side, 1, &mut out).is_ok());
        assert_eq!(out, [7, 7, 7]);
        let over = ("LIMITS_EXCEEDED", "frame_side");
        assert_eq!(kind(rgba_to_u8(&[0; 16], side + 1, 1, 1, &mut out)), over);
        let e = rgba_to_u8(&[0; 16], 1, side + 1, 1, &mut out).unwrap_err();
        assert_eq!((e.what(), e.details().limit), ("frame_side", Some(side as u64)));
        assert_eq!(kind(rgba_to_u8(&[0; 4], 1, 0, 1, &mut out)), ("INPUT_INVALID", "frame_size"));
        assert_eq!(kind(rgba_to_u8(&[0; 4], 1, 1, 0, &mut [])), ("INPUT_INVALID", "output_values"));
        let mut fout = [0f32; 2];
        assert_eq!(kind(rgba_to_f32(&[0; 4], 1, 1, 1, &mut fout)), ("INPUT_INVALID", "output_values"));
        assert_eq!(kind(rgba_to_f32(&[0; 4], 0, 1, 1, &mut [0f32; 3])), ("INPUT_INVALID", "frame_size"));
    }

    #[test]
    fn bad_frames_are_typed_errors() {
        let mut out = [0u8; 12];
        assert_eq!(kind(rgba_to_u8(&[], 0, 2, 2, &mut out)), ("INPUT_INVALID", "frame_size"));
        let e = rgba_to_u8(&[0; 15], 2, 2, 2, &mut out).unwrap_err();
        assert_eq!(
            (e.what(), e.details().found.clone(), e.details().expected.clone()),
            ("frame_bytes", Some(15usize.into()), Some(16usize.into()))
        );
        assert_eq!(kind(rgba_to_u8(&[0; 16], 1 << 20, 1, 2, &mut out)), ("LIMITS_EXCEEDED", "frame_side"));
        assert_eq!(kind(rgba_to_u8(&[0; 16], 2, 2, 3, &mut out)), ("INPUT_INVALID", "output_values"));
    }
}
