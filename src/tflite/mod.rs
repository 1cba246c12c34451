//! TFLite import: bytes → verified flatbuffer → [`Graph`]; nothing else.
//!
//! Every byte of the file is untrusted. The flatbuffer verifier bounds-checks the structure
//! before any field is read; this module then checks the meaning: indices in range, shapes
//! consistent with constant data, quantization present and sane, operators and options that the
//! engine implements. Anything else is a typed [`Error`] that names what was wrong — never a
//! panic.

pub mod export;
mod schema;

use crate::error::{Error, Result, malformed, unsupported};
use crate::model::graph::{
    Activation, Bias, Conv, DType, Depthwise, Filter, Graph, Layer, Op, Padding, Pool, Quant, TensorInfo,
    Window,
};
use flatbuffers::Vector;

/// BuiltinOperator codes this importer knows by name (for error messages) or implements.
mod opcode {
    pub const AVERAGE_POOL_2D: i32 = 1;
    pub const CONV_2D: i32 = 3;
    pub const DEPTHWISE_CONV_2D: i32 = 4;
    pub const RESHAPE: i32 = 22;
    pub const SOFTMAX: i32 = 25;
    pub const CUSTOM: i32 = 32;
}

/// TFLite TensorType values.
mod tensor_type {
    pub const FLOAT32: i8 = 0;
    pub const INT32: i8 = 2;
    pub const UINT8: i8 = 3;
}

/// Names of builtin operators, for error messages about operators we do not run.
fn builtin_name(code: i32) -> String {
    const NAMES: &[&str] = &[
        "ADD",
        "AVERAGE_POOL_2D",
        "CONCATENATION",
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "DEPTH_TO_SPACE",
        "DEQUANTIZE",
        "EMBEDDING_LOOKUP",
        "FLOOR",
        "FULLY_CONNECTED",
        "HASHTABLE_LOOKUP",
        "L2_NORMALIZATION",
        "L2_POOL_2D",
        "LOCAL_RESPONSE_NORMALIZATION",
        "LOGISTIC",
        "LSH_PROJECTION",
        "LSTM",
        "MAX_POOL_2D",
        "MUL",
        "RELU",
        "RELU_N1_TO_1",
        "RELU6",
        "RESHAPE",
        "RESIZE_BILINEAR",
        "RNN",
        "SOFTMAX",
        "SPACE_TO_DEPTH",
        "SVDF",
        "TANH",
        "CONCAT_EMBEDDINGS",
        "SKIP_GRAM",
        "CALL",
        "CUSTOM",
        "EMBEDDING_LOOKUP_SPARSE",
        "PAD",
        "UNIDIRECTIONAL_SEQUENCE_RNN",
        "GATHER",
        "BATCH_TO_SPACE_ND",
        "SPACE_TO_BATCH_ND",
        "TRANSPOSE",
        "MEAN",
        "SUB",
        "DIV",
        "SQUEEZE",
        "UNIDIRECTIONAL_SEQUENCE_LSTM",
        "STRIDED_SLICE",
        "BIDIRECTIONAL_SEQUENCE_RNN",
        "EXP",
        "TOPK_V2",
        "SPLIT",
        "LOG_SOFTMAX",
        "DELEGATE",
        "BIDIRECTIONAL_SEQUENCE_LSTM",
        "CAST",
        "PRELU",
        "MAXIMUM",
        "ARG_MAX",
        "MINIMUM",
        "LESS",
        "NEG",
        "PADV2",
        "GREATER",
        "GREATER_EQUAL",
        "LESS_EQUAL",
        "SELECT",
        "SLICE",
        "SIN",
        "TRANSPOSE_CONV",
        "SPARSE_TO_DENSE",
        "TILE",
        "EXPAND_DIMS",
        "EQUAL",
        "NOT_EQUAL",
        "LOG",
        "SUM",
        "SQRT",
        "RSQRT",
        "SHAPE",
        "POW",
        "ARG_MIN",
        "FAKE_QUANT",
        "REDUCE_PROD",
        "REDUCE_MAX",
        "PACK",
        "LOGICAL_OR",
        "ONE_HOT",
        "LOGICAL_AND",
        "LOGICAL_NOT",
        "UNPACK",
        "REDUCE_MIN",
        "FLOOR_DIV",
        "REDUCE_ANY",
        "SQUARE",
        "ZEROS_LIKE",
        "FILL",
        "FLOOR_MOD",
        "RANGE",
        "RESIZE_NEAREST_NEIGHBOR",
        "LEAKY_RELU",
        "SQUARED_DIFFERENCE",
        "MIRROR_PAD",
        "ABS",
        "SPLIT_V",
        "UNIQUE",
        "CEIL",
        "REVERSE_V2",
        "ADD_N",
        "GATHER_ND",
        "COS",
        "WHERE",
        "RANK",
        "ELU",
        "REVERSE_SEQUENCE",
        "MATRIX_DIAG",
        "QUANTIZE",
        "MATRIX_SET_DIAG",
        "ROUND",
        "HARD_SWISH",
        "IF",
        "WHILE",
        "NON_MAX_SUPPRESSION_V4",
        "NON_MAX_SUPPRESSION_V5",
        "SCATTER_ND",
        "SELECT_V2",
        "DENSIFY",
        "SEGMENT_SUM",
        "BATCH_MATMUL",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| NAMES.get(i))
        .map_or_else(|| format!("builtin operator {code}"), |n| (*n).to_string())
}

