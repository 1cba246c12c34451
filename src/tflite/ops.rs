//! Per-operator parsing: each supported operator's options and constant inputs, checked, become
//! an [`Op`].

use super::names::{builtin_name, opcode, tensor_type, type_name};
use super::schema::Operator;
use super::tensors::{RawTensor, expect_len, f32_words, same_quant, tensor_at, uint8_quant, words};
use crate::error::{Real, Result, malformed, unsupported};
use crate::model::graph::{
    Activation, Bias, Conv, DType, Depthwise, Filter, Op, Padding, Pool, Quant, Window,
};

/// What a layer's parser sees: the file's tensors, the operator's inputs and the activations
/// around it.
pub(super) struct LayerIo<'t, 'a> {
    pub tensors: &'t [RawTensor<'a>],
    /// The operator's input tensor indices (the data input first).
    pub inputs: &'t [usize],
    pub dtype: DType,
    /// The shape of the data input.
    pub in_shape: &'t [usize],
    pub in_quant: Option<Quant>,
    pub out_quant: Option<Quant>,
}

/// Parses one operator of code `code`.
pub(super) fn parse(code: i32, op: &Operator<'_>, io: &LayerIo<'_, '_>) -> Result<Op> {
    match code {
        opcode::CONV_2D | opcode::DEPTHWISE_CONV_2D => conv(code, op, io),
        opcode::AVERAGE_POOL_2D => average_pool(op, io),
        opcode::RESHAPE => reshape(op, io),
        opcode::SOFTMAX => softmax(op, io),
        other => Err(unsupported("operator").found(builtin_name(other))),
    }
}

/// The options every windowed operator shares, as raw file values.
struct RawWindow {
    padding: i8,
    stride: [i32; 2],
    dilation: [i32; 2],
    activation: i8,
}

/// Reads a windowed operator's options table (Conv2D, DepthwiseConv2D and Pool2D options name
/// these fields alike; pools have no dilation).
macro_rules! raw_window {
    ($o:expr, $dilation:expr) => {
        RawWindow {
            padding: $o.padding(),
            stride: [$o.stride_h(), $o.stride_w()],
            dilation: $dilation,
            activation: $o.fused_activation_function(),
        }
    };
}

fn options_missing(table: &str) -> crate::Error {
    malformed("options_missing").expected(table)
}

fn rank4(shape: &[usize]) -> Result<()> {
    if shape.len() != 4 {
        return Err(malformed("input_rank").found(shape.len()).expected(4));
    }
    Ok(())
}

