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
//! [`reference`] holds naive loops kept as the test oracle; [`scalar`] holds the portable fast
//! path; `simd128` (wasm32 only) holds the WebAssembly SIMD kernels. Each exports a
//! [`KernelSet`]: one [`Kernels`] table per [`Element`] type, every kernel of a kind with the one
//! signature of its kind ([`Conv`], [`Pool`], [`Pack`], [`Softmax`]), so a session can run any
//! set; weights are packed once by the set's own packers into the layout its kernels read.

mod arith;
pub mod parallel;
pub mod reference;
pub mod requantize;
pub mod scalar;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod simd128;
mod softmax;
pub mod warmup;

/// The fastest kernel set this build has: SIMD128 on wasm32 builds with `+simd128`, the
/// portable scalar set elsewhere.
pub fn best() -> &'static KernelSet {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        &simd128::KERNELS
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        &scalar::KERNELS
    }
}

/// Which uint8 matrix product (CONV_2D) a session runs. The float kernels do not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gemm {
    /// The 8-bit dot product where [`dot_set`] has it and a self-test on the model's own layers
    /// agrees byte for byte with the `i16` kernel; the `i16` kernel otherwise.
    #[default]
    Auto,
    /// The 8-bit dot product ([`dot_set`]); refused where the build or the host lacks it.
    Dot,
    /// [`best`]'s own kernel (`i32x4.dot_i16x8_s` in the SIMD builds), without the probe.
    I16,
}

impl Gemm {
    /// `"auto"`, `"dot"` or `"i16"`.
    pub fn from_name(name: &str) -> Option<Gemm> {
        match name {
            "auto" => Some(Gemm::Auto),
            "dot" => Some(Gemm::Dot),
            "i16" => Some(Gemm::I16),
            _ => None,
        }
    }
}

/// What the host does with the relaxed 8-bit dot product (`i32x4.relaxed_dot_i8x16_i7x16_add_s`),
/// measured once on crafted operands: `"unsigned×signed"` (x86 AVX-VNNI), `"signed×signed"`
/// (ARM dot product), `"other"` (saturating or unknown), or `"absent"` in builds without
/// relaxed SIMD.
pub fn dot_behaviour() -> &'static str {
    #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
    {
        match simd128::dot::probe() {
            simd128::dot::DotBehaviour::UnsignedSigned => "unsigned×signed",
            simd128::dot::DotBehaviour::SignedSigned => "signed×signed",
            simd128::dot::DotBehaviour::Other => "other",
        }
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "relaxed-simd")))]
    {
        "absent"
    }
}

/// [`best`] with the uint8 GEMM on the relaxed 8-bit dot product, where this build has relaxed
/// SIMD and the host computes the instruction exactly ([`dot_behaviour`]): the kernel for its
/// reading (`relaxed-simd+dot-vnni` or `relaxed-simd+dot-sdot`).
pub fn dot_set() -> Option<&'static KernelSet> {
    #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
    {
        match simd128::dot::probe() {
            simd128::dot::DotBehaviour::UnsignedSigned => return Some(&simd128::KERNELS_DOT_VNNI),
            simd128::dot::DotBehaviour::SignedSigned => return Some(&simd128::KERNELS_DOT_SDOT),
            simd128::dot::DotBehaviour::Other => {}
        }
    }
    None
}

/// Geometry of a convolution, depthwise convolution or average pool (batch 1, HWC; a pool and
/// a depthwise convolution have `out_c == in_c`, and a pool always covers the whole output).

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
    /// The output pixels (row-major indices `oy · out_w + ox`) this call computes: the output
    /// slice holds exactly these pixels. The whole output is `0..out_h · out_w`; the session
    /// hands each thread a band of it.
    pub band_start: usize,
    pub band_end: usize,
}

impl ConvGeom {
    /// Output pixels this call computes.
    pub fn band(&self) -> core::ops::Range<usize> {
        self.band_start..self.band_end
    }

    /// The same geometry restricted to output pixels `band`.
    pub fn with_band(&self, band: core::ops::Range<usize>) -> ConvGeom {
        ConvGeom { band_start: band.start, band_end: band.end, ..*self }
    }

    /// A 1×1 stride-1 unpadded convolution: a plain matrix product of pixels and filters.
    pub fn is_pointwise(&self) -> bool {
        self.kh == 1
            && self.kw == 1
            && self.stride_h == 1
            && self.stride_w == 1
            && self.pad_top == 0
            && self.pad_left == 0
    }
}

/// The taps `k` in `0..kernel` of output coordinate `o` whose input coordinate
/// `o·stride + k − pad` lies inside `0..size` (empty when none does).
#[inline(always)]
pub fn tap_range(o: usize, stride: usize, pad: usize, kernel: usize, size: usize) -> core::ops::Range<usize> {
    let start = o * stride;
    let first = pad.saturating_sub(start);
    let last = (size + pad).saturating_sub(start).min(kernel);
    first..last.max(first)
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
    /// How the SIMD kernels compute it, chosen and proven exact by
    /// [`requantize::plan_requant`] ([`QuantParams::new`] does this); the reference and scalar
    /// kernels always run TFLite's own formulation.
    pub formulation: requantize::Formulation,
}