fn type_name(t: i8) -> String {
    match t {
        0 => "FLOAT32".into(),
        1 => "FLOAT16".into(),
        2 => "INT32".into(),
        3 => "UINT8".into(),
        4 => "INT64".into(),
        5 => "STRING".into(),
        6 => "BOOL".into(),
        7 => "INT16".into(),
        9 => "INT8".into(),
        other => format!("tensor type {other}"),
    }
}

/// A raw tensor from the file, with indices resolved and checked.
struct RawTensor<'a> {
    name: String,
    shape: Vec<usize>,
    ttype: i8,
    /// Constant data, if the tensor's buffer holds any.
    data: Option<&'a [u8]>,
    quant: Option<Quant>,
}

/// The options every windowed op shares, as raw file values.
struct RawWindow {
    padding: i8,
    stride_w: i32,
    stride_h: i32,
    dilation_w: i32,
    dilation_h: i32,
    activation: i8,
}

/// Parses and validates a `.tflite` file.
///
/// # Errors
/// [`Error::ModelMalformed`] for anything structurally wrong or inconsistent,
/// [`Error::ModelUnsupported`] for valid files that use anything outside MobileNet v1's operator
/// set (the message names it).
pub fn import(bytes: &[u8]) -> Result<Graph> {
    if bytes.len() < 8 {
        return Err(malformed(format!(
            "file is {} bytes long, too short for a TFLite flatbuffer",
            bytes.len()
        )));
    }
    let ident = &bytes[4..8];
    if ident != b"TFL3" {
        return Err(malformed(format!(
            "file identifier is {:?}, expected \"TFL3\" (not a TFLite model?)",
            String::from_utf8_lossy(ident)
        )));
    }
    let model = schema::root(bytes).map_err(|e| malformed(format!("invalid flatbuffer: {e}")))?;
    if model.version() != 3 {
        return Err(unsupported(format!("schema version {} (only version 3 is supported)", model.version())));
    }
    let subgraphs = model.subgraphs().ok_or_else(|| malformed("the model has no subgraphs"))?;
    if subgraphs.len() != 1 {
        return Err(unsupported(format!("{} subgraphs (exactly one is supported)", subgraphs.len())));
    }
    let sg = subgraphs.get(0);
    let buffers = model.buffers();

    // Tensors, with their buffers and quantization resolved.
    let ftensors = sg.tensors().ok_or_else(|| malformed("the subgraph has no tensors"))?;
    let mut tensors = Vec::with_capacity(ftensors.len());
    for (i, t) in ftensors.iter().enumerate() {
        tensors.push(raw_tensor(i, t, buffers)?);
    }

    // Operator codes.
    let codes = model.operator_codes().ok_or_else(|| malformed("the model has no operator codes"))?;
    let mut builtin = Vec::with_capacity(codes.len());
    for c in codes.iter() {
        let code = i32::from(c.deprecated_builtin_code()).max(c.builtin_code());
        if code == opcode::CUSTOM {
            let name = c.custom_code().unwrap_or("(unnamed)");
            return Err(unsupported(format!("custom operator {name:?}")));
        }
        builtin.push(code);
    }

    let inputs = index_list(sg.inputs(), "subgraph inputs")?;
    let outputs = index_list(sg.outputs(), "subgraph outputs")?;
    let [input] = inputs[..] else {
        return Err(unsupported(format!("{} graph inputs (exactly one is supported)", inputs.len())));
    };
    let [output] = outputs[..] else {
        return Err(unsupported(format!("{} graph outputs (exactly one is supported)", outputs.len())));
    };
    let input_t = tensor_at(&tensors, input, "graph input")?;
    let dtype = match input_t.ttype {
        tensor_type::UINT8 => DType::U8,
        tensor_type::FLOAT32 => DType::F32,
        t => return Err(unsupported(format!("graph input of type {}", type_name(t)))),
    };
    if input_t.data.is_some() {
        return Err(malformed("the graph input is a constant tensor"));
    }
    if input_t.shape.len() != 4 || input_t.shape[0] != 1 {
        return Err(unsupported(format!(
            "graph input shape {:?} (expected [1, height, width, channels])",
            input_t.shape
        )));
    }
    let graph_input = activation_info(input_t, dtype)?;

    // Operators: a chain from the input to the output.
    let ops = sg.operators().ok_or_else(|| malformed("the subgraph has no operators"))?;
    if ops.is_empty() {
        return Err(malformed("the subgraph has no operators"));
    }
    let mut layers = Vec::with_capacity(ops.len());
    let mut current = input;
    let mut current_shape = graph_input.shape.clone();
    for (i, op) in ops.iter().enumerate() {
        let code = *builtin.get(op.opcode_index() as usize).ok_or_else(|| {
            malformed(format!("operator {i} uses operator code {} of {}", op.opcode_index(), builtin.len()))
        })?;
        let op_inputs = index_list(op.inputs(), "operator inputs")?;
        let op_outputs = index_list(op.outputs(), "operator outputs")?;
        let ctx = |msg: String| format!("operator {i} ({}): {msg}", builtin_name(code));
        let here = ctx(String::new());
        let [out_idx] = op_outputs[..] else {
            return Err(unsupported(ctx(format!("{} outputs (one is supported)", op_outputs.len()))));
        };
        let data_in = *op_inputs.first().ok_or_else(|| malformed(ctx("no inputs".into())))?;
        if data_in != current {
            return Err(unsupported(ctx(format!(
                "reads tensor {data_in}, not the previous operator's output {current}: only a \
                 single chain of operators is supported"
            ))));
        }
        if out_idx == data_in || op_inputs[1..].contains(&out_idx) || out_idx == input {
            return Err(malformed(ctx(format!("writes tensor {out_idx}, which it also reads"))));
        }
        if layers.iter().any(|l: &(usize, Layer)| l.0 == out_idx) {
            return Err(malformed(ctx(format!("tensor {out_idx} is produced twice"))));
        }
        if op.has_custom_options() {
            return Err(unsupported(ctx("custom options on a builtin operator".into())));
        }
        let out_t = tensor_at(&tensors, out_idx, "operator output")?;
        if out_t.data.is_some() {
            return Err(malformed(ctx(format!("output tensor {:?} is a constant", out_t.name))));
        }
        let output = activation_info(out_t, dtype).map_err(|e| prefix(e, &here))?;
        let in_t = tensor_at(&tensors, data_in, "operator input")?;
        let in_quant = activation_info(in_t, dtype)?.quant;
        let parsed = match code {
            opcode::CONV_2D => {
                let o = op.conv2d_options().ok_or_else(|| malformed(ctx("missing Conv2DOptions".into())))?;
                let w = RawWindow {
                    padding: o.padding(),
                    stride_w: o.stride_w(),
                    stride_h: o.stride_h(),
                    dilation_w: o.dilation_w_factor(),
                    dilation_h: o.dilation_h_factor(),
                    activation: o.fused_activation_function(),
                };
                conv(&tensors, &op_inputs, &w, dtype, &current_shape, false).map_err(|e| prefix(e, &here))?
            }
            opcode::DEPTHWISE_CONV_2D => {
                let o = op
                    .depthwise_options()
                    .ok_or_else(|| malformed(ctx("missing DepthwiseConv2DOptions".into())))?;
                if o.depth_multiplier() != 1 {
                    return Err(unsupported(ctx(format!(
                        "depth multiplier {} (only 1 is supported)",
                        o.depth_multiplier()
                    ))));
                }
                let w = RawWindow {
                    padding: o.padding(),
                    stride_w: o.stride_w(),
                    stride_h: o.stride_h(),
                    dilation_w: o.dilation_w_factor(),
                    dilation_h: o.dilation_h_factor(),
                    activation: o.fused_activation_function(),
                };
                conv(&tensors, &op_inputs, &w, dtype, &current_shape, true).map_err(|e| prefix(e, &here))?
            }
            opcode::AVERAGE_POOL_2D => {
                let o = op.pool2d_options().ok_or_else(|| malformed(ctx("missing Pool2DOptions".into())))?;
                if op_inputs.len() != 1 {
                    return Err(malformed(ctx(format!("{} inputs (expected 1)", op_inputs.len()))));
                }
                let raw = RawWindow {
                    padding: o.padding(),
                    stride_w: o.stride_w(),
                    stride_h: o.stride_h(),
                    dilation_w: 1,
                    dilation_h: 1,
                    activation: o.fused_activation_function(),
                };
                let window =
                    window(&raw, o.filter_height(), o.filter_width()).map_err(|e| prefix(e, &here))?;
                let activation = activation(raw.activation).map_err(|e| prefix(e, &here))?;
                if current_shape.len() != 4 {
                    return Err(malformed(ctx(format!("input of rank {}", current_shape.len()))));
                }
                same_quant(in_quant, output.quant).map_err(|e| prefix(e, &here))?;
                let global = window.padding == Padding::Valid
                    && window.kh == current_shape[1]
                    && window.kw == current_shape[2];
                Op::AvgPool(Pool { window, activation, global })
            }
            opcode::RESHAPE => {
                let shape = match op.reshape_options().and_then(|o| o.new_shape()) {
                    Some(v) => v.iter().map(i64::from).collect::<Vec<_>>(),
                    None => {
                        // The target shape comes from a constant int32 second input.
                        let s = op_inputs.get(1).ok_or_else(|| malformed(ctx("no target shape".into())))?;
                        let st = tensor_at(&tensors, *s, "reshape shape")?;
                        if st.ttype != tensor_type::INT32 {
                            return Err(malformed(ctx("shape tensor is not int32".into())));
                        }
                        let d =
                            st.data.ok_or_else(|| unsupported(ctx("a shape computed at run time".into())))?;
                        if d.len() % 4 != 0 {
                            return Err(malformed(ctx(
                                "shape tensor data is not a whole number of int32".into()
                            )));
                        }
                        d.chunks_exact(4)
                            .map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                            .collect()
                    }
                };
                same_quant(in_quant, output.quant).map_err(|e| prefix(e, &here))?;
                Op::Reshape(shape)
            }
            opcode::SOFTMAX => {
                let o =
                    op.softmax_options().ok_or_else(|| malformed(ctx("missing SoftmaxOptions".into())))?;
                let beta = o.beta();
                if !beta.is_finite() || beta <= 0.0 {
                    return Err(malformed(ctx(format!("softmax beta {beta}"))));
                }
                if dtype == DType::U8 {
                    let q = output.quant.unwrap_or(Quant { scale: 0.0, zero_point: -1 });
                    if q.scale != 1.0 / 256.0 || q.zero_point != 0 {
                        return Err(unsupported(ctx(format!(
                            "uint8 softmax output with scale {} and zero point {} (TFLite requires 1/256 and 0)",
                            q.scale, q.zero_point
                        ))));
                    }
                }
                Op::Softmax(beta)
            }
            other => {
                return Err(unsupported(format!("operator {i}: {} is not supported", builtin_name(other))));
            }
        };
        current = out_idx;
        current_shape = output.shape.clone();
        layers.push((out_idx, Layer { op: parsed, output }));
    }
    if current != output {
        return Err(unsupported(format!(
            "the graph output is tensor {output}, not the last operator's output {current}"
        )));
    }
    Ok(Graph { dtype, input: graph_input, layers: layers.into_iter().map(|(_, l)| l).collect() })
}

