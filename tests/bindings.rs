//! The wasm-bindgen facade, driven as JavaScript drives it: run by `wasm-pack test --node` and
//! `wasm-pack test --headless --chrome` (wasm32 only). Models come from the flatbuffers builder
//! of `tests/common/tiny.rs`, so no files are read.
#![cfg(target_arch = "wasm32")]

mod common;
use common::tiny::tiny_quant;
use mobilenet_wasm::bindings::{Engine, cost_model, thread_count, warm_up, wasm_memory};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test as test;

fn code(e: JsValue) -> String {
    assert!(e.is_instance_of::<js_sys::Error>(), "errors are JS Error objects");
    js_sys::Reflect::get(&e, &"code".into()).unwrap().as_string().unwrap()
}

/// A field of the error's `details` object.
fn detail(e: &JsValue, field: &str) -> JsValue {
    let d = js_sys::Reflect::get(e, &"details".into()).unwrap();
    assert!(d.is_object(), "errors carry a details object");
    js_sys::Reflect::get(&d, &field.into()).unwrap()
}

/// The error's code and `details.what`.
fn kind(e: &JsValue) -> (String, String) {
    (code(e.clone()), detail(e, "what").as_string().unwrap())
}

fn numbers(v: JsValue) -> Vec<f64> {
    js_sys::Array::from(&v).iter().map(|x| x.as_f64().unwrap()).collect()
}

fn no_limits() -> JsValue {
    JsValue::UNDEFINED
}

fn memory_bytes() -> js_sys::Uint8Array {
    let mem: js_sys::WebAssembly::Memory = wasm_memory().unchecked_into();
    js_sys::Uint8Array::new(&mem.buffer())
}

#[test]
fn load_run_in_place_and_read_the_output() {
    let mut e = Engine::new(tiny_quant().to_bytes(), no_limits(), None).unwrap();
    assert_eq!(e.dtype(), "uint8");
    assert_eq!(e.resolution(), 32);
    assert_eq!(e.input_length(), 32 * 32 * 3);
    assert_eq!(e.output_length(), 4);
    let input: Vec<u8> = (0..e.input_length()).map(|i| (i * 13 % 256) as u8).collect();
    let mem = memory_bytes();
    let at = e.input_ptr(input.len(), "uint8").unwrap();
    mem.subarray(at as u32, (at + input.len()) as u32).copy_from(&input);
    // The input's type and length are checked here, before anything is written.
    let err = e.input_ptr(input.len() - 1, "uint8").unwrap_err();
    assert_eq!(kind(&err), ("INPUT_INVALID".into(), "input_values".into()));
    assert_eq!(
        (detail(&err, "found").as_f64(), detail(&err, "expected").as_f64()),
        (Some(3071.0), Some(3072.0))
    );
    let err = e.input_ptr(input.len(), "float32").unwrap_err();
    assert_eq!(kind(&err), ("INPUT_INVALID".into(), "input_type".into()));
    assert_eq!(detail(&err, "expected").as_string().as_deref(), Some("uint8"));
    let out = e.run_in_place().unwrap();
    let mem = memory_bytes();
    let probs = mem.subarray(out as u32, out as u32 + 4).to_vec();
    let sum: u32 = probs.iter().map(|&p| u32::from(p)).sum();
    assert!((250..=260).contains(&sum), "uint8 probabilities sum to about 256: {probs:?}");
    assert_eq!(thread_count(), 1);
}

