#![cfg(not(target_arch = "wasm32"))]
//! Bad models give typed errors that say what is wrong — never a panic.

mod common;
use common::tiny::*;
use common::*;
use mobilenet_wasm::{Error, Model, Session};

fn load(bytes: &[u8]) -> Result<Model, Error> {
    Model::from_tflite(bytes)
}

fn expect_err(bytes: &[u8], kind: fn(&Error) -> bool, needle: &str) -> Error {
    match load(bytes) {
        Ok(_) => panic!("expected an error mentioning {needle:?}, the model loaded"),
        Err(e) => {
            assert!(kind(&e), "wrong error kind: {e:?}");
            assert!(e.to_string().contains(needle), "{e} does not mention {needle:?}");
            e
        }
    }
}

fn malformed(e: &Error) -> bool {
    matches!(e, Error::ModelMalformed(_))
}

fn unsupported(e: &Error) -> bool {
    matches!(e, Error::ModelUnsupported(_))
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
    expect_err(&[], malformed, "too short");
}

/// The float files end with the flatbuffer; every cut is a typed error. (The uint8 files carry
/// a zip of labels appended after the flatbuffer, TFLite's "associated files": cuts inside
/// that zip leave the model whole, so they are cut only within their first 90%.)
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
    expect_err(&bytes, malformed, "identifier");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    expect_err(&png, malformed, "identifier");
}

#[test]
fn unsupported_operator_is_named() {
    let mut m = tiny_quant();
    m.opcodes[2] = 17; // MAX_POOL_2D instead of AVERAGE_POOL_2D
    expect_err(&m.to_bytes(), unsupported, "MAX_POOL_2D");
    let mut m = tiny_quant();
    m.opcodes[0] = 9;
    expect_err(&m.to_bytes(), unsupported, "FULLY_CONNECTED");
    let mut m = tiny_quant();
    m.opcodes[0] = 32;
    m.custom_code = Some("TFLite_Detection_PostProcess".into());
    expect_err(&m.to_bytes(), unsupported, "TFLite_Detection_PostProcess");
}

#[test]
fn tensor_index_out_of_range() {
    let mut m = tiny_quant();
    m.ops[1].inputs[1] = 99;
    expect_err(&m.to_bytes(), malformed, "tensor 99");
    let mut m = tiny_quant();
    m.ops[0].inputs[2] = -5;
    expect_err(&m.to_bytes(), malformed, "-5");
    let mut m = tiny_quant();
    m.outputs = vec![42];
    expect_err(&m.to_bytes(), unsupported, "tensor 42");
}

#[test]
fn buffer_index_out_of_range() {
    let mut m = tiny_quant();
    m.tensors[1].buffer = 77;
    expect_err(&m.to_bytes(), malformed, "buffer 77");
}

#[test]
fn opcode_index_out_of_range() {
    let mut m = tiny_quant();
    m.ops[0].opcode_index = 12;
    expect_err(&m.to_bytes(), malformed, "operator code 12");
}

#[test]
fn weight_buffer_of_wrong_size() {
    let mut m = tiny_quant();
    m.buffers[1].pop();
    expect_err(&m.to_bytes(), malformed, "holds 11 bytes");
    let mut m = tiny_quant();
    m.buffers[2].extend([0, 0, 0, 0]);
    expect_err(&m.to_bytes(), malformed, "conv/bias");
    let mut m = tiny_quant();
    m.buffers[3].clear();
    expect_err(&m.to_bytes(), malformed, "no constant data");
}

#[test]
fn schema_version_and_subgraphs() {
    let mut m = tiny_quant();
    m.version = 2;
    expect_err(&m.to_bytes(), unsupported, "schema version 2");
    let mut m = tiny_quant();
    m.subgraphs = 2;
    expect_err(&m.to_bytes(), unsupported, "2 subgraphs");
    let mut m = tiny_quant();
    m.subgraphs = 0;
    expect_err(&m.to_bytes(), unsupported, "0 subgraphs");
}

