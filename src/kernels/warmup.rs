//! Warm-up: every kernel of a set run once on a small synthetic MobileNet — a strided 3-channel
//! stem, depthwise layers of stride 1 and 2, pointwise layers, a global average pool, the logits
//! (no activation, zero point ≠ 0: the integer requantization) and the softmax — before any
//! model is there.
//!
//! Why: a JavaScript engine runs a freshly compiled module in baseline code and optimises a
//! function only after it has run for a while (V8: Liftoff, then TurboFan in the background,
//! used from the function's next call on). A kernel that computes a whole layer in one call stays
//! in the baseline code for that call, so a model's first inference ran 3–4× slower than the
//! next. Run while the model downloads, this makes the engine compile the kernels optimised
//! before they are needed.
//!
//! It touches no state a model sees: its weights, inputs, outputs and scratch are its own, made
//! by the first round on a thread and kept for the next (~0.3 MB for both types, see [`Net`]);
//! the kernels are pure functions of their arguments.

use super::{ConvGeom, FilterShape, FloatRange, KernelSet, Kernels, QuantParams, Scratch, scratch_len};
use crate::model::graph::DType;
use std::cell::RefCell;
use std::thread::LocalKey;

/// `k × k` convolution geometry, TFLite's SAME padding, the whole output as one band.
fn geom(in_hw: usize, in_c: usize, out_c: usize, k: usize, stride: usize) -> ConvGeom {
    let out = in_hw.div_ceil(stride);
    let pad = ((out - 1) * stride + k).saturating_sub(in_hw) / 2;
    ConvGeom {
        in_h: in_hw,
        in_w: in_hw,
        in_c,
        out_h: out,
        out_w: out,
        out_c,
        kh: k,
        kw: k,
        stride_h: stride,
        stride_w: stride,
        pad_top: pad,
        pad_left: pad,
        band_start: 0,
        band_end: out * out,
    }
}

/// The layers, in order: `(geometry, depthwise)`; then a global pool and the softmax. Channel
/// counts that are not multiples of the SIMD widths exercise the kernels' remainders too.
fn layers() -> [(ConvGeom, bool); 6] {
    [
        (geom(16, 3, 16, 3, 2), false), // the stem
        (geom(8, 16, 16, 3, 1), true),
        (geom(8, 16, 32, 1, 1), false),
        (geom(8, 32, 32, 3, 2), true),
        (geom(4, 32, 40, 1, 1), false),
        (geom(1, 40, 1001, 1, 1), false), // the logits, after the pool
    ]
}

/// Pseudo-random bytes (xorshift), the same every call.
fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect()
}

/// What one dtype needs to run the synthetic network.
trait Synthetic: super::Element + Default {
    fn value(b: u8) -> Self;
    fn bits(self) -> u64;
    fn acc(b: u8) -> Self::Acc;
    fn zero_point() -> Self::FilterZeroPoint;
    /// ReLU6 for hidden layers, none for the logits.
    fn params(logits: bool) -> Self::Params;
    fn pool_clamp() -> Self::PoolClamp;
    fn softmax_beta() -> f32;
    fn scratch(len: usize) -> (Vec<i16>, Vec<f32>);
    /// This thread's synthetic network of this type.
    fn net() -> &'static LocalKey<RefCell<Option<Net<Self>>>>;
}

impl Synthetic for u8 {
    fn value(b: u8) -> u8 {
        b
    }
    fn bits(self) -> u64 {
        u64::from(self)
    }
    fn acc(b: u8) -> i32 {
        (i32::from(b) - 128) * 64
    }
    fn zero_point() -> i32 {
        128
    }
    fn params(logits: bool) -> QuantParams {
        // Scales of MobileNet's own kind: ReLU6 layers (6/255, zero point 0) use the float
        // requantization, the logits (zero point ≠ 0, no activation) the integer one.
        let (m, zp, range) = if logits { (0.004_7, 70, (0, 255)) } else { (0.020_3, 0, (0, 255)) };
        QuantParams::new(128, 128, zp, super::requantize::quantize_multiplier(m), range)
    }
    fn pool_clamp() -> (i32, i32) {
        (0, 255)
    }
    fn softmax_beta() -> f32 {
        0.1
    }
    fn scratch(len: usize) -> (Vec<i16>, Vec<f32>) {
        (vec![0; len], Vec::new())
    }
    fn net() -> &'static LocalKey<RefCell<Option<Net<u8>>>> {
        &NET_U8
    }
}

