//! The wasm-bindgen facade, driven as JavaScript drives it: run by `wasm-pack test --node` and
//! `wasm-pack test --headless --chrome` (wasm32 only). Models come from the flatbuffers builder
//! of `tests/common/tiny.rs`, so no files are read.
#![cfg(target_arch = "wasm32")]

mod common;
use common::tiny::tiny_quant;
use mobilenet_wasm::bindings::{Engine, cost_model, thread_count, wasm_memory};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test as test;

fn code(e: JsValue) -> String {
    assert!(e.is_instance_of::<js_sys::Error>(), "errors are JS Error objects");
    js_sys::Reflect::get(&e, &"code".into()).unwrap().as_string().unwrap()
}

fn memory_bytes() -> js_sys::Uint8Array {
    let mem: js_sys::WebAssembly::Memory = wasm_memory().unchecked_into();
    js_sys::Uint8Array::new(&mem.buffer())
}

#[test]
fn load_run_in_place_and_read_the_output() {
    let mut e = Engine::new(&tiny_quant().to_bytes()).unwrap();
    assert_eq!(e.dtype(), "uint8");
    assert_eq!(e.resolution(), 32);
    assert_eq!(e.input_length(), 32 * 32 * 3);
    assert_eq!(e.output_length(), 4);
    let input: Vec<u8> = (0..e.input_length()).map(|i| (i * 13 % 256) as u8).collect();
    let mem = memory_bytes();
    mem.subarray(e.input_ptr() as u32, (e.input_ptr() + input.len()) as u32).copy_from(&input);
    let out = e.run_in_place().unwrap();
    let mem = memory_bytes();
    let probs = mem.subarray(out as u32, out as u32 + 4).to_vec();
    let sum: u32 = probs.iter().map(|&p| u32::from(p)).sum();
    assert!((250..=260).contains(&sum), "uint8 probabilities sum to about 256: {probs:?}");
    assert_eq!(thread_count(), 1);
}

#[test]
fn classify_and_embed_a_frame_in_place() {
    let mut e = Engine::new(&tiny_quant().to_bytes()).unwrap();
    let (w, h) = (40usize, 30usize);
    let frame: Vec<u8> = (0..w * h * 4).map(|i| (i * 7 % 251) as u8).collect();
    let at = e.frame_buffer(frame.len()).unwrap();
    memory_bytes().subarray(at as u32, (at + frame.len()) as u32).copy_from(&frame);
    let scores = e.classify_in_place(w, h).unwrap();
    let mem: js_sys::WebAssembly::Memory = wasm_memory().unchecked_into();
    let view = js_sys::Float32Array::new_with_byte_offset_and_length(&mem.buffer(), scores as u32, 4);
    let total: f32 = view.to_vec().iter().sum();
    assert!((total - 1.0).abs() < 0.03, "probabilities sum to 1: {total}");
    assert_eq!(e.embedding_length(), 4);
    let features = e.embed_in_place(w, h).unwrap();
    assert_ne!(features, 0);
    // A frame larger than the buffer is refused.
    assert_eq!(code(e.classify_in_place(w, h + 1).unwrap_err()), "INPUT_INVALID");
}

#[test]
fn errors_carry_stable_codes_and_leave_the_engine_usable() {
    assert_eq!(code(Engine::new(&[]).err().unwrap()), "MODEL_MALFORMED");
    assert_eq!(code(Engine::new(b"0123TFL3 but nonsense after").err().unwrap()), "MODEL_MALFORMED");
    let mut m = tiny_quant();
    m.opcodes[2] = 17;
    assert_eq!(code(Engine::new(&m.to_bytes()).err().unwrap()), "MODEL_UNSUPPORTED");
    let mut e = Engine::new(&tiny_quant().to_bytes()).unwrap();
    assert_eq!(code(e.set_resolution(8).unwrap_err()), "INPUT_INVALID");
    assert_eq!(e.resolution(), 32);
    assert_eq!(code(e.frame_buffer(usize::MAX).unwrap_err()), "LIMITS_EXCEEDED");
    e.set_resolution(64).unwrap();
    assert_eq!(e.input_length(), 64 * 64 * 3);
    assert!(e.run_in_place().is_ok());
    assert_eq!(code(cost_model(-1.0, 224, 1000).unwrap_err()), "INPUT_INVALID");
}

#[test]
fn info_and_cost_are_json() {
    let e = Engine::new(&tiny_quant().to_bytes()).unwrap();
    let info: serde_json::Value = serde_json::from_str(&e.info().unwrap()).unwrap();
    assert_eq!(info["resolution"], 32);
    assert_eq!(info["dtype"], "uint8");
    assert_eq!(info["operators"][0], "CONV_2D");
    let cost: serde_json::Value = serde_json::from_str(&cost_model(1.0, 224, 1000).unwrap()).unwrap();
    assert_eq!(cost["macs"], 568_740_352u64);
}