#[test]
fn graph_structure() {
    // An op whose output is its own input.
    let mut m = tiny_quant();
    m.ops[1].outputs = vec![3];
    expect_err(&m.to_bytes(), malformed, "also reads");
    // An input read before it is produced.
    let mut m = tiny_quant();
    m.ops.swap(1, 2);
    expect_err(&m.to_bytes(), unsupported, "single chain");
}

#[test]
fn shapes_and_options() {
    let mut m = tiny_quant();
    m.tensors[3].shape = vec![1, 32, 32, 0];
    expect_err(&m.to_bytes(), malformed, "dimension 0");
    let mut m = tiny_quant();
    m.tensors[1].shape = vec![4, 1, -1, 3];
    expect_err(&m.to_bytes(), malformed, "dimension -1");
    let mut m = tiny_quant();
    m.tensors[6].shape = vec![1, 15, 16, 4];
    expect_err(&m.to_bytes(), malformed, "declares shape");
    let mut m = tiny_quant();
    m.ops[0].options = TOptions::Conv { padding: 0, stride: (0, 1), act: 3, dilation: (1, 1) };
    expect_err(&m.to_bytes(), malformed, "stride");
    let mut m = tiny_quant();
    m.ops[0].options = TOptions::Conv { padding: 7, stride: (1, 1), act: 3, dilation: (1, 1) };
    expect_err(&m.to_bytes(), malformed, "padding value 7");
    let mut m = tiny_quant();
    m.ops[0].options = TOptions::Conv { padding: 0, stride: (1, 1), act: 9, dilation: (1, 1) };
    expect_err(&m.to_bytes(), unsupported, "fused activation 9");
    let mut m = tiny_quant();
    m.ops[1].options = TOptions::Depthwise { padding: 0, stride: (2, 2), multiplier: 2, act: 3 };
    expect_err(&m.to_bytes(), unsupported, "depth multiplier 2");
    let mut m = tiny_quant();
    m.ops[3].options = TOptions::Reshape(vec![1, 5]);
    expect_err(&m.to_bytes(), malformed, "reshape");
    let mut m = tiny_quant();
    m.ops[4].options = TOptions::Softmax(f32::NAN);
    expect_err(&m.to_bytes(), malformed, "beta");
    let mut m = tiny_quant();
    m.ops[0].options = TOptions::None;
    expect_err(&m.to_bytes(), malformed, "missing Conv2DOptions");
}

#[test]
fn quantization_problems() {
    let mut m = tiny_quant();
    m.tensors[3].quant = None;
    expect_err(&m.to_bytes(), malformed, "no quantization");
    let mut m = tiny_quant();
    m.tensors[1].quant = Some((vec![0.0], vec![120]));
    expect_err(&m.to_bytes(), malformed, "scale 0");
    let mut m = tiny_quant();
    m.tensors[1].quant = Some((vec![f32::NAN], vec![120]));
    expect_err(&m.to_bytes(), malformed, "scale NaN");
    let mut m = tiny_quant();
    m.tensors[3].quant = Some((vec![0.1], vec![300]));
    expect_err(&m.to_bytes(), malformed, "zero point 300");
    let mut m = tiny_quant();
    m.tensors[1].quant = Some((vec![0.1, 0.2, 0.3, 0.4], vec![1, 2, 3, 4]));
    expect_err(&m.to_bytes(), unsupported, "per-channel");
    let mut m = tiny_quant();
    m.tensors[1].quant = Some((vec![0.1, 0.2], vec![1]));
    expect_err(&m.to_bytes(), malformed, "2 quantization scales but 1 zero points");
    let mut m = tiny_quant();
    m.tensors[1].ttype = 9; // INT8
    expect_err(&m.to_bytes(), unsupported, "INT8");
    let mut m = tiny_quant();
    m.tensors[3].ttype = FLOAT32;
    expect_err(&m.to_bytes(), unsupported, "mixed");
}

