#![cfg(not(target_arch = "wasm32"))]
//! Bad models give typed errors that say what is wrong — never a panic.

mod common;
use common::tiny::*;
use common::*;
use mobilenet_wasm::{Details, Error, Model, Session, Value};

fn load(bytes: &[u8]) -> Result<Model, Error> {
    Model::from_tflite(bytes)
}

/// Loads `bytes`, expecting an error of `kind` whose `what` is `what`; returns its details.
fn expect_err(bytes: &[u8], kind: fn(&Error) -> bool, what: &str) -> Details {
    match load(bytes) {
        Ok(_) => panic!("expected a {what:?} error, the model loaded"),
        Err(e) => {
            assert!(kind(&e), "wrong error kind: {e:?}");
            assert_eq!(e.what(), what, "{e}");
            // The message is rendered from the fields: it names what is wrong.
            assert!(e.to_string().contains(&what.replace('_', " ")), "{e}");
            e.details().clone()
        }
    }
}

fn malformed(e: &Error) -> bool {
    matches!(e, Error::ModelMalformed(_))
}

fn unsupported(e: &Error) -> bool {
    matches!(e, Error::ModelUnsupported(_))
}

fn int(v: i64) -> Option<Value> {
    Some(Value::Int(v))
}

fn dims(v: &[i64]) -> Option<Value> {
    Some(Value::Dims(v.to_vec()))
}

fn text(v: &str) -> Option<Value> {
    Some(Value::Text(v.into()))
}

/// (layer, operator) of an error's details.
fn at(d: &Details) -> (Option<usize>, Option<&str>) {
    (d.layer, d.operator.as_deref())
}

/// (tensor index, tensor name) of an error's details.
fn tensor(d: &Details) -> (Option<usize>, Option<&str>) {
    (d.tensor, d.tensor_name.as_deref())
}

#[test]
fn tiny_model_loads_and_runs() {
    let m = load(&tiny_quant().to_bytes()).unwrap();
    assert_eq!(m.trained_resolution(), 32);
    let mut s = Session::new(m).unwrap();
    let input: Vec<u8> = (0..32 * 32 * 3).map(|i| (i * 7 % 256) as u8).collect();
    let out = s.run(&input).unwrap().to_vec();
    assert_eq!(out.len(), 4);
    let sum: u32 = out.iter().map(|&v| u32::from(v)).sum();
    assert!((250..=260).contains(&sum), "probabilities sum to {sum}/256");
}

#[test]
fn empty_file() {
    let d = expect_err(&[], malformed, "file_bytes");
    assert_eq!(d.found, int(0));
}

#[test]
fn truncated_real_models_at_many_prefixes() {
    for (name, extent) in [("mobilenet_v1_0.25_128_float", 1.0), ("mobilenet_v1_0.25_128_quant", 0.9)] {
        let bytes = model_bytes(name);
        let n = (bytes.len() as f64 * extent) as usize;
        let mut cuts: Vec<usize> = (0..64).collect();
        cuts.extend((1..200).map(|i| i * n / 200));
        cuts.extend(n - 8..n);
        for cut in cuts {
            let e = load(&bytes[..cut]).expect_err(&format!("{name}: prefix of {cut} bytes loaded"));
            assert!(malformed(&e), "{name} prefix {cut}: {e:?}");
        }
    }
}

#[test]
fn truncated_tiny_model_at_every_prefix() {
    let bytes = tiny_quant().to_bytes();
    for cut in 0..bytes.len() {
        let e = load(&bytes[..cut]).expect_err(&format!("prefix of {cut} bytes loaded"));
        assert!(malformed(&e), "prefix {cut}: {e:?}");
    }
}

#[test]
fn wrong_file_identifier() {
    let mut bytes = tiny_quant().to_bytes();
    bytes[4..8].copy_from_slice(b"XXXX");
    let d = expect_err(&bytes, malformed, "file_identifier");
    assert_eq!((d.found, d.offset), (text("\"XXXX\""), Some(4)));
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let d = expect_err(&png, malformed, "file_identifier");
    assert_eq!(d.offset, Some(4));
}