fn prefix(e: Error, ctx: &str) -> Error {
    match e {
        Error::ModelMalformed(m) => Error::ModelMalformed(format!("{ctx}{m}")),
        Error::ModelUnsupported(m) => Error::ModelUnsupported(format!("{ctx}{m}")),
        other => other,
    }
}

fn index_list(v: Option<Vector<'_, i32>>, what: &str) -> Result<Vec<usize>> {
    let v = v.ok_or_else(|| malformed(format!("{what} are missing")))?;
    v.iter().map(|i| usize::try_from(i).map_err(|_| malformed(format!("{what}: tensor index {i}")))).collect()
}

fn tensor_at<'t, 'a>(tensors: &'t [RawTensor<'a>], i: usize, what: &str) -> Result<&'t RawTensor<'a>> {
    tensors
        .get(i)
        .ok_or_else(|| malformed(format!("{what} is tensor {i}, but there are {} tensors", tensors.len())))
}

fn raw_tensor<'a>(
    i: usize,
    t: schema::Tensor<'a>,
    buffers: Option<flatbuffers::Vector<'a, flatbuffers::ForwardsUOffset<schema::Buffer<'a>>>>,
) -> Result<RawTensor<'a>> {
    let name = t.name().unwrap_or("").to_string();
    let label = || {
        if name.is_empty() { format!("tensor {i}") } else { format!("tensor {i} ({name:?})") }
    };
    if t.has_sparsity() {
        return Err(unsupported(format!("{}: sparse tensors", label())));
    }
    if t.is_variable() {
        return Err(unsupported(format!("{}: variable tensors", label())));
    }
    let mut shape = Vec::new();
    if let Some(s) = t.shape() {
        for d in s.iter() {
            if d <= 0 {
                return Err(malformed(format!("{}: dimension {d} in its shape", label())));
            }
            shape.push(d as usize);
        }
    }
    let data = match t.buffer() {
        0 => None,
        b => {
            let buffers = buffers
                .ok_or_else(|| malformed(format!("{}: buffer {b}, but the model has no buffers", label())))?;
            if b as usize >= buffers.len() {
                return Err(malformed(format!(
                    "{}: buffer {b}, but there are {} buffers",
                    label(),
                    buffers.len()
                )));
            }
            let buf = buffers.get(b as usize);
            if buf.offset() != 0 || buf.size() != 0 {
                return Err(unsupported(format!("{}: buffer data stored outside the flatbuffer", label())));
            }
            buf.data().map(|d| d.bytes()).filter(|d| !d.is_empty())
        }
    };
    let quant = match t.quantization() {
        None => None,
        Some(q) => {
            if q.details_type() != 0 {
                return Err(unsupported(format!("{}: custom quantization details", label())));
            }
            let scales = q.scale().map(|v| v.iter().collect::<Vec<f32>>()).unwrap_or_default();
            let zps = q.zero_point().map(|v| v.iter().collect::<Vec<i64>>()).unwrap_or_default();
            match (scales.len(), zps.len()) {
                (0, 0) => None,
                (1, 1) => {
                    let scale = scales[0];
                    if !(scale.is_finite() && scale > 0.0) {
                        return Err(malformed(format!("{}: quantization scale {scale}", label())));
                    }
                    let zero_point = i32::try_from(zps[0])
                        .map_err(|_| malformed(format!("{}: zero point {}", label(), zps[0])))?;
                    Some(Quant { scale, zero_point })
                }
                (s, z) if s > 1 && s == z => {
                    return Err(unsupported(format!("{}: per-channel quantization ({s} scales)", label())));
                }
                (s, z) => {
                    return Err(malformed(format!(
                        "{}: {s} quantization scales but {z} zero points",
                        label()
                    )));
                }
            }
        }
    };
    Ok(RawTensor { name, shape, ttype: t.tensor_type(), data, quant })
}