/// CONV_2D or DEPTHWISE_CONV_2D: filter and bias constants checked against their shapes.
fn conv(code: i32, op: &Operator<'_>, io: &LayerIo<'_, '_>) -> Result<Op> {
    let depthwise = code == opcode::DEPTHWISE_CONV_2D;
    let raw = if depthwise {
        let o = op.depthwise_options().ok_or_else(|| options_missing("DepthwiseConv2DOptions"))?;
        if o.depth_multiplier() != 1 {
            return Err(unsupported("depth_multiplier").found(o.depth_multiplier()).expected(1));
        }
        raw_window!(o, [o.dilation_h_factor(), o.dilation_w_factor()])
    } else {
        let o = op.conv2d_options().ok_or_else(|| options_missing("Conv2DOptions"))?;
        raw_window!(o, [o.dilation_h_factor(), o.dilation_w_factor()])
    };
    let inputs = io.inputs;
    if inputs.len() != 3 {
        return Err(unsupported("input_count").found(inputs.len()).expected("3: input, filter and bias"));
    }
    rank4(io.in_shape)?;
    let in_c = io.in_shape[3];
    let ft = tensor_at(io.tensors, inputs[1], "filter_index")?;
    let bt = tensor_at(io.tensors, inputs[2], "bias_index")?;
    let [f0, kh, kw, f3] = ft.shape[..] else {
        return Err(malformed("filter_shape").found(&ft.shape).expected("rank 4").tensor(ft.index, &ft.name));
    };
    let (out_c, filter_in) = if depthwise {
        if f0 != 1 {
            return Err(malformed("filter_shape")
                .found(&ft.shape)
                .expected("[1, h, w, channels]")
                .tensor(ft.index, &ft.name));
        }
        (f3, f3)
    } else {
        (f0, f3)
    };
    if filter_in != in_c {
        return Err(malformed("filter_input_channels")
            .found(filter_in)
            .expected(in_c)
            .tensor(ft.index, &ft.name));
    }
    let w = window(&raw, kh as i32, kw as i32)?;
    let act = activation(raw.activation)?;
    let count = super::checked_product(&ft.shape)?;
    let fdata = ft.data.ok_or_else(|| malformed("constant_data_missing").tensor(ft.index, &ft.name))?;
    let bdata = bt.data.ok_or_else(|| malformed("constant_data_missing").tensor(bt.index, &bt.name))?;
    if bt.shape != [out_c] {
        return Err(malformed("bias_shape").found(&bt.shape).expected([out_c]).tensor(bt.index, &bt.name));
    }
    let bias_bytes = super::checked_product(&[out_c, 4])?;
    let (filter, bias) = match io.dtype {
        DType::U8 => {
            for (t, want) in [(ft, tensor_type::UINT8), (bt, tensor_type::INT32)] {
                if t.ttype != want {
                    return Err(unsupported("constant_type")
                        .found(type_name(t.ttype))
                        .expected(format!("{} in a uint8 model", type_name(want)))
                        .tensor(t.index, &t.name));
                }
            }
            let fq = uint8_quant(ft)?;
            expect_len(ft, fdata.len(), count)?;
            expect_len(bt, bdata.len(), bias_bytes)?;
            (Filter::U8 { data: fdata.to_vec(), quant: fq }, Bias::I32(words(bdata, i32::from_le_bytes)))
        }
        DType::F32 => {
            for t in [ft, bt] {
                if t.ttype != tensor_type::FLOAT32 {
                    return Err(unsupported("constant_type")
                        .found(type_name(t.ttype))
                        .expected("FLOAT32 in a float32 model")
                        .tensor(t.index, &t.name));
                }
            }
            expect_len(ft, fdata.len(), super::checked_product(&[count, 4])?)?;
            expect_len(bt, bdata.len(), bias_bytes)?;
            (Filter::F32(f32_words(fdata)), Bias::F32(f32_words(bdata)))
        }
    };
    Ok(if depthwise {
        Op::Depthwise(Depthwise { channels: out_c, window: w, activation: act, filter, bias })
    } else {
        Op::Conv2d(Conv { out_c, in_c, window: w, activation: act, filter, bias })
    })
}

fn average_pool(op: &Operator<'_>, io: &LayerIo<'_, '_>) -> Result<Op> {
    let o = op.pool2d_options().ok_or_else(|| options_missing("Pool2DOptions"))?;
    if io.inputs.len() != 1 {
        return Err(malformed("input_count").found(io.inputs.len()).expected(1));
    }
    let raw = raw_window!(o, [1, 1]);
    let window = window(&raw, o.filter_height(), o.filter_width())?;
    let activation = activation(raw.activation)?;
    rank4(io.in_shape)?;
    same_quant(io.in_quant, io.out_quant)?;
    let global =
        window.padding == Padding::Valid && window.kh == io.in_shape[1] && window.kw == io.in_shape[2];
    Ok(Op::AvgPool(Pool { window, activation, global }))
}

