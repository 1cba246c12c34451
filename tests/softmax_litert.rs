//! uint8 SOFTMAX against LiteRT's own reference kernel on 378 recorded cases (2 to 40 classes,
//! input scales 0.005 to 2, logits from nearly equal to spread over the whole range), recorded by
//! `tests/litert/softmax_cases.py`: 320 random ones and 58 where some 256·p lies within 1e-4 of a
//! rounding half. Few-class heads (an exported taught classifier) reach those; there the float
//! formula `⌊256·p + ½⌋` this engine used before gives other bytes in 6 of the cases, and only
//! TFLite's fixed-point arithmetic gives its bytes.

use mobilenet_wasm::kernels::{reference, scalar};

#[derive(serde::Deserialize)]
struct Case {
    scale: f64,
    input: Vec<u8>,
    output: Vec<u8>,
}

#[derive(serde::Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[test]
fn softmax_u8_equals_litert_reference_kernel() {
    let text = include_str!("litert/softmax_cases.json");
    let cases: Cases = serde_json::from_str(text).expect("softmax_cases.json parses");
    assert_eq!(cases.cases.len(), 378);
    for set in [&reference::KERNELS, &scalar::KERNELS] {
        for (i, c) in cases.cases.iter().enumerate() {
            let mut out = vec![0u8; c.input.len()];
            (set.u8.softmax)(c.scale as f32, &c.input, &mut out);
            assert_eq!(
                out, c.output,
                "{} kernels, case {i} (scale {}, logits {:?})",
                set.name, c.scale, c.input
            );
        }
    }
}
