//! Kernels: the arithmetic of each layer, apart from the graph.
//!
//! Contract shared by every implementation:
//! - Activations are HWC (batch 1), row-major, channels innermost.
//! - CONV_2D filters are `[out_c][kh][kw][in_c]`; DEPTHWISE_CONV_2D filters are `[kh][kw][c]`.
//! - Kernels never allocate, never validate and never see TFLite or JavaScript types: the planner
//!   has already checked that every slice has exactly the length its geometry implies, so indexing
//!   cannot go out of bounds.
//! - uint8 kernels follow TFLite's integer arithmetic bit for bit ([`requantize`]); float kernels
//!   follow its float semantics (summation order may differ).
//!
//! [`reference`] holds naive loops kept as the test oracle; [`scalar`] holds the portable fast path.
//! Both export a [`KernelSet`] with identical signatures, so a session can run either.

pub mod reference;
pub mod requantize;
pub mod scalar;

/// Geometry of a convolution or depthwise convolution (batch 1, HWC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeom {
    pub in_h: usize,
    pub in_w: usize,
    pub in_c: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub out_c: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad_top: usize,
    pub pad_left: usize,
}

/// Geometry of an average pool (batch 1, HWC, channels unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolGeom {
    pub in_h: usize,
    pub in_w: usize,
    pub c: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad_top: usize,
    pub pad_left: usize,
}

/// Requantization parameters of a uint8 conv / depthwise layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuantParams {
    pub input_zero_point: i32,
    pub filter_zero_point: i32,
    pub output_zero_point: i32,
    /// Fixed-point mantissa of the real multiplier (see [`requantize::quantize_multiplier`]).
    pub multiplier: i32,
    pub shift: i32,
    pub act_min: i32,
    pub act_max: i32,
}

/// Clamp range of a float layer's fused activation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloatRange {
    pub min: f32,
    pub max: f32,
}

pub type ConvU8 = fn(&ConvGeom, &QuantParams, &[u8], &[u8], &[i32], &mut [u8]);
pub type ConvF32 = fn(&ConvGeom, FloatRange, &[f32], &[f32], &[f32], &mut [f32]);
pub type PoolU8 = fn(&PoolGeom, i32, i32, &[u8], &mut [u8]);
pub type PoolF32 = fn(&PoolGeom, FloatRange, &[f32], &mut [f32]);
pub type SoftmaxU8 = fn(f32, &[u8], &mut [u8]);
pub type SoftmaxF32 = fn(f32, &[f32], &mut [f32]);

/// One implementation of every kernel. Implementations overwrite slots of another set where
/// they have nothing better, so every slot is always filled.
#[derive(Clone, Copy)]
pub struct KernelSet {
    /// Short name reported to users (`"reference"`, `"scalar"`, …).
    pub name: &'static str,
    /// CONV_2D, uint8: `(geom, quant, input, filter [oc][kh][kw][ic], bias, output)`.
    pub conv2d_u8: ConvU8,
    /// CONV_2D, float32.
    pub conv2d_f32: ConvF32,
    /// DEPTHWISE_CONV_2D (multiplier 1), uint8: filter `[kh][kw][c]`.
    pub depthwise_u8: ConvU8,
    /// DEPTHWISE_CONV_2D (multiplier 1), float32.
    pub depthwise_f32: ConvF32,
    /// AVERAGE_POOL_2D, uint8: `(geom, act_min, act_max, input, output)`.
    pub avg_pool_u8: PoolU8,
    /// AVERAGE_POOL_2D, float32.
    pub avg_pool_f32: PoolF32,
    /// SOFTMAX, uint8 in, uint8 out with scale 1/256 and zero point 0:
    /// `(beta · input_scale, input, output)`.
    pub softmax_u8: SoftmaxU8,
    /// SOFTMAX, float32: `(beta, input, output)`.
    pub softmax_f32: SoftmaxF32,
}

impl std::fmt::Debug for KernelSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelSet")
            .field("name", &self.name)
            .finish()
    }
}

/// Requantizes an int32 accumulator to uint8 with TFLite's arithmetic and clamps it.
#[inline(always)]
pub(crate) fn requantize_u8(acc: i32, q: &QuantParams) -> u8 {
    let v = requantize::multiply_by_quantized_multiplier(acc, q.multiplier, q.shift)
        + q.output_zero_point;
    v.clamp(q.act_min, q.act_max) as u8
}

/// Softmax of uint8 logits to uint8 probabilities (scale 1/256, zero point 0).
///
/// `p_i = exp(β·s·(q_i − max q)) / Σ_j exp(β·s·(q_j − max q))`, `out_i = min(255, ⌊256·p_i + ½⌋)`:
/// this reproduces every LiteRT reference output. It is shared by all kernel sets: it runs once
/// per frame on 1001 values.
pub(crate) fn softmax_u8_common(beta_scale: f32, input: &[u8], output: &mut [u8]) {
    let max = input.iter().copied().max().unwrap_or(0);
    // exp(β·s·d) for every possible difference d = q − max ∈ [−255, 0].
    let mut sum = 0.0f32;
    for &q in input {
        sum += (beta_scale * (f32::from(q) - f32::from(max))).exp();
    }
    for (o, &q) in output.iter_mut().zip(input) {
        let p = (beta_scale * (f32::from(q) - f32::from(max))).exp() / sum;
        *o = (p * 256.0 + 0.5).floor().min(255.0) as u8;
    }
}

/// Float softmax over the whole vector, as TFLite's reference kernel.
pub(crate) fn softmax_f32_common(beta: f32, input: &[f32], output: &mut [f32]) {
    let max = input.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for (o, &x) in output.iter_mut().zip(input) {
        let e = ((x - max) * beta).exp();
        *o = e;
        sum += e;
    }
    for o in output.iter_mut() {
        *o /= sum;
    }
}