#[test]
fn classify_and_embed_a_frame_in_place() {
    let mut e = Engine::new(tiny_quant().to_bytes(), no_limits(), None).unwrap();
    let (w, h) = (40usize, 30usize);
    let frame: Vec<u8> = (0..w * h * 4).map(|i| (i * 7 % 251) as u8).collect();
    let at = e.frame_buffer(frame.len()).unwrap();
    memory_bytes().subarray(at as u32, (at + frame.len()) as u32).copy_from(&frame);
    let scores = e.classify_in_place(w as f64, h as f64).unwrap();
    let mem: js_sys::WebAssembly::Memory = wasm_memory().unchecked_into();
    let view = js_sys::Float32Array::new_with_byte_offset_and_length(&mem.buffer(), scores as u32, 4);
    let total: f32 = view.to_vec().iter().sum();
    assert!((total - 1.0).abs() < 0.03, "probabilities sum to 1: {total}");
    assert_eq!(e.embedding_length(), 4);
    let features = e.embed_in_place(w as f64, h as f64).unwrap();
    assert_ne!(features, 0);
    // A frame size that does not match the bytes written is refused, naming both.
    let err = e.classify_in_place(w as f64, (h + 1) as f64).unwrap_err();
    assert_eq!(kind(&err), ("INPUT_INVALID".into(), "frame_bytes".into()));
    assert_eq!(detail(&err, "found").as_f64(), Some((w * h * 4) as f64));
    assert_eq!(detail(&err, "expected").as_f64(), Some((w * (h + 1) * 4) as f64));
    // Sizes that are not whole numbers ≥ 1 are the error, whatever the bytes.
    e.frame_buffer(16).unwrap();
    for (fw, fh) in [(-2.0, -2.0), (0.0, 0.0), (2.0, 0.0)] {
        let err = e.classify_in_place(fw, fh).unwrap_err();
        assert_eq!(kind(&err), ("INPUT_INVALID".into(), "frame_size".into()), "{fw}×{fh}");
        assert_eq!(numbers(detail(&err, "found")), [fw, fh]);
    }
    let err = e.embed_in_place(1.5, 2.0).unwrap_err();
    assert_eq!(kind(&err), ("INPUT_INVALID".into(), "frame_size".into()));
    assert_eq!(detail(&err, "found").as_string().as_deref(), Some("1.5×2"));
}