/// Declared info of an activation tensor, checking its type matches the model's.
fn activation_info(t: &RawTensor<'_>, dtype: DType) -> Result<TensorInfo> {
    let expected = match dtype {
        DType::U8 => tensor_type::UINT8,
        DType::F32 => tensor_type::FLOAT32,
    };
    if t.ttype != expected {
        return Err(unsupported(format!(
            "tensor {:?} is {} in a {} model (mixed types are not supported)",
            t.name,
            type_name(t.ttype),
            dtype.name()
        )));
    }
    let quant = match dtype {
        DType::U8 => {
            let q =
                t.quant.ok_or_else(|| malformed(format!("uint8 tensor {:?} has no quantization", t.name)))?;
            if !(0..=255).contains(&q.zero_point) {
                return Err(malformed(format!("tensor {:?}: uint8 zero point {}", t.name, q.zero_point)));
            }
            Some(q)
        }
        DType::F32 => None,
    };
    Ok(TensorInfo { name: t.name.clone(), shape: t.shape.clone(), quant })
}

fn same_quant(a: Option<Quant>, b: Option<Quant>) -> Result<()> {
    if a != b {
        return Err(unsupported(format!("input and output quantization differ ({a:?} vs {b:?})")));
    }
    Ok(())
}

fn activation(a: i8) -> Result<Activation> {
    match a {
        0 => Ok(Activation::None),
        1 => Ok(Activation::Relu),
        3 => Ok(Activation::Relu6),
        2 => Err(unsupported("fused activation RELU_N1_TO_1")),
        4 => Err(unsupported("fused activation RELU_N1_TO_1 / TANH")),
        other => Err(unsupported(format!("fused activation {other}"))),
    }
}