#[test]
fn unsupported_operator_is_named() {
    let mut m = tiny_quant();
    m.opcodes[2] = 17; // MAX_POOL_2D instead of AVERAGE_POOL_2D
    let d = expect_err(&m.to_bytes(), unsupported, "operator");
    assert_eq!(at(&d), (Some(2), Some("MAX_POOL_2D")));
    let mut m = tiny_quant();
    m.opcodes[0] = 9;
    let d = expect_err(&m.to_bytes(), unsupported, "operator");
    assert_eq!(at(&d), (Some(0), Some("FULLY_CONNECTED")));
    let mut m = tiny_quant();
    m.opcodes[0] = 32;
    m.custom_code = Some("TFLite_Detection_PostProcess".into());
    let d = expect_err(&m.to_bytes(), unsupported, "custom_operator");
    assert_eq!(at(&d), (None, Some("TFLite_Detection_PostProcess")));
}

#[test]
fn tensor_index_out_of_range() {
    let mut m = tiny_quant();
    m.ops[1].inputs[1] = 99;
    let d = expect_err(&m.to_bytes(), malformed, "filter_index");
    assert_eq!((at(&d), d.found.clone()), ((Some(1), Some("DEPTHWISE_CONV_2D")), int(99)));
    let mut m = tiny_quant();
    m.ops[0].inputs[2] = -5;
    let d = expect_err(&m.to_bytes(), malformed, "operator_inputs");
    assert_eq!((at(&d), d.found.clone()), ((Some(0), Some("CONV_2D")), int(-5)));
    let mut m = tiny_quant();
    m.outputs = vec![42];
    let d = expect_err(&m.to_bytes(), unsupported, "graph_output");
    assert_eq!(d.found, int(42));
}

#[test]
fn buffer_index_out_of_range() {
    let mut m = tiny_quant();
    m.tensors[1].buffer = 77;
    let d = expect_err(&m.to_bytes(), malformed, "buffer");
    assert_eq!((tensor(&d), d.found.clone()), ((Some(1), Some("conv/filter")), int(77)));
}

#[test]
fn opcode_index_out_of_range() {
    let mut m = tiny_quant();
    m.ops[0].opcode_index = 12;
    let d = expect_err(&m.to_bytes(), malformed, "operator_code_index");
    assert_eq!((d.layer, d.found), (Some(0), int(12)));
}

#[test]
fn weight_buffer_of_wrong_size() {
    let mut m = tiny_quant();
    m.buffers[1].pop();
    let d = expect_err(&m.to_bytes(), malformed, "constant_bytes");
    assert_eq!(
        (tensor(&d), d.found.clone(), d.expected.clone()),
        ((Some(1), Some("conv/filter")), int(11), int(12))
    );
    let mut m = tiny_quant();
    m.buffers[2].extend([0, 0, 0, 0]);
    let d = expect_err(&m.to_bytes(), malformed, "constant_bytes");
    assert_eq!(
        (tensor(&d), d.found.clone(), d.expected.clone()),
        ((Some(2), Some("conv/bias")), int(20), int(16))
    );
    let mut m = tiny_quant();
    m.buffers[3].clear();
    let d = expect_err(&m.to_bytes(), malformed, "constant_data_missing");
    assert_eq!((at(&d), tensor(&d)), ((Some(1), Some("DEPTHWISE_CONV_2D")), (Some(4), Some("dw/filter"))));
}

#[test]
fn schema_version_and_subgraphs() {
    let mut m = tiny_quant();
    m.version = 2;
    let d = expect_err(&m.to_bytes(), unsupported, "schema_version");
    assert_eq!((d.found, d.expected), (int(2), int(3)));
    for n in [2, 0] {
        let mut m = tiny_quant();
        m.subgraphs = n;
        let d = expect_err(&m.to_bytes(), unsupported, "subgraph_count");
        assert_eq!((d.found, d.expected), (int(n as i64), int(1)));
    }
}

#[test]
fn graph_structure() {
    // An op whose output is its own input.
    let mut m = tiny_quant();
    m.ops[1].outputs = vec![3];
    let d = expect_err(&m.to_bytes(), malformed, "writes_own_input");
    assert_eq!((d.layer, d.found), (Some(1), int(3)));
    // An input read before it is produced.
    let mut m = tiny_quant();
    m.ops.swap(1, 2);
    let d = expect_err(&m.to_bytes(), unsupported, "reads_tensor");
    assert_eq!(
        (at(&d), d.found.clone(), d.expected.clone()),
        ((Some(1), Some("AVERAGE_POOL_2D")), int(6), int(3))
    );
}