impl Synthetic for f32 {
    fn value(b: u8) -> f32 {
        (f32::from(b) - 128.0) / 128.0
    }
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn acc(b: u8) -> f32 {
        (f32::from(b) - 128.0) / 1024.0
    }
    fn zero_point() {}
    fn params(logits: bool) -> FloatRange {
        if logits {
            FloatRange { min: f32::NEG_INFINITY, max: f32::INFINITY }
        } else {
            FloatRange { min: 0.0, max: 6.0 }
        }
    }
    fn pool_clamp() -> FloatRange {
        FloatRange { min: f32::NEG_INFINITY, max: f32::INFINITY }
    }
    fn softmax_beta() -> f32 {
        1.0
    }
    fn scratch(len: usize) -> (Vec<i16>, Vec<f32>) {
        (Vec::new(), vec![0.0; len])
    }
    fn net() -> &'static LocalKey<RefCell<Option<Net<f32>>>> {
        &NET_F32
    }
}

/// FNV-1a over `v`'s bits, continuing from `h`.
fn hash<T: Synthetic>(h: u64, v: &[T]) -> u64 {
    v.iter().fold(h, |h, &x| (h ^ x.bits()).wrapping_mul(0x0000_0100_0000_01b3))
}

/// One convolution of the synthetic network and what it keeps between rounds.
struct Layer<T: Synthetic> {
    g: ConvGeom,
    depthwise: bool,
    shape: FilterShape,
    params: T::Params,
    filter: Vec<T>,
    bias: Vec<T::Acc>,
    out: Vec<T>,
    i16: Vec<i16>,
    f32: Vec<f32>,
}

impl<T: Synthetic> Layer<T> {
    fn new(g: ConvGeom, depthwise: bool, logits: bool, seed: u64) -> Layer<T> {
        let shape = FilterShape::of(&g, depthwise);
        let n = if depthwise { g.kh * g.kw * g.out_c } else { g.out_c * g.kh * g.kw * g.in_c };
        // uint8 weights in [1, 255] like the official models' (the dot kernel's packing needs it).
        let filter = bytes(n, 11 + seed).into_iter().map(|b| T::value(b.max(1))).collect();
        let bias = bytes(g.out_c, 13 + seed).into_iter().map(T::acc).collect();
        let (i16, f32) = T::scratch(scratch_len(&g, depthwise));
        let out = vec![T::default(); g.out_h * g.out_w * g.out_c];
        Layer { g, depthwise, shape, params: T::params(logits), filter, bias, out, i16, f32 }
    }

    /// Packs the weights with the set's own packer and runs the set's kernel on `x`.
    fn run(&mut self, k: &Kernels<T>, x: &[T]) {
        let pack = if self.depthwise { k.pack_depthwise } else { k.pack_conv2d };
        let packed = pack(&self.shape, &self.filter, T::zero_point(), &self.bias);
        let run = if self.depthwise { k.depthwise } else { k.conv2d };
        let scratch = Scratch { i16: &mut self.i16, f32: &mut self.f32 };
        run(&self.g, &self.params, x, &packed, &mut self.out, scratch);
    }
}

