//! Planning: shapes, padding and requantization parameters for one input resolution.
//!
//! A plan is computed once per resolution and validated completely: after planning, every
//! kernel call has slices of exactly the length its geometry implies, every multiplier is in
//! range, and the largest activation is known so the session can allocate once.

use super::graph::{Activation, DType, Filter, Graph, Op, Padding, Quant, Window};
use crate::error::{Error, Result, invalid_input, limits_exceeded, unsupported};
use crate::kernels::requantize::{conv_multiplier, quantize_f32, quantize_multiplier};
use crate::kernels::{ConvGeom, FloatRange, QuantParams, scratch_len};

/// Size limits enforced while planning and loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted model file, in bytes.
    pub max_model_bytes: usize,
    /// Largest activation tensor, in elements.
    pub max_tensor_elements: usize,
    /// Largest input resolution (height or width), in pixels.
    pub max_resolution: usize,
    /// Most multiply-adds one inference may take (bounds the time a hostile model can take).
    pub max_macs: u64,
    /// Largest frame `classify` / `embed` accept, in pixels (width × height).
    pub max_frame_pixels: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // The 1.0 model at 1024×1024 takes ~12 G multiply-adds.
        Limits {
            max_model_bytes: 64 << 20,
            max_tensor_elements: 16 << 20,
            max_resolution: 1024,
            max_macs: 16_000_000_000,
            max_frame_pixels: 4096 * 4096,
        }
    }
}

/// Smallest input resolution accepted: MobileNet v1 halves the size five times.
pub const MIN_RESOLUTION: usize = 32;

/// What one layer does at the planned resolution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    Conv {
        geom: ConvGeom,
        quant: QuantParams,
        range: FloatRange,
        depthwise: bool,
    },
    Pool {
        geom: ConvGeom,
        act_min: i32,
        act_max: i32,
        range: FloatRange,
    },
    /// RESHAPE: the data is copied unchanged.
    Copy,
    /// SOFTMAX; `beta_scale` is β for float models and β·s_in for uint8 ones.
    Softmax {
        beta_scale: f32,
    },
}

/// A validated execution plan for one input size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    pub input_shape: [usize; 3],
    /// Output shape of every layer (batch included, as TFLite declares it).
    pub shapes: Vec<Vec<usize>>,
    pub steps: Vec<Step>,
    /// Largest activation, in elements (input included).
    pub max_elements: usize,
    /// Kernel scratch memory, in elements ([`crate::kernels::scratch_len`] of the largest layer).
    pub scratch_elements: usize,
}

impl Plan {
    pub fn output_len(&self) -> usize {
        self.shapes.last().map_or(0, |s| s.iter().product())
    }
}

fn out_size(input: usize, k: usize, stride: usize, padding: Padding) -> Option<usize> {
    match padding {
        Padding::Same => Some(input.div_ceil(stride)),
        Padding::Valid => input.checked_sub(k).map(|d| d / stride + 1),
    }
}

fn pad_before(input: usize, out: usize, k: usize, stride: usize, padding: Padding) -> usize {
    match padding {
        Padding::Same => ((out - 1) * stride + k).saturating_sub(input) / 2,
        Padding::Valid => 0,
    }
}

fn float_range(a: Activation) -> FloatRange {
    match a {
        Activation::None => FloatRange { min: f32::NEG_INFINITY, max: f32::INFINITY },
        Activation::Relu => FloatRange { min: 0.0, max: f32::INFINITY },
        Activation::Relu6 => FloatRange { min: 0.0, max: 6.0 },
    }
}

/// TFLite's uint8 activation range for an output quantization.
fn u8_range(a: Activation, q: Quant) -> (i32, i32) {
    match a {
        Activation::None => (0, 255),
        Activation::Relu => (q.zero_point.max(0), 255),
        Activation::Relu6 => (q.zero_point.max(0), quantize_f32(6.0, q.scale, q.zero_point).min(255)),
    }
}