#[test]
fn shapes_and_options() {
    let mut m = tiny_quant();
    m.tensors[3].shape = vec![1, 32, 32, 0];
    let d = expect_err(&m.to_bytes(), malformed, "dimension");
    assert_eq!((tensor(&d), d.found.clone()), ((Some(3), Some("conv")), int(0)));
    let mut m = tiny_quant();
    m.tensors[1].shape = vec![4, 1, -1, 3];
    let d = expect_err(&m.to_bytes(), malformed, "dimension");
    assert_eq!((d.tensor, d.found), (Some(1), int(-1)));
    let mut m = tiny_quant();
    m.tensors[6].shape = vec![1, 15, 16, 4];
    let d = expect_err(&m.to_bytes(), malformed, "declared_shape");
    assert_eq!((at(&d), d.tensor_name.as_deref()), ((Some(1), Some("DEPTHWISE_CONV_2D")), Some("dw")));
    assert_eq!((d.found, d.expected), (dims(&[1, 15, 16, 4]), dims(&[1, 16, 16, 4])));
    let mut m = tiny_quant();
    m.ops[0].options = TOptions::Conv { padding: 0, stride: (0, 1), act: 3, dilation: (1, 1) };
    let d = expect_err(&m.to_bytes(), malformed, "stride");
    assert_eq!((at(&d), d.found.clone()), ((Some(0), Some("CONV_2D")), dims(&[0, 1])));
    let mut m = tiny_quant();
    m.ops[0].options = TOptions::Conv { padding: 7, stride: (1, 1), act: 3, dilation: (1, 1) };
    assert_eq!(expect_err(&m.to_bytes(), malformed, "padding").found, int(7));
    let mut m = tiny_quant();
    m.ops[0].options = TOptions::Conv { padding: 0, stride: (1, 1), act: 9, dilation: (1, 1) };
    assert_eq!(expect_err(&m.to_bytes(), unsupported, "fused_activation").found, int(9));
    let mut m = tiny_quant();
    m.ops[1].options = TOptions::Depthwise { padding: 0, stride: (2, 2), multiplier: 2, act: 3 };
    let d = expect_err(&m.to_bytes(), unsupported, "depth_multiplier");
    assert_eq!((d.layer, d.found, d.expected), (Some(1), int(2), int(1)));
    let mut m = tiny_quant();
    m.ops[3].options = TOptions::Reshape(vec![1, 5]);
    let d = expect_err(&m.to_bytes(), malformed, "reshape_target");
    assert_eq!((at(&d), d.found.clone()), ((Some(3), Some("RESHAPE")), dims(&[1, 5])));
    let mut m = tiny_quant();
    m.ops[4].options = TOptions::Softmax(f32::NAN);
    let d = expect_err(&m.to_bytes(), malformed, "softmax_beta");
    assert!(matches!(d.found, Some(Value::Float(b)) if b.is_nan()), "{d:?}");
    let mut m = tiny_quant();
    m.ops[0].options = TOptions::None;
    let d = expect_err(&m.to_bytes(), malformed, "options_missing");
    assert_eq!((d.layer, d.expected), (Some(0), text("Conv2DOptions")));
}

#[test]
fn quantization_problems() {
    let mut m = tiny_quant();
    m.tensors[3].quant = None;
    let d = expect_err(&m.to_bytes(), malformed, "quantization_missing");
    assert_eq!(tensor(&d), (Some(3), Some("conv")));
    for (scale, shown) in [(0.0, "0"), (f32::NAN, "NaN"), (-0.5, "-0.5"), (f32::INFINITY, "inf")] {
        let mut m = tiny_quant();
        m.tensors[1].quant = Some((vec![scale], vec![120]));
        let d = expect_err(&m.to_bytes(), malformed, "quantization_scale");
        assert_eq!(d.tensor, Some(1));
        assert!(matches!(d.found, Some(Value::Float(f)) if f.to_string() == shown), "{d:?}");
    }
    let mut m = tiny_quant();
    m.tensors[3].quant = Some((vec![0.1], vec![300]));
    let d = expect_err(&m.to_bytes(), malformed, "zero_point");
    assert_eq!((d.tensor, d.found), (Some(3), int(300)));
    let mut m = tiny_quant();
    m.tensors[1].quant = Some((vec![0.1, 0.2, 0.3, 0.4], vec![1, 2, 3, 4]));
    let d = expect_err(&m.to_bytes(), unsupported, "per_channel_quantization");
    assert_eq!((d.tensor, d.found), (Some(1), int(4)));
    let mut m = tiny_quant();
    m.tensors[1].quant = Some((vec![0.1, 0.2], vec![1]));
    let d = expect_err(&m.to_bytes(), malformed, "quantization_zero_points");
    assert_eq!((d.found, d.expected), (int(1), int(2)));
    let mut m = tiny_quant();
    m.tensors[1].ttype = 9; // INT8
    let d = expect_err(&m.to_bytes(), unsupported, "constant_type");
    assert_eq!((tensor(&d), d.found.clone()), ((Some(1), Some("conv/filter")), text("INT8")));
    let mut m = tiny_quant();
    m.tensors[3].ttype = FLOAT32;
    let d = expect_err(&m.to_bytes(), unsupported, "mixed_tensor_types");
    assert_eq!((d.tensor, d.found), (Some(3), text("FLOAT32")));
}