#[test]
fn resolutions_out_of_range_are_typed_errors_and_keep_the_session() {
    let mut s = Session::new(load(&tiny_quant().to_bytes()).unwrap()).unwrap();
    assert!(matches!(s.set_resolution(8), Err(Error::InputInvalid(_))));
    assert!(matches!(s.set_resolution(100_000), Err(Error::LimitsExceeded(_))));
    assert_eq!(s.resolution(), 32);
    let input = vec![0u8; 32 * 32 * 3];
    assert!(s.run(&input).is_ok());
    assert!(matches!(s.run(&input[1..]), Err(Error::InputInvalid(_))));
    assert!(matches!(s.run(&[0.0f32; 3072]), Err(Error::InputInvalid(_))));
}

#[test]
fn structural_bombs_and_offsets() {
    // Root offset pointing outside the file.
    let mut bytes = tiny_quant().to_bytes();
    bytes[0..4].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    expect_err(&bytes, malformed, "invalid flatbuffer");
    // A vtable offset pointing outside the file (the root table's soffset).
    let mut bytes = tiny_quant().to_bytes();
    let root = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    bytes[root..root + 4].copy_from_slice(&i32::MIN.to_le_bytes());
    expect_err(&bytes, malformed, "invalid flatbuffer");
    // A table-count bomb: more than the verifier's table budget.
    let mut m = tiny_quant();
    m.opcodes = std::iter::repeat_n(3, 100_001).collect();
    expect_err(&m.to_bytes(), malformed, "invalid flatbuffer");
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
    expect_err(&m.to_bytes(), malformed, "dilation");
    let mut m = tiny_quant();
    m.tensors[1].shape = vec![3, 1, 1, 4];
    m.buffers[1].truncate(12);
    expect_err(&m.to_bytes(), malformed, "input channels");
    // Wrong input rank.
    let mut m = tiny_quant();
    m.tensors[0].shape = vec![32, 32, 3];
    expect_err(&m.to_bytes(), unsupported, "graph input shape");
    // A requantization multiplier out of range (output scale far smaller than input × filter).
    let mut m = tiny_quant();
    m.tensors[3].quant = Some((vec![1e-30], vec![0]));
    expect_err(&m.to_bytes(), unsupported, "multiplier");
    // Negative and infinite scales.
    let mut m = tiny_quant();
    m.tensors[1].quant = Some((vec![-0.5], vec![120]));
    expect_err(&m.to_bytes(), malformed, "scale -0.5");
    let mut m = tiny_quant();
    m.tensors[1].quant = Some((vec![f32::INFINITY], vec![120]));
    expect_err(&m.to_bytes(), malformed, "scale inf");
}

#[test]
fn limits_are_configurable_and_typed() {
    use mobilenet_wasm::Limits;
    let bytes = tiny_quant().to_bytes();
    let limited = |l: Limits| Model::from_tflite_with_limits(&bytes, l);
    let d = Limits::default();
    assert!(matches!(limited(Limits { max_model_bytes: 100, ..d }), Err(Error::LimitsExceeded(_))));
    assert!(matches!(limited(Limits { max_tensor_elements: 1000, ..d }), Err(Error::LimitsExceeded(_))));
    assert!(matches!(limited(Limits { max_macs: 1000, ..d }), Err(Error::LimitsExceeded(_))));
    let mut s =
        Session::new(limited(Limits { max_resolution: 48, max_frame_pixels: 100, ..d }).unwrap()).unwrap();
    assert!(matches!(s.set_resolution(64), Err(Error::LimitsExceeded(_))));
    assert!(matches!(s.set_resolution(16), Err(Error::InputInvalid(_))));
    s.set_resolution(48).unwrap();
    let mut scores = vec![0f32; 4];
    assert!(matches!(s.classify_rgba(&[0; 11 * 11 * 4], 11, 11, &mut scores), Err(Error::LimitsExceeded(_))));
    s.classify_rgba(&[7; 10 * 10 * 4], 10, 10, &mut scores).unwrap();
    assert!(matches!(
        s.classify_rgba(&[7; 10 * 10 * 4 - 1], 10, 10, &mut scores),
        Err(Error::InputInvalid(_))
    ));
    assert!(matches!(s.classify_rgba(&[], 0, 10, &mut scores), Err(Error::InputInvalid(_))));
}