/// Plans `graph` for an `h × w` input.
///
/// # Errors
/// [`Error::InputInvalid`] when the size is out of range or makes a layer's shape invalid,
/// [`Error::LimitsExceeded`] when a tensor would exceed `limits`, [`Error::ModelUnsupported`]
/// for a layer whose parameters the kernels cannot honour (a requantization multiplier out of
/// range, a softmax over more than one row).
pub(crate) fn plan(graph: &Graph, h: usize, w: usize, limits: &Limits) -> Result<Plan> {
    for d in [h, w] {
        if d < MIN_RESOLUTION {
            return Err(invalid_input("resolution")
                .found([h, w])
                .expected(format!("each side from {MIN_RESOLUTION} to {}", limits.max_resolution)));
        }
        if d > limits.max_resolution {
            return Err(limits_exceeded("resolution", [h, w], limits.max_resolution));
        }
    }
    let c = graph.input.shape[3];
    let check = |shape: &[usize]| -> Result<usize> {
        let n = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .filter(|&n| n <= limits.max_tensor_elements)
            .ok_or_else(|| limits_exceeded("tensor_elements", shape, limits.max_tensor_elements))?;
        Ok(n)
    };
    let mut shape = vec![1, h, w, c];
    let mut max_elements = check(&shape)?;
    let mut in_quant = graph.input.quant;
    let mut scratch_elements = 0;
    let mut macs = 0u64;
    let mut shapes = Vec::with_capacity(graph.layers.len());
    let mut steps = Vec::with_capacity(graph.layers.len());
    for (i, layer) in graph.layers.iter().enumerate() {
        let at = |e: Error| e.at_layer(i, layer.op.name());
        let nhwc = |shape: &[usize]| -> Result<(usize, usize, usize)> {
            match *shape {
                [1, h, w, c] => Ok((h, w, c)),
                _ => Err(at(unsupported("input_shape").found(shape).expected("NHWC with batch 1"))),
            }
        };
        let out_q = layer.output.quant;
        let (step, out_shape) = match &layer.op {
            Op::Conv2d(_) | Op::Depthwise(_) => {
                let (win, act, filter, out_c, depthwise) = match &layer.op {
                    Op::Conv2d(cv) => (cv.window, cv.activation, &cv.filter, cv.out_c, false),
                    Op::Depthwise(d) => (d.window, d.activation, &d.filter, d.channels, true),
                    _ => unreachable!("matched above"),
                };
                let (ih, iw, ic) = nhwc(&shape)?;
                let geom = conv_geom(ih, iw, ic, out_c, &win).ok_or_else(|| {
                    at(invalid_input("input_smaller_than_window").found([ih, iw]).expected([win.kh, win.kw]))
                })?;
                let quant = match (filter, in_quant, out_q) {
                    (Filter::U8 { quant: fq, .. }, Some(iq), Some(oq)) => {
                        conv_quant(iq, *fq, oq, act).map_err(at)?
                    }
                    _ => QuantParams::default(),
                };
                let layer_macs =
                    [geom.out_h, geom.out_w, out_c, win.kh, win.kw, if depthwise { 1 } else { ic }]
                        .iter()
                        .fold(1u64, |a, &d| a.saturating_mul(d as u64));
                macs = macs.saturating_add(layer_macs);
                if macs > limits.max_macs {
                    return Err(at(limits_exceeded("macs", macs, limits.max_macs)));
                }
                let scratch = scratch_len(&geom, depthwise);
                if scratch > limits.max_tensor_elements.saturating_mul(4) {
                    return Err(at(limits_exceeded(
                        "scratch_elements",
                        scratch,
                        limits.max_tensor_elements.saturating_mul(4),
                    )));
                }
                scratch_elements = scratch_elements.max(scratch);
                let step = Step::Conv { geom, quant, range: float_range(act), depthwise };
                (step, vec![1, geom.out_h, geom.out_w, out_c])
            }
            Op::AvgPool(p) => {
                let (ih, iw, ic) = nhwc(&shape)?;
                let win = if p.global {
                    Window { kh: ih, kw: iw, stride_h: 1, stride_w: 1, ..p.window }
                } else {
                    p.window
                };
                let cg = conv_geom(ih, iw, ic, ic, &win).ok_or_else(|| {
                    at(invalid_input("input_smaller_than_window").found([ih, iw]).expected([win.kh, win.kw]))
                })?;
                let geom = cg;
                let (act_min, act_max) = out_q.map_or((0, 255), |q| u8_range(p.activation, q));
                let step = Step::Pool { geom, act_min, act_max, range: float_range(p.activation) };
                (step, vec![1, geom.out_h, geom.out_w, ic])
            }
            Op::Reshape(target) => (Step::Copy, reshape(&shape, target).map_err(at)?),
            Op::Softmax(beta) => {
                let rows: usize = shape[..shape.len().saturating_sub(1)].iter().product();
                if rows != 1 || shape.is_empty() {
                    return Err(at(unsupported("softmax_shape").found(&shape).expected("one row")));
                }
                let beta_scale = match (graph.dtype, in_quant) {
                    (DType::U8, Some(q)) => beta * q.scale,
                    _ => *beta,
                };
                (Step::Softmax { beta_scale }, shape.clone())
            }
        };
        max_elements = max_elements.max(check(&out_shape).map_err(at)?);
        shape = out_shape;
        in_quant = out_q;
        shapes.push(shape.clone());
        steps.push(step);
    }
    Ok(Plan { input_shape: [h, w, c], shapes, steps, max_elements, scratch_elements })
}