#[test]
fn resolutions_out_of_range_are_typed_errors_and_keep_the_session() {
    let mut s = Session::new(load(&tiny_quant().to_bytes()).unwrap()).unwrap();
    let e = s.set_resolution(8).unwrap_err();
    assert!(
        matches!(&e, Error::InputInvalid(d) if d.what == "resolution" && d.found == dims(&[8, 8])),
        "{e:?}"
    );
    let e = s.set_resolution(100_000).unwrap_err();
    assert!(
        matches!(&e, Error::LimitsExceeded(d) if d.what == "resolution" && d.limit == Some(1024)),
        "{e:?}"
    );
    assert_eq!(s.resolution(), 32);
    let input = vec![0u8; 32 * 32 * 3];
    assert!(s.run(&input).is_ok());
    let e = s.run(&input[1..]).unwrap_err();
    assert!(
        matches!(&e, Error::InputInvalid(d) if d.what == "input_values" && d.found == int(3071) && d.expected == int(3072))
    );
    let e = s.run(&[0.0f32; 3072]).unwrap_err();
    assert!(
        matches!(&e, Error::InputInvalid(d) if d.what == "input_type" && d.expected == text("uint8")),
        "{e:?}"
    );
}

#[test]
fn structural_bombs_and_offsets() {
    // Root offset pointing outside the file.
    let mut bytes = tiny_quant().to_bytes();
    bytes[0..4].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let d = expect_err(&bytes, malformed, "flatbuffer");
    assert!(d.offset.is_some(), "the verifier's offset is kept: {d:?}");
    // A vtable offset pointing outside the file (the root table's soffset).
    let mut bytes = tiny_quant().to_bytes();
    let root = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    bytes[root..root + 4].copy_from_slice(&i32::MIN.to_le_bytes());
    let d = expect_err(&bytes, malformed, "flatbuffer");
    assert_eq!(d.offset, Some(root), "{d:?}");
    // A table-count bomb: more than the verifier's table budget.
    let mut m = tiny_quant();
    m.opcodes = std::iter::repeat_n(3, 100_001).collect();
    expect_err(&m.to_bytes(), malformed, "flatbuffer");
}

#[test]
fn more_shape_and_option_problems() {
    // Overflowing dimensions are refused before any allocation (checked arithmetic).
    let mut m = tiny_quant();
    m.tensors[1].shape = vec![i32::MAX, i32::MAX, i32::MAX, 3];
    let e = load(&m.to_bytes()).unwrap_err();
    assert!(malformed(&e) || unsupported(&e), "{e:?}");
    let mut m = tiny_quant();
    m.tensors[0].shape = vec![1, 1 << 20, 1 << 20, 3];
    m.tensors[3].shape = vec![1, 1 << 20, 1 << 20, 4];
    assert!(matches!(
        load(&m.to_bytes()),
        Err(Error::LimitsExceeded(_) | Error::ModelUnsupported(_) | Error::ModelMalformed(_))
    ));
    // Dilation 0 and a filter whose channels do not match its input.
    let mut m = tiny_quant();
    m.ops[0].options = TOptions::Conv { padding: 0, stride: (1, 1), act: 3, dilation: (0, 1) };
    assert_eq!(expect_err(&m.to_bytes(), malformed, "dilation").found, dims(&[0, 1]));
    let mut m = tiny_quant();
    m.ops[0].options = TOptions::Conv { padding: 0, stride: (1, 1), act: 3, dilation: (2, 2) };
    assert_eq!(expect_err(&m.to_bytes(), unsupported, "dilation").found, dims(&[2, 2]));
    let mut m = tiny_quant();
    m.tensors[1].shape = vec![3, 1, 1, 4];
    m.buffers[1].truncate(12);
    let d = expect_err(&m.to_bytes(), malformed, "filter_input_channels");
    assert_eq!((d.tensor, d.found, d.expected), (Some(1), int(4), int(3)));
    // Wrong input rank.
    let mut m = tiny_quant();
    m.tensors[0].shape = vec![32, 32, 3];
    let d = expect_err(&m.to_bytes(), unsupported, "graph_input_shape");
    assert_eq!((tensor(&d), d.found.clone()), ((Some(0), Some("input")), dims(&[32, 32, 3])));
    // A requantization multiplier out of range (output scale far smaller than input × filter).
    let mut m = tiny_quant();
    m.tensors[3].quant = Some((vec![1e-30], vec![0]));
    let d = expect_err(&m.to_bytes(), unsupported, "requantization_multiplier");
    assert_eq!(at(&d), (Some(0), Some("CONV_2D")));
}