/// Largest kernel side and stride accepted.
const MAX_WINDOW: i32 = 1024;

fn window(w: &RawWindow, kh: i32, kw: i32) -> Result<Window> {
    let padding = match w.padding {
        0 => Padding::Same,
        1 => Padding::Valid,
        p => return Err(malformed(format!("padding value {p}"))),
    };
    if w.stride_h <= 0 || w.stride_w <= 0 {
        return Err(malformed(format!("stride {}×{}", w.stride_h, w.stride_w)));
    }
    if w.dilation_h <= 0 || w.dilation_w <= 0 {
        return Err(malformed(format!("dilation {}×{}", w.dilation_h, w.dilation_w)));
    }
    if w.dilation_h != 1 || w.dilation_w != 1 {
        return Err(unsupported(format!("dilation {}×{}", w.dilation_h, w.dilation_w)));
    }
    if kh <= 0 || kw <= 0 {
        return Err(malformed(format!("window {kh}×{kw}")));
    }
    // Bounds that keep every size computation small on 32-bit targets (MobileNet uses 3 and 2).
    if kh > MAX_WINDOW || kw > MAX_WINDOW || w.stride_h > MAX_WINDOW || w.stride_w > MAX_WINDOW {
        return Err(unsupported(format!(
            "window {kh}×{kw} with stride {}×{} (each at most {MAX_WINDOW} is supported)",
            w.stride_h, w.stride_w
        )));
    }
    Ok(Window {
        kh: kh as usize,
        kw: kw as usize,
        stride_h: w.stride_h as usize,
        stride_w: w.stride_w as usize,
        padding,
    })
}