fn reshape(op: &Operator<'_>, io: &LayerIo<'_, '_>) -> Result<Op> {
    let shape = match op.reshape_options().and_then(|o| o.new_shape()) {
        Some(v) => v.iter().map(i64::from).collect::<Vec<_>>(),
        None => {
            // The target shape comes from a constant int32 second input.
            let s = io.inputs.get(1).ok_or_else(|| malformed("reshape_target_missing"))?;
            let st = tensor_at(io.tensors, *s, "shape_tensor_index")?;
            if st.ttype != tensor_type::INT32 {
                return Err(malformed("shape_tensor_type")
                    .found(type_name(st.ttype))
                    .expected("INT32")
                    .tensor(st.index, &st.name));
            }
            let d = st
                .data
                .ok_or_else(|| unsupported("shape_computed_at_run_time").tensor(st.index, &st.name))?;
            if d.len() % 4 != 0 {
                return Err(malformed("shape_tensor_bytes")
                    .found(d.len())
                    .expected("a multiple of 4")
                    .tensor(st.index, &st.name));
            }
            words(d, |w| i64::from(i32::from_le_bytes(w)))
        }
    };
    same_quant(io.in_quant, io.out_quant)?;
    Ok(Op::Reshape(shape))
}

fn softmax(op: &Operator<'_>, io: &LayerIo<'_, '_>) -> Result<Op> {
    let o = op.softmax_options().ok_or_else(|| options_missing("SoftmaxOptions"))?;
    let beta = o.beta();
    if !beta.is_finite() || beta <= 0.0 {
        return Err(malformed("softmax_beta").found(beta).expected("finite and > 0"));
    }
    if io.dtype == DType::U8 {
        let q = io.out_quant.unwrap_or(Quant { scale: 0.0, zero_point: -1 });
        if q.scale != 1.0 / 256.0 || q.zero_point != 0 {
            return Err(unsupported("softmax_output_quantization")
                .found(format!("scale {} zero point {}", Real::from(q.scale), q.zero_point))
                .expected("scale 1/256 and zero point 0, as TFLite requires"));
        }
    }
    Ok(Op::Softmax(beta))
}

fn activation(a: i8) -> Result<Activation> {
    match a {
        0 => Ok(Activation::None),
        1 => Ok(Activation::Relu),
        3 => Ok(Activation::Relu6),
        2 => Err(unsupported("fused_activation").found("RELU_N1_TO_1")),
        4 => Err(unsupported("fused_activation").found("TANH")),
        other => Err(unsupported("fused_activation").found(other)),
    }
}

/// Largest kernel side and stride accepted.
const MAX_WINDOW: i32 = 1024;

fn window(w: &RawWindow, kh: i32, kw: i32) -> Result<Window> {
    let padding = match w.padding {
        0 => Padding::Same,
        1 => Padding::Valid,
        p => return Err(malformed("padding").found(p).expected("0 (SAME) or 1 (VALID)")),
    };
    if w.stride.iter().any(|&s| s <= 0) {
        return Err(malformed("stride").found(w.stride).expected("at least 1"));
    }
    if w.dilation.iter().any(|&d| d <= 0) {
        return Err(malformed("dilation").found(w.dilation).expected("at least 1"));
    }
    if w.dilation != [1, 1] {
        return Err(unsupported("dilation").found(w.dilation).expected("[1, 1]"));
    }
    if kh <= 0 || kw <= 0 {
        return Err(malformed("window").found([kh, kw]).expected("at least 1"));
    }
    // Bounds that keep every size computation small on 32-bit targets (MobileNet uses 3 and 2).
    if kh > MAX_WINDOW || kw > MAX_WINDOW {
        return Err(unsupported("window").found([kh, kw]).expected(format!("at most {MAX_WINDOW}")));
    }
    if w.stride.iter().any(|&s| s > MAX_WINDOW) {
        return Err(unsupported("stride").found(w.stride).expected(format!("at most {MAX_WINDOW}")));
    }
    Ok(Window {
        kh: kh as usize,
        kw: kw as usize,
        stride_h: w.stride[0] as usize,
        stride_w: w.stride[1] as usize,
        padding,
    })
}
