//! Export: a MobileNet `.tflite` with its classifier replaced by a taught linear head.
//!
//! The original file is imported (so everything in it has been verified and validated), decoded
//! into plain owned tables, changed, and written again with the `flatbuffers` crate's builder —
//! the crate the importer's verifier already comes from. Everything from the input to the
//! average pool is copied unchanged (same tensors, buffers, operators and indices); what changes:
//!
//! - the logits CONV_2D's filter becomes the head's weights `[classes, 1, 1, features]` and its
//!   bias the head's bias `[classes]` — float32 in a float model; in a uint8 model the weights
//!   are uint8 with a per-tensor scale and zero point from their range and the bias int32 at
//!   scale `s_in · s_w` (zero point 0), as TFLite requires;
//! - the logits tensor, the RESHAPE output and the SOFTMAX output get `classes` as their last
//!   dimension, and the RESHAPE target (its constant shape tensor and/or its options) becomes
//!   `[1, classes]`; in a uint8 model the logits tensor (and the RESHAPE output, which TFLite
//!   requires to share it) gets a scale and zero point that hold every logit the head can produce
//!   — from calibration embeddings when given (their range with a margin), else the bound over
//!   all features in `[0, s_in · 255]` — and the SOFTMAX output keeps scale 1/256, zero point 0;
//! - the model's metadata loses `TFLITE_METADATA` (it described the 1001 ImageNet outputs) and
//!   gains `labels` (the taught labels, UTF-8, one per line) when labels are given; other entries
//!   (`min_runtime_version`) stay; signature definitions are not carried over (these models have
//!   none); the description says what was done.
//!
//! The result is imported again before it is returned, so a file this writes always loads.

use super::schema;
use crate::error::{Result, invalid_input, invalid_state, limits_exceeded, malformed, unsupported};
use crate::model::Model;
use crate::model::graph::{Activation, DType, Op};
use flatbuffers::{FlatBufferBuilder, TableFinishedWIPOffset, WIPOffset};

/// A taught linear classifier over the embedding (the average pool's output, as
/// [`crate::Session::embed_rgba`] returns it): `logits = weights · embedding + bias`.
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    /// Number of classes.
    pub classes: usize,
    /// Length of the embedding (1024·α for MobileNet v1).
    pub features: usize,
    /// `classes × features` values, row-major (one row per class).
    pub weights: &'a [f32],
    /// `classes` values.
    pub bias: &'a [f32],
    /// One label per class, written into the file's metadata (`labels`); empty for none.
    pub labels: &'a [String],
}

/// Most classes an exported head may have.
pub const MAX_CLASSES: usize = 100_000;

/// Name of the metadata entry holding the labels (UTF-8, one label per line).
pub const LABELS_METADATA: &str = "labels";

/// Metadata entries of the original that describe its 1001 outputs and are not carried over.
const DROPPED_METADATA: &[&str] = &["TFLITE_METADATA", LABELS_METADATA];

