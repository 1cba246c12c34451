//! AVERAGE_POOL_2D: window sums of 16 channels per step for uint8 (one 16-byte load widened
//! into four int32x4 sums) and 4 per step for float, then TFLite's rounded integer division
//! (uint8) or a float division per channel.

use crate::kernels::{ConvGeom, FloatRange};
use core::arch::wasm32::*;

/// Input coordinate range of the taps of output `o` that fall inside the input.
fn taps(o: usize, stride: usize, pad: usize, k: usize, size: usize) -> (usize, usize) {
    let start = (o * stride).saturating_sub(pad);
    let end = (o * stride + k).saturating_sub(pad).min(size);
    (start, end.max(start))
}

pub fn avg_pool_u8(g: &ConvGeom, &(act_min, act_max): &(i32, i32), input: &[u8], output: &mut [u8]) {
    let c = g.in_c;
    assert!(input.len() >= g.in_h * g.in_w * c && output.len() >= g.out_h * g.out_w * c);
    for oy in 0..g.out_h {
        let (y0, y1) = taps(oy, g.stride_h, g.pad_top, g.kh, g.in_h);
        for ox in 0..g.out_w {
            let (x0, x1) = taps(ox, g.stride_w, g.pad_left, g.kw, g.in_w);
            let n = ((y1 - y0) * (x1 - x0)) as i32;
            let out = &mut output[(oy * g.out_w + ox) * c..][..c];
            let mut ch = 0;
            while ch < c {
                let lanes = (c - ch).min(16);
                let mut sums = [i32x4_splat(0); 4];
                for y in y0..y1 {
                    for x in x0..x1 {
                        let px = &input[(y * g.in_w + x) * c + ch..][..lanes];
                        let v = if lanes == 16 {
                            // SAFETY: px holds 16 bytes.
                            unsafe { v128_load(px.as_ptr() as *const v128) }
                        } else {
                            let mut tmp = [0u8; 16];
                            tmp[..lanes].copy_from_slice(px);
                            // SAFETY: tmp holds 16 bytes.
                            unsafe { v128_load(tmp.as_ptr() as *const v128) }
                        };
                        let lo = u16x8_extend_low_u8x16(v);
                        let hi = u16x8_extend_high_u8x16(v);
                        sums[0] = i32x4_add(sums[0], u32x4_extend_low_u16x8(lo));
                        sums[1] = i32x4_add(sums[1], u32x4_extend_high_u16x8(lo));
                        sums[2] = i32x4_add(sums[2], u32x4_extend_low_u16x8(hi));
                        sums[3] = i32x4_add(sums[3], u32x4_extend_high_u16x8(hi));
                    }
                }
                let mut acc = [0i32; 16];
                for (i, s) in sums.iter().enumerate() {
                    // SAFETY: acc holds 16 i32.
                    unsafe { v128_store(acc.as_mut_ptr().add(i * 4) as *mut v128, *s) };
                }
                for (o, &a) in out[ch..ch + lanes].iter_mut().zip(&acc) {
                    let avg = if n == 0 { 0 } else { (a + n / 2) / n };
                    *o = avg.clamp(act_min, act_max) as u8;
                }
                ch += lanes;
            }
        }
    }
}

pub fn avg_pool_f32(g: &ConvGeom, act: &FloatRange, input: &[f32], output: &mut [f32]) {
    let c = g.in_c;
    assert!(input.len() >= g.in_h * g.in_w * c && output.len() >= g.out_h * g.out_w * c);
    for oy in 0..g.out_h {
        let (y0, y1) = taps(oy, g.stride_h, g.pad_top, g.kh, g.in_h);
        for ox in 0..g.out_w {
            let (x0, x1) = taps(ox, g.stride_w, g.pad_left, g.kw, g.in_w);
            let n = ((y1 - y0) * (x1 - x0)) as f32;
            let out = &mut output[(oy * g.out_w + ox) * c..][..c];
            out.fill(0.0);
            for y in y0..y1 {
                for x in x0..x1 {
                    let px = &input[(y * g.in_w + x) * c..][..c];
                    let mut ch = 0;
                    while ch + 4 <= c {
                        // SAFETY: ch + 4 ≤ c = both lengths.
                        unsafe {
                            let o = out.as_mut_ptr().add(ch) as *mut v128;
                            v128_store(
                                o,
                                f32x4_add(v128_load(o), v128_load(px.as_ptr().add(ch) as *const v128)),
                            );
                        }
                        ch += 4;
                    }
                    for j in ch..c {
                        out[j] += px[j];
                    }
                }
            }
            for o in out.iter_mut() {
                let avg = if n == 0.0 { 0.0 } else { *o / n };
                *o = act.clamp(avg);
            }
        }
    }
}