#[test]
fn limits_are_configurable_and_typed() {
    use mobilenet_wasm::Limits;
    let bytes = tiny_quant().to_bytes();
    let limited = |l: Limits| Model::from_tflite_with_limits(&bytes, l);
    let d = Limits::default();
    let exceeded = |l: Limits| match limited(l) {
        Err(Error::LimitsExceeded(d)) => d,
        other => panic!("expected LimitsExceeded, got {other:?}"),
    };
    let e = exceeded(Limits { max_model_bytes: 100, ..d });
    assert_eq!((e.what, e.found, e.limit), ("model_bytes", int(bytes.len() as i64), Some(100)));
    let e = exceeded(Limits { max_tensor_elements: 1000, ..d });
    assert_eq!((e.what, e.found, e.limit), ("tensor_elements", dims(&[1, 32, 32, 3]), Some(1000)));
    let e = exceeded(Limits { max_macs: 1000, ..d });
    assert_eq!((e.what, at(&e), e.limit), ("macs", (Some(0), Some("CONV_2D")), Some(1000)));
    assert_eq!(e.found, int(32 * 32 * 4 * 3));
    let mut s =
        Session::new(limited(Limits { max_resolution: 48, max_frame_pixels: 100, ..d }).unwrap()).unwrap();
    assert!(
        matches!(s.set_resolution(64), Err(Error::LimitsExceeded(d)) if d.what == "resolution" && d.limit == Some(48))
    );
    assert!(matches!(s.set_resolution(16), Err(Error::InputInvalid(d)) if d.what == "resolution"));
    s.set_resolution(48).unwrap();
    let mut scores = vec![0f32; 4];
    let e = s.classify_rgba(&[0; 11 * 11 * 4], 11, 11, &mut scores).unwrap_err();
    assert!(
        matches!(&e, Error::LimitsExceeded(d) if d.what == "frame_pixels" && d.found == int(121) && d.limit == Some(100))
    );
    s.classify_rgba(&[7; 10 * 10 * 4], 10, 10, &mut scores).unwrap();
    let e = s.classify_rgba(&[7; 10 * 10 * 4 - 1], 10, 10, &mut scores).unwrap_err();
    assert!(
        matches!(&e, Error::InputInvalid(d) if d.what == "frame_bytes" && d.found == int(399) && d.expected == int(400))
    );
    let e = s.classify_rgba(&[], 0, 10, &mut scores).unwrap_err();
    assert!(
        matches!(&e, Error::InputInvalid(d) if d.what == "frame_size" && d.found == dims(&[0, 10])),
        "{e:?}"
    );
}

#[test]
fn gemm_is_chosen_once_before_the_one_pack() {
    use mobilenet_wasm::kernels::Gemm;
    use mobilenet_wasm::model::session::dot_considered;
    let bytes = tiny_quant().to_bytes();
    let r = load(&bytes).unwrap().trained_resolution();
    // "i16" never considers the dot product (no probe, no self-test).
    let before = dot_considered();
    let mut s = Session::with_gemm(load(&bytes).unwrap(), r, Gemm::I16).unwrap();
    assert_eq!(dot_considered(), before);
    let i16_name = s.kernels().name;
    s.set_resolution(r + 8).unwrap();
    assert_eq!(s.kernels().name, i16_name, "the choice holds at another resolution");
    assert_eq!(dot_considered(), before);
    // "auto" considers it once.
    Session::with_gemm(load(&bytes).unwrap(), r, Gemm::Auto).unwrap();
    assert_eq!(dot_considered(), before + 1);
    // "dot" where the build has no dot product (native): refused, with what the probe found.
    match Session::with_gemm(load(&bytes).unwrap(), r, Gemm::Dot) {
        Err(Error::ModelUnsupported(d)) => assert_eq!(d.what, "gemm_dot"),
        other => panic!("expected gemm_dot, got {:?}", other.map(|s| s.kernels().name)),
    }
    assert_eq!(dot_considered(), before + 2);
}
