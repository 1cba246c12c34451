//! RGBA frames → model inputs: center crop to a square, bilinear resize, conversion.
//!
//! A frame is `width × height` RGBA pixels, row-major, 4 bytes each (alpha ignored). The
//! largest centered square is resized to the model's `size × size` with bilinear sampling at
//! pixel centers, then written as the model's input: uint8 RGB as is, or float32
//! `(v − 128) / 128` (the normalisation the MobileNet v1 models were trained with). Nothing is
//! allocated: the caller passes the output buffer (the session's own input buffer).

use crate::error::{Error, Result, invalid_input};

/// Largest accepted frame side, in pixels.
pub const MAX_FRAME_SIDE: usize = 16384;

/// Checks a frame's dimensions against its buffer.
///
/// # Errors
/// [`Error::InputInvalid`] for a zero dimension or a buffer whose length is not
/// `width · height · 4`; [`Error::LimitsExceeded`] for a side over [`MAX_FRAME_SIDE`].
pub fn check_frame(rgba: &[u8], width: usize, height: usize) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(invalid_input(format!("frame of {width}×{height} pixels")));
    }
    if width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE {
        return Err(Error::LimitsExceeded(format!(
            "frame of {width}×{height} pixels: each side must be at most {MAX_FRAME_SIDE}"
        )));
    }
    let expected = width * height * 4;
    if rgba.len() != expected {
        return Err(invalid_input(format!(
            "frame buffer of {} bytes, a {width}×{height} RGBA frame needs {expected}",
            rgba.len()
        )));
    }
    Ok(())
}

/// Sampling positions of one axis: for each output index, the two source indices and the
/// weight of the second.
#[inline]
fn sample(o: usize, size: usize, crop: usize, offset: usize) -> (usize, usize, f32) {
    let scale = crop as f32 / size as f32;
    let f = ((o as f32 + 0.5) * scale - 0.5).clamp(0.0, (crop - 1) as f32);
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
/// As [`check_frame`], and [`Error::InputInvalid`] if `out` is not `size·size·3` long.
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
        return Err(invalid_input(format!("an output of {len} values for a {size}×{size}×3 input")));
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

    #[test]
    fn bad_frames_are_typed_errors() {
        let mut out = [0u8; 12];
        assert!(matches!(rgba_to_u8(&[], 0, 2, 2, &mut out), Err(Error::InputInvalid(_))));
        assert!(matches!(rgba_to_u8(&[0; 15], 2, 2, 2, &mut out), Err(Error::InputInvalid(_))));
        assert!(matches!(rgba_to_u8(&[0; 16], 1 << 20, 1, 2, &mut out), Err(Error::LimitsExceeded(_))));
        assert!(matches!(rgba_to_u8(&[0; 16], 2, 2, 3, &mut out), Err(Error::InputInvalid(_))));
    }
}
