//! The requantization formulations against TFLite's arithmetic on the real layers: every
//! convolution and depthwise convolution of the four uint8 models, over every accumulator
//! where the layer's output is not clamped (plus 2^16 on each side), and at the extremes of the
//! int32 range. The planner's choice for each layer is printed.
//!
//! (`tests/kernels.rs` checks the same on adversarial synthetic layers, natively and — against
//! the SIMD128 code itself — in wasm.)

mod common;

use mobilenet_wasm::Model;
use mobilenet_wasm::kernels::requantize::{
    Formulation, exact_requant, float_requant, single_rounding, thresholds,
};

#[test]
fn every_formulation_is_exact_on_every_real_layer() {
    let (mut layers, mut float, mut checked) = (0, 0, 0u64);
    for name in ["0.25_128", "0.5_160", "0.75_192", "1.0_224"] {
        let path = common::models_dir().join(format!("mobilenet_v1_{name}_quant.tflite"));
        let model = Model::from_tflite(&common::read(&path)).unwrap();
        let params = model.conv_quant_params().unwrap();
        assert_eq!(params.len(), 28, "{name}: 27 convolutions + the logits");
        for (i, (kind, q)) in params.iter().enumerate() {
            let (m, s, zp, lo, hi) = (q.multiplier, q.shift, q.output_zero_point, q.act_min, q.act_max);
            assert!(s <= 0, "{name} layer {i}: shift {s}");
            let th = thresholds(m, s, zp, lo, hi);
            let first = th.iter().filter_map(|t| t.1).min().unwrap_or(0);
            let last = th.iter().filter_map(|t| t.1).max().unwrap_or(0);
            let (from, to) = (i64::from(first) - 65536, i64::from(last) + 65536);
            assert!(to - from < 1 << 26, "{name} layer {i}: {from}..{to}");
            let extremes = [i32::MIN, i32::MIN + 1, -(1 << 30), 1 << 30, i32::MAX - 1, i32::MAX];
            let accs = (from.max(i64::from(i32::MIN))..=to.min(i64::from(i32::MAX)))
                .map(|a| a as i32)
                .chain(extremes);
            let fl = match q.formulation {
                Formulation::Float { m, c } => Some((f32::from_bits(m), f32::from_bits(c))),
                _ => None,
            };
            let single_ok = s == 0 || lo >= zp;
            for acc in accs {
                let want = exact_requant(acc, m, s, zp, lo, hi);
                assert_eq!(single_rounding(acc, m, s, zp, true).clamp(lo, hi), want, "{name} {i} acc {acc}");
                if single_ok {
                    assert_eq!(
                        single_rounding(acc, m, s, zp, false).clamp(lo, hi),
                        want,
                        "{name} {i} acc {acc}"
                    );
                }
                if let Some((fm, fc)) = fl {
                    assert_eq!(
                        float_requant(acc, fm, fc, lo, hi),
                        want,
                        "{name} {i} acc {acc} float {fm} {fc}"
                    );
                }
                checked += 1;
            }
            layers += 1;
            float += usize::from(fl.is_some());
            println!(
                "{name} layer {i:2} {kind:9} M = {:.6e} zp {zp:3} range [{lo}, {hi}] accumulators {from}..{to}: {:?}",
                f64::from(m) * 2f64.powi(s - 31),
                q.formulation
            );
        }
    }
    println!("{layers} layers, {float} with the float formulation, {checked} (layer, accumulator) pairs");
    assert_eq!(layers, 112);
    // The float formulation must really be in use: all but the logits layers.
    assert!(float >= 104, "only {float} of {layers} layers proved for float");
}