/// CONV_2D or DEPTHWISE_CONV_2D: filter and bias constants checked against their shapes.
fn conv(
    tensors: &[RawTensor<'_>],
    inputs: &[usize],
    raw: &RawWindow,
    dtype: DType,
    in_shape: &[usize],
    depthwise: bool,
) -> Result<Op> {
    if inputs.len() != 3 {
        return Err(unsupported(format!("{} inputs (input, filter and bias expected)", inputs.len())));
    }
    if in_shape.len() != 4 {
        return Err(malformed(format!("input of rank {}", in_shape.len())));
    }
    let in_c = in_shape[3];
    let ft = tensor_at(tensors, inputs[1], "filter")?;
    let bt = tensor_at(tensors, inputs[2], "bias")?;
    let [f0, kh, kw, f3] = ft.shape[..] else {
        return Err(malformed(format!("filter {:?} has shape {:?} (rank 4 expected)", ft.name, ft.shape)));
    };
    let (out_c, filter_in) = if depthwise {
        if f0 != 1 {
            return Err(malformed(format!("depthwise filter shape {:?}", ft.shape)));
        }
        (f3, f3)
    } else {
        (f0, f3)
    };
    if filter_in != in_c {
        return Err(malformed(format!(
            "filter {:?} expects {filter_in} input channels, the input has {in_c}",
            ft.name
        )));
    }
    let w = window(raw, kh as i32, kw as i32)?;
    let act = activation(raw.activation)?;
    let count = checked_product(&ft.shape)?;
    let fdata = ft.data.ok_or_else(|| malformed(format!("filter {:?} has no constant data", ft.name)))?;
    let bdata = bt.data.ok_or_else(|| malformed(format!("bias {:?} has no constant data", bt.name)))?;
    if bt.shape != [out_c] {
        return Err(malformed(format!("bias {:?} has shape {:?}, expected [{out_c}]", bt.name, bt.shape)));
    }
    let (filter, bias) = match dtype {
        DType::U8 => {
            if ft.ttype != tensor_type::UINT8 {
                return Err(unsupported(format!(
                    "filter {:?} of type {} in a uint8 model",
                    ft.name,
                    type_name(ft.ttype)
                )));
            }
            if bt.ttype != tensor_type::INT32 {
                return Err(unsupported(format!(
                    "bias {:?} of type {} in a uint8 model",
                    bt.name,
                    type_name(bt.ttype)
                )));
            }
            let fq = ft
                .quant
                .ok_or_else(|| malformed(format!("uint8 filter {:?} has no quantization", ft.name)))?;
            if !(0..=255).contains(&fq.zero_point) {
                return Err(malformed(format!("filter {:?}: uint8 zero point {}", ft.name, fq.zero_point)));
            }
            expect_len(fdata.len(), count, &ft.name)?;
            expect_len(bdata.len(), checked_product(&[out_c, 4])?, &bt.name)?;
            let bias = bdata.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            (Filter::U8 { data: fdata.to_vec(), quant: fq }, Bias::I32(bias))
        }
        DType::F32 => {
            if ft.ttype != tensor_type::FLOAT32 || bt.ttype != tensor_type::FLOAT32 {
                return Err(unsupported(format!(
                    "filter/bias of types {}/{} in a float32 model",
                    type_name(ft.ttype),
                    type_name(bt.ttype)
                )));
            }
            expect_len(fdata.len(), checked_product(&[count, 4])?, &ft.name)?;
            expect_len(bdata.len(), checked_product(&[out_c, 4])?, &bt.name)?;
            (Filter::F32(f32s(fdata)), Bias::F32(f32s(bdata)))
        }
    };
    Ok(if depthwise {
        Op::Depthwise(Depthwise { channels: out_c, window: w, activation: act, filter, bias })
    } else {
        Op::Conv2d(Conv { out_c, in_c, window: w, activation: act, filter, bias })
    })
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

fn expect_len(actual: usize, expected: usize, name: &str) -> Result<()> {
    if actual != expected {
        return Err(malformed(format!(
            "constant {name:?} holds {actual} bytes, its shape and type need {expected}"
        )));
    }
    Ok(())
}

/// Byte ranges of the file holding constant buffer data (the weights), for tools that treat
/// weights and structure differently (the mutation sweep). Empty for files that do not verify.
pub fn weight_ranges(bytes: &[u8]) -> Vec<core::ops::Range<usize>> {
    let Ok(model) = schema::root(bytes) else { return Vec::new() };
    let base = bytes.as_ptr() as usize;
    let mut ranges: Vec<_> = model
        .buffers()
        .into_iter()
        .flatten()
        .filter_map(|b| b.data())
        .map(|d| d.bytes())
        .filter(|d| !d.is_empty())
        .map(|d| {
            let start = d.as_ptr() as usize - base;
            start..start + d.len()
        })
        .collect();
    ranges.sort_by_key(|r| r.start);
    ranges
}

/// Product of dimensions, refusing overflow.
pub(crate) fn checked_product(dims: &[usize]) -> Result<usize> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| malformed(format!("shape {dims:?} overflows")))
}