/// Writes `model_bytes` (a MobileNet-style `.tflite` ending in AVERAGE_POOL_2D → CONV_2D 1×1 →
/// RESHAPE → SOFTMAX) with its classifier replaced by `head`. `calibration` — embeddings the
/// head will see, `features` values each (e.g. the examples it was taught on) — only sets the
/// uint8 logits' scale; without it the scale covers every embedding the pool can produce.
///
/// # Errors
/// The importer's errors for a bad file; [`Error::ModelUnsupported`](crate::Error::ModelUnsupported) for a model that does not
/// end in that classifier; [`Error::InputInvalid`](crate::Error::InputInvalid) for a head whose sizes do not match each other
/// or the model's embedding, non-finite values, labels that are not one per class or contain a
/// line break, or a calibration set that is not whole embeddings; [`Error::LimitsExceeded`](crate::Error::LimitsExceeded) for
/// more than [`MAX_CLASSES`] classes.
pub fn export_tflite(model_bytes: &[u8], head: &Head<'_>, calibration: Option<&[f32]>) -> Result<Vec<u8>> {
    let model = Model::from_tflite(model_bytes)?;
    let tail = classifier(&model)?;
    check_head(head, tail.features, calibration)?;
    let mut m = decode(model_bytes)?;
    let [conv_op, reshape_op, softmax_op] = last_three(&m)?;

    let conv_in = m.ops[conv_op].inputs.clone();
    let (x, w, b) = (idx(conv_in[0])?, idx(conv_in[1])?, idx(conv_in[2])?);
    let logits = idx(m.ops[conv_op].outputs[0])?;
    let reshaped = idx(m.ops[reshape_op].outputs[0])?;
    let probs = idx(m.ops[softmax_op].outputs[0])?;
    let k = head.classes;
    let kk = i32::try_from(k).map_err(|_| invalid_input("head_classes").found(k))?;
    let f = i32::try_from(head.features).map_err(|_| invalid_input("head_features").found(head.features))?;

    // New constant data (and quantization) of the filter and bias.
    let (w_data, b_data, w_quant, b_quant, logits_quant) = match model.dtype() {
        DType::F32 => (f32_bytes(head.weights), f32_bytes(head.bias), None, None, None),
        DType::U8 => {
            let s_in =
                m.tensors[x].quant.as_ref().and_then(|q| q.single()).map(|q| q.0).ok_or_else(|| {
                    unsupported("classifier_input_quantization").expected("one scale and zero point")
                })?;
            let zp_in = m.tensors[x].quant.as_ref().and_then(|q| q.single()).map_or(0, |q| q.1);
            let q = quantize_head(head, s_in, zp_in, calibration);
            (q.weights, q.bias, Some(q.w), Some(q.b), Some(q.out))
        }
    };
    let w_buf = own_buffer(&mut m, w);
    m.buffers[w_buf] = w_data;
    m.tensors[w].shape = vec![kk, 1, 1, f];
    let b_buf = own_buffer(&mut m, b);
    m.buffers[b_buf] = b_data;
    m.tensors[b].shape = vec![kk];
    if let Some(q) = w_quant {
        m.tensors[w].quant = Some(q);
    }
    if let Some(q) = b_quant {
        m.tensors[b].quant = Some(q);
    }
    for t in [logits, reshaped] {
        if let Some(q) = &logits_quant {
            m.tensors[t].quant = Some(q.clone());
        }
    }
    m.tensors[logits].shape = vec![1, 1, 1, kk];
    m.tensors[reshaped].shape = vec![1, kk];
    m.tensors[probs].shape = vec![1, kk];
    for t in [logits, reshaped, probs] {
        m.tensors[t].shape_signature = None;
    }
    // The RESHAPE target: options and/or a constant shape tensor.
    if let Options::Reshape(Some(shape)) = &mut m.ops[reshape_op].options {
        *shape = vec![1, kk];
    }
    if let Some(&s) = m.ops[reshape_op].inputs.get(1)
        && s >= 0
    {
        let s = idx(s)?;
        if m.tensors[s].buffer != 0 {
            let buf = own_buffer(&mut m, s);
            m.buffers[buf] = [1i32, kk].iter().flat_map(|v| v.to_le_bytes()).collect();
            m.tensors[s].shape = vec![2];
        }
    }

    // Metadata: drop what described the old outputs, add the labels.
    let (dropped, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut m.metadata)
        .into_iter()
        .partition(|(name, _)| DROPPED_METADATA.contains(&name.as_str()));
    m.metadata = kept;
    for (_, buffer) in dropped {
        release_buffer(&mut m, buffer);
    }
    if !head.labels.is_empty() {
        let mut text = head.labels.join("\n");
        text.push('\n');
        m.buffers.push(text.into_bytes());
        m.metadata.push((LABELS_METADATA.to_string(), (m.buffers.len() - 1) as u32));
    }
    let what = format!(
        "logits replaced by a taught {k}-class linear head over the {}-feature embedding (mobilenet-wasm export)",
        head.features
    );
    m.description = Some(match m.description.take() {
        Some(d) if !d.is_empty() => format!("{d}; {what}"),
        _ => what,
    });

    let bytes = encode(&m);
    // Self-check: the file must load, with the head's class count.
    let check = Model::from_tflite(&bytes)
        .map_err(|e| invalid_state("exported_file_does_not_load").found(e.to_string()))?;
    if check.classes() != k {
        return Err(invalid_state("exported_classes").found(check.classes()).expected(k));
    }
    Ok(bytes)
}

/// The labels written into an exported file's metadata (`labels`), if it has them.
pub fn embedded_labels(bytes: &[u8]) -> Option<Vec<String>> {
    let model = schema::root(bytes).ok()?;
    let buffers = model.buffers()?;
    let entry = model.metadata()?.iter().find(|m| m.name() == Some(LABELS_METADATA))?;
    let data = buffers.iter().nth(entry.buffer() as usize)?.data()?;
    let text = std::str::from_utf8(data.bytes()).ok()?;
    Some(text.strip_suffix('\n').unwrap_or(text).split('\n').map(str::to_string).collect())
}