impl QuantParams {
    /// Parameters of a layer, with the cheapest exact formulation of its requantization.
    pub fn new(
        input_zero_point: i32,
        filter_zero_point: i32,
        output_zero_point: i32,
        (multiplier, shift): (i32, i32),
        (act_min, act_max): (i32, i32),
    ) -> QuantParams {
        QuantParams {
            input_zero_point,
            filter_zero_point,
            output_zero_point,
            multiplier,
            shift,
            act_min,
            act_max,
            formulation: requantize::plan_requant(multiplier, shift, output_zero_point, act_min, act_max),
        }
    }
}

/// Clamp range of a float layer's fused activation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloatRange {
    pub min: f32,
    pub max: f32,
}

impl FloatRange {
    /// `v` clamped to the range, as `f32::clamp` would (a NaN passes through) for the plan's
    /// ranges, whose `min ≤ max`; not `f32::clamp` itself, whose check of its bounds formats
    /// them (see `error::Real`), nor `f32::max`/`min`, calls to `fmaxf`/`fminf` on wasm.
    #[inline(always)]
    pub fn clamp(&self, v: f32) -> f32 {
        let v = if v < self.min { self.min } else { v };
        if v > self.max { self.max } else { v }
    }
}

/// Filter dimensions, independent of the input size. Depthwise filters have
/// `out_c == in_c == channels`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterShape {
    pub out_c: usize,
    pub kh: usize,
    pub kw: usize,
    pub in_c: usize,
}

impl FilterShape {
    /// The filter of a convolution of geometry `g`: a CONV_2D's, or (`depthwise`) a depthwise
    /// convolution's, whose `in_c` is its channel count.
    pub fn of(g: &ConvGeom, depthwise: bool) -> FilterShape {
        FilterShape { out_c: g.out_c, kh: g.kh, kw: g.kw, in_c: if depthwise { g.out_c } else { g.in_c } }
    }
}

/// Weights prepared once, when a session is created, in the layout one kernel set wants
/// (its packers fill the fields it uses). Biases travel with the weights because a
/// kernel set may fold corrections into them.
#[derive(Clone, Default, PartialEq)]
pub struct Packed {
    pub u8: Vec<u8>,
    pub i16: Vec<i16>,
    pub i32: Vec<i32>,
    pub f32: Vec<f32>,
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Packed(u8 {}, i16 {}, i32 {}, f32 {})",
            self.u8.len(),
            self.i16.len(),
            self.i32.len(),
            self.f32.len()
        )
    }
}

/// Working memory for one kernel call, carved by the session out of buffers allocated once:
/// at least [`scratch_len`] elements of the type the kernel set uses.
#[derive(Debug, Default)]
pub struct Scratch<'a> {
    pub i16: &'a mut [i16],
    pub f32: &'a mut [f32],
}

/// Scratch elements one call of a convolution over its band may use: a ring of `kh` input rows
/// padded by a full window, the channels rounded up to 8 (the depthwise kernels and the stem),
/// or, for a CONV_2D, an im2col matrix of the band's pixels with rows rounded up to 8 — in
/// panels of 4 pixels and one panel more (uint8: ⌈m/4⌉·4 + 4 ≤ m + 7 rows), hence m + 8. A
/// depthwise layer never has an im2col matrix. Each kernel asserts its own need (e.g. the
/// depthwise ring's `kh · (in_w + kw − 1 at most) · C8`) against what it is given, and
/// tests/kernels.rs gives each band exactly this. Saturates instead of overflowing (the planner
/// refuses sizes over its limits).
pub fn scratch_len(g: &ConvGeom, depthwise: bool) -> usize {
    let prod = |v: &[usize]| v.iter().fold(1usize, |a, &b| a.saturating_mul(b));
    let ring = prod(&[g.kh, g.in_w.saturating_add(g.kw.saturating_mul(2)), g.in_c.saturating_add(7) / 8 * 8]);
    if depthwise {
        return ring;
    }
    let k8 = prod(&[g.kh, g.kw, g.in_c]).saturating_add(7) / 8 * 8;
    let im2col = (g.band_end - g.band_start).saturating_add(8).saturating_mul(k8);
    ring.max(im2col)
}

/// An activation element type (uint8 or float32) and what its kernels take besides the data.
/// One kernel signature per kind of kernel ([`Pack`], [`Conv`], [`Pool`], [`Softmax`]) serves
/// both types.
pub trait Element: Copy + Send + Sync + 'static {
    /// The bias and accumulator type: int32 (wrapping) or float32.
    type Acc: Copy;
    /// What a convolution's output stage needs: the requantization ([`QuantParams`]) or the
    /// activation clamp ([`FloatRange`]).
    type Params: Copy + std::fmt::Debug;
    /// The clamp of an average pool: `(act_min, act_max)` or the float range.
    type PoolClamp: Copy + std::fmt::Debug;
    /// What a packer needs besides filter and bias: the filter's zero point (uint8), nothing
    /// (float).
    type FilterZeroPoint: Copy;

    /// This type's kernels in `set`.
    fn kernels(set: &KernelSet) -> &Kernels<Self>;
}

