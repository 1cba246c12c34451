//! TFLite import: bytes → verified flatbuffer → [`Graph`]; nothing else.
//!
//! Every byte of the file is untrusted. The flatbuffer verifier bounds-checks the structure
//! before any field is read; this module then checks the meaning: indices in range, shapes
//! consistent with constant data, quantization present and sane, operators and options that the
//! engine implements. Anything else is a typed [`Error`] that names what was wrong — never a
//! panic.

pub mod export;
mod names;
mod ops;
mod schema;
mod tensors;

use crate::error::{Error, Result, malformed, unsupported};
use crate::model::graph::{DType, Graph, Layer, TensorInfo};
use names::{builtin_name, opcode, tensor_type, type_name};
use ops::LayerIo;
use tensors::{RawTensor, activation_info, index_list, read_tensors, tensor_at};

/// Parses and validates a `.tflite` file.
///
/// # Errors
/// [`Error::ModelMalformed`] for anything structurally wrong or inconsistent,
/// [`Error::ModelUnsupported`] for valid files that use anything outside MobileNet v1's operator
/// set (the error's `operator` names it).
pub fn import(bytes: &[u8]) -> Result<Graph> {
    let model = verified_root(bytes)?;
    let sg = single_subgraph(&model)?;
    let tensors = read_tensors(&sg, model.buffers())?;
    let builtin = operator_codes(&model)?;
    let (input, output) = graph_io(&sg)?;
    let input_t = tensor_at(&tensors, input, "graph_input_index")?;
    let dtype = match input_t.ttype {
        tensor_type::UINT8 => DType::U8,
        tensor_type::FLOAT32 => DType::F32,
        t => return Err(unsupported("graph_input_type").found(type_name(t)).expected("UINT8 or FLOAT32")),
    };
    if input_t.data.is_some() {
        return Err(malformed("graph_input_is_constant").tensor(input, &input_t.name));
    }
    if input_t.shape.len() != 4 || input_t.shape[0] != 1 {
        return Err(unsupported("graph_input_shape")
            .found(&input_t.shape)
            .expected("[1, height, width, channels]")
            .tensor(input, &input_t.name));
    }
    let graph_input = activation_info(input_t, dtype)?;

    // Operators: a chain from the input to the output.
    let ops = sg.operators().filter(|o| !o.is_empty()).ok_or_else(|| malformed("operators_missing"))?;
    let mut layers: Vec<(usize, Layer)> = Vec::with_capacity(ops.len());
    let mut current = input;
    for (i, op) in ops.iter().enumerate() {
        let code = *builtin.get(op.opcode_index() as usize).ok_or_else(|| {
            malformed("operator_code_index")
                .found(op.opcode_index())
                .expected(format!("below {}", builtin.len()))
                .layer(i)
        })?;
        let previous = layers.last().map_or(&graph_input, |l| &l.1.output);
        let layer = layer(&op, code, &tensors, input, current, previous, &layers, dtype)
            .map_err(|e| e.at_layer(i, builtin_name(code)))?;
        current = layer.0;
        layers.push(layer);
    }
    if current != output {
        return Err(unsupported("graph_output")
            .found(output)
            .expected(format!("{current}, the last operator's output")));
    }
    Ok(Graph { dtype, input: graph_input, layers: layers.into_iter().map(|(_, l)| l).collect() })
}

/// The file's root table, after the identifier check and the flatbuffer verifier.
fn verified_root(bytes: &[u8]) -> Result<schema::Model<'_>> {
    if bytes.len() < 8 {
        return Err(malformed("file_bytes").found(bytes.len()).expected("at least 8 (a TFLite flatbuffer)"));
    }
    let ident = &bytes[4..8];
    if ident != b"TFL3" {
        return Err(malformed("file_identifier")
            .found(format!("{:?}", String::from_utf8_lossy(ident)))
            .expected("\"TFL3\"")
            .offset(4));
    }
    let model = schema::root(bytes).map_err(flatbuffer_error)?;
    if model.version() != 3 {
        return Err(unsupported("schema_version").found(model.version()).expected(3));
    }
    Ok(model)
}