#[test]
fn errors_carry_stable_codes_and_leave_the_engine_usable() {
    let err = Engine::new(Vec::new(), no_limits(), None).err().unwrap();
    assert_eq!(kind(&err), ("MODEL_MALFORMED".into(), "file_bytes".into()));
    assert_eq!(detail(&err, "found").as_f64(), Some(0.0));
    let err = Engine::new(b"0123TFL3 but nonsense after".to_vec(), no_limits(), None).err().unwrap();
    assert_eq!(kind(&err), ("MODEL_MALFORMED".into(), "flatbuffer".into()));
    let mut m = tiny_quant();
    m.opcodes[2] = 17;
    let err = Engine::new(m.to_bytes(), no_limits(), None).err().unwrap();
    assert_eq!(kind(&err), ("MODEL_UNSUPPORTED".into(), "operator".into()));
    assert_eq!(detail(&err, "operator").as_string().as_deref(), Some("MAX_POOL_2D"));
    assert_eq!(detail(&err, "layer").as_f64(), Some(2.0));
    assert!(detail(&err, "tensor").is_undefined(), "absent fields are left out");
    let mut e = Engine::new(tiny_quant().to_bytes(), no_limits(), None).unwrap();
    let err = e.set_resolution(8).unwrap_err();
    assert_eq!(kind(&err), ("INPUT_INVALID".into(), "resolution".into()));
    assert_eq!(numbers(detail(&err, "found")), [8.0, 8.0]);
    assert_eq!(e.resolution(), 32);
    let err = e.frame_buffer(usize::MAX).unwrap_err();
    assert_eq!(kind(&err), ("LIMITS_EXCEEDED".into(), "frame_bytes".into()));
    assert!(detail(&err, "limit").as_f64().unwrap() > 0.0);
    e.set_resolution(64).unwrap();
    assert_eq!(e.input_length(), 64 * 64 * 3);
    assert!(e.run_in_place().is_ok());
    // Limits arrive as one options object, checked here.
    let bytes = tiny_quant().to_bytes();
    let limits = |json: &str| js_sys::JSON::parse(json).unwrap();
    let err =
        Engine::new(bytes.clone(), limits(&format!(r#"{{"maxModelBytes": {}}}"#, bytes.len() - 1)), None)
            .err()
            .unwrap();
    assert_eq!(kind(&err), ("LIMITS_EXCEEDED".into(), "model_bytes".into()));
    assert_eq!(detail(&err, "limit").as_f64(), Some((bytes.len() - 1) as f64));
    assert_eq!(detail(&err, "found").as_f64(), Some(bytes.len() as f64));
    assert!(
        Engine::new(bytes.clone(), limits(&format!(r#"{{"maxModelBytes": {}}}"#, bytes.len())), None).is_ok()
    );
    let err = Engine::new(bytes.clone(), limits(r#"{"maxResolution": 16}"#), None).err().unwrap();
    assert_eq!(kind(&err), ("LIMITS_EXCEEDED".into(), "resolution".into()));
    let err = Engine::new(bytes.clone(), limits(r#"{"maxFrames": 1}"#), None).err().unwrap();
    assert_eq!(kind(&err), ("INPUT_INVALID".into(), "unknown_limit".into()));
    assert_eq!(detail(&err, "found").as_string().as_deref(), Some("maxFrames"));
    for bad in
        [r#"{"maxMacs": 0}"#, r#"{"maxMacs": -5}"#, r#"{"maxMacs": 1.5}"#, r#"{"maxMacs": "9"}"#, "[1]", "7"]
    {
        let err = Engine::new(bytes.clone(), limits(bad), None).err().unwrap();
        assert_eq!(code(err), "INPUT_INVALID", "{bad}");
    }
    // The uint8 matrix product is chosen at construction; an unknown name is refused there.
    let err = Engine::new(bytes.clone(), no_limits(), Some("fast".into())).err().unwrap();
    assert_eq!(kind(&err), ("INPUT_INVALID".into(), "gemm".into()));
    assert!(Engine::new(bytes.clone(), no_limits(), Some("i16".into())).is_ok());
    let err = cost_model(-1.0, 224, 1000).unwrap_err();
    assert_eq!(kind(&err), ("INPUT_INVALID".into(), "width_multiplier".into()));
    assert_eq!(detail(&err, "found").as_f64(), Some(-1.0));
}

#[test]
fn info_and_cost_are_json() {
    let mut e = Engine::new(tiny_quant().to_bytes(), no_limits(), None).unwrap();
    let info: serde_json::Value = serde_json::from_str(&e.info().unwrap()).unwrap();
    assert_eq!(info["resolution"], 32);
    assert_eq!(info["dtype"], "uint8");
    assert_eq!(info["operators"][0], "CONV_2D");
    // Each cost row names the layer it counts.
    let rows = info["cost"]["layers"].as_array().unwrap();
    let ops = info["operators"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let at = row["layer"].as_u64().unwrap() as usize;
        assert!(ops[at] == "CONV_2D" || ops[at] == "DEPTHWISE_CONV_2D", "{row}");
    }
    // Made once per resolution: another resolution gives another info.
    e.set_resolution(64).unwrap();
    let info: serde_json::Value = serde_json::from_str(&e.info().unwrap()).unwrap();
    assert_eq!(info["resolution"], 64);
    assert_eq!(info["cost"]["resolution"], 64);
    let cost: serde_json::Value = serde_json::from_str(&cost_model(1.0, 224, 1000).unwrap()).unwrap();
    assert_eq!(cost["macs"], 568_740_352u64);
}

/// The warm-up (`warmUp`, run while a model downloads) changes nothing a model sees: an engine
/// loaded before it, one loaded after it and one that ran before it all give the bytes of an
/// engine's first inference without it.
#[test]
fn warm_up_changes_no_model() {
    let bytes = tiny_quant().to_bytes();
    let run = |e: &mut Engine| {
        let input: Vec<u8> = (0..e.input_length()).map(|i| (i * 29 % 251) as u8).collect();
        let at = e.input_ptr(input.len(), "uint8").unwrap();
        memory_bytes().subarray(at as u32, (at + input.len()) as u32).copy_from(&input);
        let out = e.run_in_place().unwrap();
        memory_bytes().subarray(out as u32, (out + e.output_length()) as u32).to_vec()
    };
    let mut cold = Engine::new(bytes.clone(), no_limits(), None).unwrap();
    let want = run(&mut cold);
    let mut during = Engine::new(bytes.clone(), no_limits(), None).unwrap();
    for dtype in ["uint8", "float32", "both"] {
        warm_up(dtype);
    }
    let mut after = Engine::new(bytes.clone(), no_limits(), None).unwrap();
    assert_eq!(run(&mut during), want, "loaded before the warm-up");
    assert_eq!(run(&mut after), want, "loaded after the warm-up");
    assert_eq!(run(&mut cold), want, "run before the warm-up");
}