/// What the export needs to know about the model's classifier.
struct Classifier {
    /// Length of the embedding: the pool's channels.
    features: usize,
}

fn classifier(model: &Model) -> Result<Classifier> {
    let layers = &model.graph().layers;
    let n = layers.len();
    let expected = "AVERAGE_POOL_2D → CONV_2D 1×1 → RESHAPE → SOFTMAX (a MobileNet classifier)";
    if n < 4 {
        return Err(unsupported("classifier").found(format!("{n} operators")).expected(expected));
    }
    let names: Vec<&str> = layers[n - 4..].iter().map(|l| l.op.name()).collect();
    let (Op::AvgPool(_), Op::Conv2d(conv), Op::Reshape(_), Op::Softmax(_)) =
        (&layers[n - 4].op, &layers[n - 3].op, &layers[n - 2].op, &layers[n - 1].op)
    else {
        return Err(unsupported("classifier").found(names.join(" → ")).expected(expected));
    };
    let w = conv.window;
    if w.kh != 1 || w.kw != 1 || w.stride_h != 1 || w.stride_w != 1 || conv.activation != Activation::None {
        return Err(unsupported("classifier")
            .found(format!(
                "a last CONV_2D {}×{} with stride {}×{}{}",
                w.kh,
                w.kw,
                w.stride_h,
                w.stride_w,
                if conv.activation == Activation::None { "" } else { " and a fused activation" }
            ))
            .expected(expected)
            .at_layer(n - 3, "CONV_2D"));
    }
    let pool_shape = &layers[n - 4].output.shape;
    if pool_shape.len() != 4 || pool_shape[1] != 1 || pool_shape[2] != 1 {
        return Err(unsupported("pool_output_shape")
            .found(pool_shape)
            .expected("[1, 1, 1, C]")
            .at_layer(n - 4, "AVERAGE_POOL_2D"));
    }
    Ok(Classifier { features: conv.in_c })
}

fn check_head(head: &Head<'_>, features: usize, calibration: Option<&[f32]>) -> Result<()> {
    if head.classes == 0 {
        return Err(invalid_input("head_classes").found(0usize).expected("at least 1"));
    }
    if head.classes > MAX_CLASSES {
        return Err(limits_exceeded("head_classes", head.classes, MAX_CLASSES));
    }
    if head.features != features {
        return Err(invalid_input("head_features").found(head.features).expected(features));
    }
    let want = head
        .classes
        .checked_mul(head.features)
        .ok_or_else(|| invalid_input("head_size_overflows").found(head.classes))?;
    if head.weights.len() != want {
        return Err(invalid_input("head_weights").found(head.weights.len()).expected(want));
    }
    if head.bias.len() != head.classes {
        return Err(invalid_input("head_bias_values").found(head.bias.len()).expected(head.classes));
    }
    if let Some(i) = head.weights.iter().position(|v| !v.is_finite()) {
        return Err(invalid_input("head_weight_not_finite").found(head.weights[i]).expected(format!(
            "a finite value at weight {i} (class {}, feature {})",
            i / head.features,
            i % head.features
        )));
    }
    if let Some(i) = head.bias.iter().position(|v| !v.is_finite()) {
        return Err(invalid_input("head_bias_not_finite")
            .found(head.bias[i])
            .expected(format!("a finite value at bias {i}")));
    }
    if !head.labels.is_empty() {
        if head.labels.len() != head.classes {
            return Err(invalid_input("label_count").found(head.labels.len()).expected(head.classes));
        }
        if let Some(l) = head.labels.iter().find(|l| l.contains(['\n', '\r'])) {
            return Err(invalid_input("label_with_line_break").found(format!("{l:?}")));
        }
    }
    if let Some(c) = calibration {
        if c.is_empty() || c.len() % features != 0 {
            return Err(invalid_input("calibration_values")
                .found(c.len())
                .expected(format!("a non-zero multiple of {features} (whole embeddings)")));
        }
        if let Some(i) = c.iter().position(|v| !v.is_finite()) {
            return Err(invalid_input("calibration_value_not_finite")
                .found(c[i])
                .expected(format!("a finite value at {i}")));
        }
    }
    Ok(())
}