fn conv_geom(ih: usize, iw: usize, ic: usize, out_c: usize, win: &Window) -> Option<ConvGeom> {
    let out_h = out_size(ih, win.kh, win.stride_h, win.padding)?;
    let out_w = out_size(iw, win.kw, win.stride_w, win.padding)?;
    Some(ConvGeom {
        in_h: ih,
        in_w: iw,
        in_c: ic,
        out_h,
        out_w,
        out_c,
        kh: win.kh,
        kw: win.kw,
        stride_h: win.stride_h,
        stride_w: win.stride_w,
        pad_top: pad_before(ih, out_h, win.kh, win.stride_h, win.padding),
        pad_left: pad_before(iw, out_w, win.kw, win.stride_w, win.padding),
        band_start: 0,
        band_end: out_h * out_w,
    })
}

fn conv_quant(iq: Quant, fq: Quant, oq: Quant, act: Activation) -> Result<QuantParams> {
    let m = conv_multiplier(iq.scale, fq.scale, oq.scale);
    if !(m.is_finite() && m > 0.0 && m < (1u64 << 30) as f64) {
        return Err(unsupported("requantization_multiplier").found(m).expected("in (0, 2^30)"));
    }
    let (multiplier, shift) = quantize_multiplier(m);
    let (act_min, act_max) = u8_range(act, oq);
    if act_min > act_max {
        return Err(unsupported("activation_range").found([act_min, act_max]).expected("a non-empty range"));
    }
    Ok(QuantParams::new(iq.zero_point, fq.zero_point, oq.zero_point, (multiplier, shift), (act_min, act_max)))
}

fn reshape(shape: &[usize], target: &[i64]) -> Result<Vec<usize>> {
    let bad = || invalid_input("reshape_target").found(target).expected(format!("a shape for {shape:?}"));
    let count: usize = shape.iter().product();
    let mut out = Vec::with_capacity(target.len());
    let mut infer = None;
    let mut known = 1usize;
    for (i, &d) in target.iter().enumerate() {
        match d {
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            d if d > 0 => {
                let d = usize::try_from(d).map_err(|_| bad())?;
                known = known.checked_mul(d).ok_or_else(bad)?;
                out.push(d);
            }
            _ => return Err(bad()),
        }
    }
    if let Some(i) = infer {
        if known == 0 || count % known != 0 {
            return Err(bad());
        }
        out[i] = count / known;
    } else if known != count {
        return Err(bad());
    }
    Ok(out)
}