impl Element for u8 {
    type Acc = i32;
    type Params = QuantParams;
    type PoolClamp = (i32, i32);
    type FilterZeroPoint = i32;

    fn kernels(set: &KernelSet) -> &Kernels<u8> {
        &set.u8
    }
}

impl Element for f32 {
    type Acc = f32;
    type Params = FloatRange;
    type PoolClamp = FloatRange;
    type FilterZeroPoint = ();

    fn kernels(set: &KernelSet) -> &Kernels<f32> {
        &set.f32
    }
}

/// Packs a filter (CONV_2D `[oc][kh][kw][ic]`, DEPTHWISE_CONV_2D `[kh][kw][c]`), its zero point
/// and its bias into the layout a kernel set reads.
pub type Pack<T> = fn(&FilterShape, &[T], <T as Element>::FilterZeroPoint, &[<T as Element>::Acc]) -> Packed;
/// A convolution: `(geom, params, input, packed, output, scratch)`; computes the output pixels
/// `geom.band()` into `output`, which holds exactly those pixels.
pub type Conv<T> = fn(&ConvGeom, &<T as Element>::Params, &[T], &Packed, &mut [T], Scratch<'_>);
/// An average pool: `(geom, clamp, input, output)`.
pub type Pool<T> = fn(&ConvGeom, &<T as Element>::PoolClamp, &[T], &mut [T]);
/// A softmax over the whole vector: `(beta · input scale, input, output)` (uint8 output: scale
/// 1/256, zero point 0; float: `(beta, input, output)`).
pub type Softmax<T> = fn(f32, &[T], &mut [T]);

/// Every kernel of one element type.
pub struct Kernels<T: Element> {
    /// Packs a CONV_2D filter and bias.
    pub pack_conv2d: Pack<T>,
    /// Packs a DEPTHWISE_CONV_2D filter and bias.
    pub pack_depthwise: Pack<T>,
    /// CONV_2D.
    pub conv2d: Conv<T>,
    /// DEPTHWISE_CONV_2D (multiplier 1).
    pub depthwise: Conv<T>,
    /// AVERAGE_POOL_2D.
    pub avg_pool: Pool<T>,
    /// SOFTMAX.
    pub softmax: Softmax<T>,
}

// Function pointers are Copy whatever `T` is (a derive would ask `T: Copy` only).
impl<T: Element> Clone for Kernels<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Element> Copy for Kernels<T> {}

/// One implementation of every kernel, for both element types.
#[derive(Clone, Copy)]
pub struct KernelSet {
    /// Short name reported to users (`"reference"`, `"scalar"`, `"simd128"`, …).
    pub name: &'static str,
    /// The uint8 kernels (TFLite's integer arithmetic).
    pub u8: Kernels<u8>,
    /// The float32 kernels.
    pub f32: Kernels<f32>,
}

/// Packing that keeps the file layout: what the reference and scalar kernels read
/// (`u8`/`f32` filter, `i32`/`f32` bias).
pub(crate) fn pack_file_layout_u8(_: &FilterShape, filter: &[u8], _: i32, bias: &[i32]) -> Packed {
    Packed { u8: filter.to_vec(), i32: bias.to_vec(), ..Packed::default() }
}

/// Float counterpart of [`pack_file_layout_u8`]: filter then bias in `f32`.
pub(crate) fn pack_file_layout_f32(s: &FilterShape, filter: &[f32], (): (), bias: &[f32]) -> Packed {
    let mut f32 = Vec::with_capacity(filter.len() + bias.len());
    f32.extend_from_slice(filter);
    f32.extend_from_slice(bias);
    debug_assert_eq!(bias.len(), s.out_c);
    Packed { f32, ..Packed::default() }
}

impl std::fmt::Debug for KernelSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelSet").field("name", &self.name).finish()
    }
}

/// Requantizes an int32 accumulator to uint8 with TFLite's arithmetic and clamps it.
/// (Accumulators wrap on overflow everywhere: possible only with adversarial biases.)
#[inline(always)]
pub(crate) fn requantize_u8(acc: i32, q: &QuantParams) -> u8 {
    // int32 overflow is undefined in TFLite; here it wraps, as the SIMD kernels' lanes do.
    let v = requantize::multiply_by_quantized_multiplier(acc, q.multiplier, q.shift)
        .wrapping_add(q.output_zero_point);
    v.clamp(q.act_min, q.act_max) as u8
}

/// Softmax of uint8 logits to uint8 probabilities (scale 1/256, zero point 0), in TFLite's
/// reference fixed-point arithmetic (see `softmax.rs`). It is shared by all kernel sets: it runs
/// once per frame on a few thousand values at most.
pub(crate) fn softmax_u8_common(beta_scale: f32, input: &[u8], output: &mut [u8]) {
    softmax::softmax_u8(beta_scale, input, output);
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