/// A uint8 head: data and quantization of the filter, bias and logits.
struct QuantHead {
    weights: Vec<u8>,
    bias: Vec<u8>,
    w: QuantParams,
    b: QuantParams,
    out: QuantParams,
}

/// Scale and zero point covering `[lo, hi]` (widened to hold 0, as uint8 needs), TFLite's
/// nudged asymmetric quantization.
fn range_quant(lo: f64, hi: f64) -> (f32, i64) {
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let span = (hi - lo).max(1e-6);
    let scale = (span / 255.0) as f32;
    let zero_point = (-lo / f64::from(scale)).round().clamp(0.0, 255.0) as i64;
    (scale, zero_point)
}

fn quantize_head(head: &Head<'_>, s_in: f32, zp_in: i64, calibration: Option<&[f32]>) -> QuantHead {
    let (k, f) = (head.classes, head.features);
    // Filter: the weights' range. The scale is raised if needed so every bias fits in
    // 2^30 steps of s_in·s_w (TFLite's int32 accumulator then cannot overflow).
    let (w_lo, w_hi) =
        head.weights.iter().fold((0f64, 0f64), |(lo, hi), &v| (lo.min(f64::from(v)), hi.max(f64::from(v))));
    let b_max = head.bias.iter().fold(0f64, |m, &v| m.max(f64::from(v).abs()));
    let (mut s_w, mut zp_w) = range_quant(w_lo, w_hi);
    let min_scale = b_max / (f64::from(s_in) * f64::from(1u32 << 30));
    if f64::from(s_w) < min_scale {
        s_w = (min_scale * 1.001) as f32;
        zp_w = (-w_lo / f64::from(s_w)).round().clamp(0.0, 255.0) as i64;
    }
    let weights: Vec<u8> = head
        .weights
        .iter()
        .map(|&v| ((f64::from(v) / f64::from(s_w)).round() + zp_w as f64).clamp(0.0, 255.0) as u8)
        .collect();
    let s_b = s_in * s_w;
    let bias_q: Vec<i32> = head
        .bias
        .iter()
        .map(|&v| (f64::from(v) / f64::from(s_b)).round().clamp(-(2f64.powi(30)), 2f64.powi(30)) as i32)
        .collect();
    // Logits: what the quantized head computes, over the calibration set or the feature box.
    let real_logit = |c: usize, e: &dyn Fn(usize) -> f64| -> f64 {
        let row = &weights[c * f..(c + 1) * f];
        let acc: f64 = row.iter().enumerate().map(|(j, &q)| e(j) * (f64::from(q) - zp_w as f64)).sum();
        f64::from(s_b) * (f64::from(bias_q[c]) + acc)
    };
    let (lo, hi) = match calibration {
        Some(cal) => {
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            for emb in cal.chunks_exact(f) {
                // The embedding as the graph sees it: quantized at s_in (zero point zp_in).
                let q: Vec<f64> = emb
                    .iter()
                    .map(|&v| {
                        ((f64::from(v) / f64::from(s_in)).round() + zp_in as f64).clamp(0.0, 255.0)
                            - zp_in as f64
                    })
                    .collect();
                for c in 0..k {
                    let l = real_logit(c, &|j| q[j]);
                    lo = lo.min(l);
                    hi = hi.max(l);
                }
            }
            // A margin of a quarter of the range on each side, for embeddings beyond the examples.
            let margin = 0.25 * (hi - lo).max(1e-3);
            (lo - margin, hi + margin)
        }
        None => {
            // Every feature anywhere in [0, 255] steps of s_in (above the zero point).
            let top = 255.0 - zp_in as f64;
            let bottom = -(zp_in as f64);
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            for c in 0..k {
                let row = &weights[c * f..(c + 1) * f];
                let (mut cl, mut ch) = (f64::from(bias_q[c]), f64::from(bias_q[c]));
                for &q in row {
                    let d = f64::from(q) - zp_w as f64;
                    cl += (d * top).min(d * bottom);
                    ch += (d * top).max(d * bottom);
                }
                lo = lo.min(f64::from(s_b) * cl);
                hi = hi.max(f64::from(s_b) * ch);
            }
            (lo, hi)
        }
    };
    let (s_out, zp_out) = range_quant(lo, hi);
    QuantHead {
        weights,
        bias: bias_q.iter().flat_map(|v| v.to_le_bytes()).collect(),
        w: QuantParams::per_tensor(s_w, zp_w),
        b: QuantParams::per_tensor(s_b, 0),
        out: QuantParams::per_tensor(s_out, zp_out),
    }
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn idx(i: i32) -> Result<usize> {
    usize::try_from(i).map_err(|_| unsupported("classifier_tensor_index").found(i))
}

// ------------------------------------------------------------------------------------------
// The file as plain owned tables: exactly the fields the importer reads (everything these
// models use), so that decode → encode rewrites a model that loads the same.

#[derive(Clone, Debug, PartialEq)]
struct QuantParams {
    min: Option<Vec<f32>>,
    max: Option<Vec<f32>>,
    scale: Option<Vec<f32>>,
    zero_point: Option<Vec<i64>>,
    quantized_dimension: i32,
}

impl QuantParams {
    fn per_tensor(scale: f32, zero_point: i64) -> QuantParams {
        QuantParams {
            min: None,
            max: None,
            scale: Some(vec![scale]),
            zero_point: Some(vec![zero_point]),
            quantized_dimension: 0,
        }
    }
    fn single(&self) -> Option<(f32, i64)> {
        match (self.scale.as_deref(), self.zero_point.as_deref()) {
            (Some([s]), Some([z])) => Some((*s, *z)),
            _ => None,
        }
    }
}

struct OwnedTensor {
    shape: Vec<i32>,
    shape_signature: Option<Vec<i32>>,
    ttype: i8,
    buffer: u32,
    name: Option<String>,
    quant: Option<QuantParams>,
}

enum Options {
    None,
    Conv {
        padding: i8,
        stride_w: i32,
        stride_h: i32,
        activation: i8,
        dilation_w: i32,
        dilation_h: i32,
    },
    Depthwise {
        padding: i8,
        stride_w: i32,
        stride_h: i32,
        multiplier: i32,
        activation: i8,
        dilation_w: i32,
        dilation_h: i32,
    },
    Pool {
        padding: i8,
        stride_w: i32,
        stride_h: i32,
        filter_w: i32,
        filter_h: i32,
        activation: i8,
    },
    Reshape(Option<Vec<i32>>),
    Softmax(f32),
}

struct OwnedOp {
    opcode_index: u32,
    inputs: Vec<i32>,
    outputs: Vec<i32>,
    options: Options,
}

struct OwnedCode {
    deprecated_builtin_code: i8,
    builtin_code: i32,
    version: i32,
}

struct OwnedModel {
    version: u32,
    codes: Vec<OwnedCode>,
    tensors: Vec<OwnedTensor>,
    ops: Vec<OwnedOp>,
    inputs: Vec<i32>,
    outputs: Vec<i32>,
    subgraph_name: Option<String>,
    description: Option<String>,
    buffers: Vec<Vec<u8>>,
    metadata: Vec<(String, u32)>,
    metadata_buffer: Option<Vec<i32>>,
}

fn last_three(m: &OwnedModel) -> Result<[usize; 3]> {
    let n = m.ops.len();
    if n < 3 {
        return Err(unsupported("operator_count").found(n).expected("at least 3"));
    }
    Ok([n - 3, n - 2, n - 1])
}

/// Makes tensor `t` the only user of its buffer (appending a new buffer if another tensor or a
/// metadata entry shares it, or it has none) and returns the buffer's index.
fn own_buffer(m: &mut OwnedModel, t: usize) -> usize {
    let b = m.tensors[t].buffer as usize;
    let shared = b == 0
        || m.tensors.iter().enumerate().any(|(i, o)| i != t && o.buffer as usize == b)
        || m.metadata.iter().any(|(_, mb)| *mb as usize == b);
    if !shared {
        return b;
    }
    m.buffers.push(Vec::new());
    let nb = m.buffers.len() - 1;
    m.tensors[t].buffer = nb as u32;
    nb
}

/// Empties buffer `b` unless a tensor or another metadata entry still uses it.
fn release_buffer(m: &mut OwnedModel, b: u32) {
    let used = b == 0 || m.tensors.iter().any(|t| t.buffer == b) || m.metadata.iter().any(|(_, mb)| *mb == b);
    if !used && let Some(buf) = m.buffers.get_mut(b as usize) {
        buf.clear();
    }
}

fn decode(bytes: &[u8]) -> Result<OwnedModel> {
    let bad = |what: &str| malformed("export_decode").found(what);
    let model = schema::root(bytes).map_err(|e| bad(&e.to_string()))?;
    let sg = model.subgraphs().ok_or_else(|| bad("no subgraphs"))?.get(0);
    let vec_i32 = |v: Option<flatbuffers::Vector<'_, i32>>| v.map(|v| v.iter().collect::<Vec<i32>>());
    let codes = model
        .operator_codes()
        .ok_or_else(|| bad("no operator codes"))?
        .iter()
        .map(|c| OwnedCode {
            deprecated_builtin_code: c.deprecated_builtin_code(),
            builtin_code: c.builtin_code(),
            version: c.version(),
        })
        .collect();
    let mut tensors = Vec::new();
    for t in sg.tensors().ok_or_else(|| bad("no tensors"))?.iter() {
        let quant = t.quantization().map(|q| QuantParams {
            min: q.min().map(|v| v.iter().collect()),
            max: q.max().map(|v| v.iter().collect()),
            scale: q.scale().map(|v| v.iter().collect()),
            zero_point: q.zero_point().map(|v| v.iter().collect()),
            quantized_dimension: q.quantized_dimension(),
        });
        tensors.push(OwnedTensor {
            shape: vec_i32(t.shape()).unwrap_or_default(),
            shape_signature: None,
            ttype: t.tensor_type(),
            buffer: t.buffer(),
            name: t.name().map(str::to_string),
            quant,
        });
    }
    let mut ops = Vec::new();
    for op in sg.operators().ok_or_else(|| bad("no operators"))?.iter() {
        let kind = op.builtin_options_type();
        let options = match kind {
            0 => Options::None,
            schema::options_type::CONV_2D => {
                let o = op.conv2d_options().ok_or_else(|| bad("Conv2DOptions"))?;
                Options::Conv {
                    padding: o.padding(),
                    stride_w: o.stride_w(),
                    stride_h: o.stride_h(),
                    activation: o.fused_activation_function(),
                    dilation_w: o.dilation_w_factor(),
                    dilation_h: o.dilation_h_factor(),
                }
            }
            schema::options_type::DEPTHWISE_CONV_2D => {
                let o = op.depthwise_options().ok_or_else(|| bad("DepthwiseConv2DOptions"))?;
                Options::Depthwise {
                    padding: o.padding(),
                    stride_w: o.stride_w(),
                    stride_h: o.stride_h(),
                    multiplier: o.depth_multiplier(),
                    activation: o.fused_activation_function(),
                    dilation_w: o.dilation_w_factor(),
                    dilation_h: o.dilation_h_factor(),
                }
            }
            schema::options_type::POOL_2D => {
                let o = op.pool2d_options().ok_or_else(|| bad("Pool2DOptions"))?;
                Options::Pool {
                    padding: o.padding(),
                    stride_w: o.stride_w(),
                    stride_h: o.stride_h(),
                    filter_w: o.filter_width(),
                    filter_h: o.filter_height(),
                    activation: o.fused_activation_function(),
                }
            }
            schema::options_type::RESHAPE => Options::Reshape(vec_i32(
                op.reshape_options().ok_or_else(|| bad("ReshapeOptions"))?.new_shape(),
            )),
            schema::options_type::SOFTMAX => {
                Options::Softmax(op.softmax_options().ok_or_else(|| bad("SoftmaxOptions"))?.beta())
            }
            other => return Err(unsupported("export_operator_options").found(other)),
        };
        ops.push(OwnedOp {
            opcode_index: op.opcode_index(),
            inputs: vec_i32(op.inputs()).unwrap_or_default(),
            outputs: vec_i32(op.outputs()).unwrap_or_default(),
            options,
        });
    }
    let buffers = model
        .buffers()
        .map(|bs| bs.iter().map(|b| b.data().map(|d| d.bytes().to_vec()).unwrap_or_default()).collect())
        .unwrap_or_else(|| vec![Vec::new()]);
    let metadata = model
        .metadata()
        .map(|ms| ms.iter().map(|m| (m.name().unwrap_or("").to_string(), m.buffer())).collect())
        .unwrap_or_default();
    Ok(OwnedModel {
        version: model.version(),
        codes,
        tensors,
        ops,
        inputs: vec_i32(sg.inputs()).unwrap_or_default(),
        outputs: vec_i32(sg.outputs()).unwrap_or_default(),
        subgraph_name: sg.name().map(str::to_string),
        description: model.description().map(str::to_string),
        buffers,
        metadata,
        metadata_buffer: vec_i32(model.metadata_buffer()),
    })
}

/// Byte offset of a field in a vtable, from its slot number.
const fn slot(n: u16) -> flatbuffers::VOffsetT {
    4 + 2 * n
}

type Table = WIPOffset<TableFinishedWIPOffset>;

fn encode(m: &OwnedModel) -> Vec<u8> {
    let mut b = FlatBufferBuilder::with_capacity(m.buffers.iter().map(Vec::len).sum::<usize>() + (1 << 16));
    // Buffers (data vectors are 4-byte aligned, which float32 data needs).
    let mut bufs: Vec<Table> = Vec::with_capacity(m.buffers.len());
    for data in &m.buffers {
        let d = (!data.is_empty()).then(|| b.create_vector(data));
        let t = b.start_table();
        if let Some(d) = d {
            b.push_slot_always(slot(0), d);
        }
        bufs.push(b.end_table(t));
    }
    let buffers = b.create_vector(&bufs);
    let mut codes: Vec<Table> = Vec::new();
    for c in &m.codes {
        let t = b.start_table();
        b.push_slot::<i8>(slot(0), c.deprecated_builtin_code, 0);
        b.push_slot::<i32>(slot(2), c.version, 1);
        b.push_slot::<i32>(slot(3), c.builtin_code, 0);
        codes.push(b.end_table(t));
    }
    let codes = b.create_vector(&codes);
    let mut tensors: Vec<Table> = Vec::new();
    for t in &m.tensors {
        let shape = b.create_vector(&t.shape);
        let signature = t.shape_signature.as_ref().map(|s| b.create_vector(s));
        let name = t.name.as_ref().map(|n| b.create_string(n));
        let quant = t.quant.as_ref().map(|q| {
            let min = q.min.as_ref().map(|v| b.create_vector(v));
            let max = q.max.as_ref().map(|v| b.create_vector(v));
            let scale = q.scale.as_ref().map(|v| b.create_vector(v));
            let zp = q.zero_point.as_ref().map(|v| b.create_vector(v));
            let qt = b.start_table();
            if let Some(v) = min {
                b.push_slot_always(slot(0), v);
            }
            if let Some(v) = max {
                b.push_slot_always(slot(1), v);
            }
            if let Some(v) = scale {
                b.push_slot_always(slot(2), v);
            }
            if let Some(v) = zp {
                b.push_slot_always(slot(3), v);
            }
            b.push_slot::<i32>(slot(6), q.quantized_dimension, 0);
            b.end_table(qt)
        });
        let tt = b.start_table();
        b.push_slot_always(slot(0), shape);
        b.push_slot::<i8>(slot(1), t.ttype, 0);
        b.push_slot::<u32>(slot(2), t.buffer, 0);
        if let Some(n) = name {
            b.push_slot_always(slot(3), n);
        }
        if let Some(q) = quant {
            b.push_slot_always(slot(4), q);
        }
        if let Some(s) = signature {
            b.push_slot_always(slot(7), s);
        }
        tensors.push(b.end_table(tt));
    }
    let tensors = b.create_vector(&tensors);
    let mut ops: Vec<Table> = Vec::new();
    for op in &m.ops {
        let inputs = b.create_vector(&op.inputs);
        let outputs = b.create_vector(&op.outputs);
        let (kind, opts): (u8, Option<Table>) = match &op.options {
            Options::None => (0, None),
            Options::Conv { padding, stride_w, stride_h, activation, dilation_w, dilation_h } => {
                let t = b.start_table();
                b.push_slot::<i8>(slot(0), *padding, 0);
                b.push_slot::<i32>(slot(1), *stride_w, 0);
                b.push_slot::<i32>(slot(2), *stride_h, 0);
                b.push_slot::<i8>(slot(3), *activation, 0);
                b.push_slot::<i32>(slot(4), *dilation_w, 1);
                b.push_slot::<i32>(slot(5), *dilation_h, 1);
                (schema::options_type::CONV_2D, Some(b.end_table(t)))
            }
            Options::Depthwise {
                padding,
                stride_w,
                stride_h,
                multiplier,
                activation,
                dilation_w,
                dilation_h,
            } => {
                let t = b.start_table();
                b.push_slot::<i8>(slot(0), *padding, 0);
                b.push_slot::<i32>(slot(1), *stride_w, 0);
                b.push_slot::<i32>(slot(2), *stride_h, 0);
                b.push_slot::<i32>(slot(3), *multiplier, 0);
                b.push_slot::<i8>(slot(4), *activation, 0);
                b.push_slot::<i32>(slot(5), *dilation_w, 1);
                b.push_slot::<i32>(slot(6), *dilation_h, 1);
                (schema::options_type::DEPTHWISE_CONV_2D, Some(b.end_table(t)))
            }
            Options::Pool { padding, stride_w, stride_h, filter_w, filter_h, activation } => {
                let t = b.start_table();
                b.push_slot::<i8>(slot(0), *padding, 0);
                b.push_slot::<i32>(slot(1), *stride_w, 0);
                b.push_slot::<i32>(slot(2), *stride_h, 0);
                b.push_slot::<i32>(slot(3), *filter_w, 0);
                b.push_slot::<i32>(slot(4), *filter_h, 0);
                b.push_slot::<i8>(slot(5), *activation, 0);
                (schema::options_type::POOL_2D, Some(b.end_table(t)))
            }
            Options::Reshape(shape) => {
                let v = shape.as_ref().map(|s| b.create_vector(s));
                let t = b.start_table();
                if let Some(v) = v {
                    b.push_slot_always(slot(0), v);
                }
                (schema::options_type::RESHAPE, Some(b.end_table(t)))
            }
            Options::Softmax(beta) => {
                let t = b.start_table();
                b.push_slot::<f32>(slot(0), *beta, 0.0);
                (schema::options_type::SOFTMAX, Some(b.end_table(t)))
            }
        };
        let t = b.start_table();
        b.push_slot::<u32>(slot(0), op.opcode_index, 0);
        b.push_slot_always(slot(1), inputs);
        b.push_slot_always(slot(2), outputs);
        if let Some(o) = opts {
            b.push_slot::<u8>(slot(3), kind, 0);
            b.push_slot_always(slot(4), o);
        }
        ops.push(b.end_table(t));
    }
    let ops = b.create_vector(&ops);
    let inputs = b.create_vector(&m.inputs);
    let outputs = b.create_vector(&m.outputs);
    let sg_name = m.subgraph_name.as_ref().map(|n| b.create_string(n));
    let sg = b.start_table();
    b.push_slot_always(slot(0), tensors);
    b.push_slot_always(slot(1), inputs);
    b.push_slot_always(slot(2), outputs);
    b.push_slot_always(slot(3), ops);
    if let Some(n) = sg_name {
        b.push_slot_always(slot(4), n);
    }
    let sg = b.end_table(sg);
    let sgs = b.create_vector(&[sg]);
    let description = m.description.as_ref().map(|d| b.create_string(d));
    let mut metas: Vec<Table> = Vec::new();
    for (name, buffer) in &m.metadata {
        let n = b.create_string(name);
        let t = b.start_table();
        b.push_slot_always(slot(0), n);
        b.push_slot::<u32>(slot(1), *buffer, 0);
        metas.push(b.end_table(t));
    }
    let metas = (!metas.is_empty()).then(|| b.create_vector(&metas));
    let metadata_buffer = m.metadata_buffer.as_ref().map(|v| b.create_vector(v));
    let root = b.start_table();
    b.push_slot_always::<u32>(slot(0), m.version);
    b.push_slot_always(slot(1), codes);
    b.push_slot_always(slot(2), sgs);
    if let Some(d) = description {
        b.push_slot_always(slot(3), d);
    }
    b.push_slot_always(slot(4), buffers);
    if let Some(v) = metadata_buffer {
        b.push_slot_always(slot(5), v);
    }
    if let Some(v) = metas {
        b.push_slot_always(slot(6), v);
    }
    let root = b.end_table(root);
    b.finish(root, Some("TFL3"));
    b.finished_data().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_quant_holds_zero_and_the_range() {
        for (lo, hi) in [(-3.0, 5.0), (0.5, 2.0), (-2.0, -1.0), (0.0, 0.0)] {
            let (s, z) = range_quant(lo, hi);
            assert!(s > 0.0 && (0..=255).contains(&z));
            let real = |q: i64| f64::from(s) * (q - z) as f64;
            assert_eq!(real(z), 0.0);
            assert!(real(0) <= lo.min(0.0) + f64::from(s) && real(255) >= hi.max(0.0) - f64::from(s));
        }
    }
}