/// The synthetic network of one element type: made by the first round on a thread and kept
/// for the next ones, which then run packers and kernels only (each round clears the outputs
/// first, so its hash is of what this round's kernels wrote). Made afresh every round, its
/// weights' generation and allocation took more of a round than the kernels, and V8 optimised
/// the warm-up's own code ahead of them: `warm_up`, the per-round layer builder and `malloc`
/// were 48 of the ~90 ms of background compilation in a cold page (Chromium 156,
/// `--trace-wasm-compilation-times`).
struct Net<T: Synthetic> {
    input: Vec<T>,
    /// The five hidden layers, then the logits.
    layers: Vec<Layer<T>>,
    pool: ConvGeom,
    pooled: Vec<T>,
    probs: Vec<T>,
}

impl<T: Synthetic> Net<T> {
    fn new() -> Net<T> {
        let [l0, l1, l2, l3, l4, logits] = layers();
        let mut layers: Vec<Layer<T>> = [l0, l1, l2, l3, l4]
            .into_iter()
            .enumerate()
            .map(|(i, (g, dw))| Layer::new(g, dw, false, i as u64))
            .collect();
        layers.push(Layer::new(logits.0, false, true, 5));
        let (first, last) = (l0.0, l4.0);
        // Global average pool: the last hidden layer's output, hw × hw × c → 1×1×c (the logits'
        // input): a window and stride of the whole map.
        let (hw, c) = (last.out_h, last.out_c);
        Net {
            input: bytes(first.in_h * first.in_w * first.in_c, 7).into_iter().map(T::value).collect(),
            layers,
            pool: geom(hw, c, c, hw, hw),
            pooled: vec![T::default(); c],
            probs: vec![T::default(); logits.0.out_c],
        }
    }

    /// The network through `k`: packing, every convolution, the pool, the softmax. Returns a
    /// hash of every layer's output (so the work cannot be optimised away, and tests can
    /// compare kernel sets).
    fn run(&mut self, k: &Kernels<T>) -> u64 {
        for out in self.layers.iter_mut().map(|l| &mut l.out).chain([&mut self.pooled, &mut self.probs]) {
            out.fill(T::default());
        }
        let mut h = 0xcbf2_9ce4_8422_2325;
        let (hidden, logits) = self.layers.split_at_mut(5);
        for i in 0..hidden.len() {
            let (done, rest) = hidden.split_at_mut(i);
            let x = done.last().map_or(&self.input[..], |l| &l.out[..]);
            rest[0].run(k, x);
            h = hash(h, &rest[0].out);
        }
        (k.avg_pool)(&self.pool, &T::pool_clamp(), &hidden[4].out, &mut self.pooled);
        logits[0].run(k, &self.pooled);
        (k.softmax)(T::softmax_beta(), &logits[0].out, &mut self.probs);
        hash(hash(hash(h, &self.pooled), &logits[0].out), &self.probs)
    }
}

thread_local! {
    static NET_U8: RefCell<Option<Net<u8>>> = const { RefCell::new(None) };
    static NET_F32: RefCell<Option<Net<f32>>> = const { RefCell::new(None) };
}

/// The synthetic network through `k` (see [`Net::run`]), this thread's, made on first use.
fn run<T: Synthetic>(k: &Kernels<T>) -> u64 {
    T::net().with(|cell| cell.borrow_mut().get_or_insert_with(Net::new).run(k))
}

/// Runs the synthetic network once through the kernels a model of `dtype` would use (`None`:
/// both dtypes): `set`'s, and for uint8 also the 8-bit dot product's where this host has it.
/// Returns a hash of `set`'s uint8 layers' outputs and one of its float layers' (each 0 when
/// not run): of no use but to keep the work from being optimised away and to let tests compare
/// sets.
pub fn warm_up(set: &KernelSet, dtype: Option<DType>) -> (u64, u64) {
    let mut u8_hash = 0;
    if dtype != Some(DType::F32) {
        u8_hash = run(&set.u8);
        if let Some(dot) = super::dot_set() {
            core::hint::black_box(run(&dot.u8));
        }
    }
    let f32_hash = if dtype != Some(DType::U8) { run(&set.f32) } else { 0 };
    (u8_hash, f32_hash)
}