/// The verifier's complaint, with the byte offset where it has one.
fn flatbuffer_error(e: flatbuffers::InvalidFlatbuffer) -> Error {
    use flatbuffers::InvalidFlatbuffer as F;
    let offset = match &e {
        F::Utf8Error { range, .. }
        | F::MissingNullTerminator { range, .. }
        | F::RangeOutOfBounds { range, .. } => Some(range.start),
        F::Unaligned { position, .. } | F::SignedOffsetOutOfBounds { position, .. } => Some(*position),
        _ => None,
    };
    let err = malformed("flatbuffer").found(e.to_string());
    match offset {
        Some(o) => err.offset(o),
        None => err,
    }
}

fn single_subgraph<'a>(model: &schema::Model<'a>) -> Result<schema::SubGraph<'a>> {
    let subgraphs = model.subgraphs().ok_or_else(|| malformed("subgraphs_missing"))?;
    if subgraphs.len() != 1 {
        return Err(unsupported("subgraph_count").found(subgraphs.len()).expected(1));
    }
    Ok(subgraphs.get(0))
}

/// The builtin code of each operator code entry; custom operators are refused by name.
fn operator_codes(model: &schema::Model<'_>) -> Result<Vec<i32>> {
    let codes = model.operator_codes().ok_or_else(|| malformed("operator_codes_missing"))?;
    codes
        .iter()
        .map(|c| {
            let code = i32::from(c.deprecated_builtin_code()).max(c.builtin_code());
            if code == opcode::CUSTOM {
                return Err(unsupported("custom_operator").operator(c.custom_code().unwrap_or("(unnamed)")));
            }
            Ok(code)
        })
        .collect()
}

/// The graph's one input and one output tensor.
fn graph_io(sg: &schema::SubGraph<'_>) -> Result<(usize, usize)> {
    let inputs = index_list(sg.inputs(), "subgraph_inputs")?;
    let outputs = index_list(sg.outputs(), "subgraph_outputs")?;
    let [input] = inputs[..] else {
        return Err(unsupported("graph_input_count").found(inputs.len()).expected(1));
    };
    let [output] = outputs[..] else {
        return Err(unsupported("graph_output_count").found(outputs.len()).expected(1));
    };
    Ok((input, output))
}

/// One operator of the chain: it must read the previous output (`current`) and write a new
/// tensor. Returns its output tensor index and the layer.
#[allow(clippy::too_many_arguments)]
fn layer(
    op: &schema::Operator<'_>,
    code: i32,
    tensors: &[RawTensor<'_>],
    graph_input: usize,
    current: usize,
    previous: &TensorInfo,
    done: &[(usize, Layer)],
    dtype: DType,
) -> Result<(usize, Layer)> {
    let op_inputs = index_list(op.inputs(), "operator_inputs")?;
    let op_outputs = index_list(op.outputs(), "operator_outputs")?;
    let [out_idx] = op_outputs[..] else {
        return Err(unsupported("output_count").found(op_outputs.len()).expected(1));
    };
    let data_in = *op_inputs
        .first()
        .ok_or_else(|| malformed("operator_inputs").found(0usize).expected("at least 1"))?;
    if data_in != current {
        return Err(unsupported("reads_tensor").found(data_in).expected(current));
    }
    if out_idx == data_in || op_inputs[1..].contains(&out_idx) || out_idx == graph_input {
        return Err(malformed("writes_own_input").found(out_idx));
    }
    if done.iter().any(|l| l.0 == out_idx) {
        return Err(malformed("writes_tensor_twice").found(out_idx));
    }
    if op.has_custom_options() {
        return Err(unsupported("custom_options_on_builtin"));
    }
    let out_t = tensor_at(tensors, out_idx, "output_index")?;
    if out_t.data.is_some() {
        return Err(malformed("output_is_constant").tensor(out_idx, &out_t.name));
    }
    let output = activation_info(out_t, dtype)?;
    let in_quant = activation_info(tensor_at(tensors, data_in, "input_index")?, dtype)?.quant;
    let io = LayerIo {
        tensors,
        inputs: &op_inputs,
        dtype,
        in_shape: &previous.shape,
        in_quant,
        out_quant: output.quant,
    };
    let parsed = ops::parse(code, op, &io)?;
    Ok((out_idx, Layer { op: parsed, output }))
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
        .ok_or_else(|| malformed("shape_overflows").found(dims))
}
