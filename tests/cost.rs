#![cfg(not(target_arch = "wasm32"))]
//! The cost model against the paper's Tables 2, 3, 4, 6 and 7 and TensorFlow's published table.
//!
//! A printed figure matches when the count, rounded to the printed precision, equals it. Where
//! a printed figure and the count disagree (README's Tests section lists them), the test says so:
//! the figure is listed in `DISAGREE` with the reason, and the test checks that the count really
//! does differ from the print — it never replaces the count by the printed number.

use mobilenet_wasm::model::cost::{
    LayerType, conv_macs, depthwise_macs, mobilenet_v1, mobilenet_v1_full_conv, scaled_channels,
};

/// `value` rounded to `decimals` decimals equals `printed`.
fn rounds_to(value: f64, printed: f64, decimals: i32) -> bool {
    let f = 10f64.powi(decimals);
    ((value * f).round() - printed * f).abs() < 1e-6
}

/// Printed figures known to disagree with the count: (table, what, printed, why).
const DISAGREE: &[(&str, &str, f64, &str)] = &[
    (
        "Table 2",
        "conv macs %",
        1.19,
        "digits transposed: the count gives 1.91% (the printed rows sum to 99.29%)",
    ),
    ("Table 4", "full-conv macs M", 4866.0, "the count gives 4867.3 M"),
    ("TF", "0.75/224 macs M", 317.0, "the count (and the paper's Table 6) gives 325 M"),
    ("TF", "0.75/192 macs M", 233.0, "the count gives 239 M"),
    ("TF", "0.75/160 macs M", 162.0, "the count gives 166 M"),
    ("TF", "0.75/128 macs M", 104.0, "the count gives 107 M"),
    ("TF", "0.25/192 macs M", 34.0, "the count gives 30.2 M"),
    ("TF", "0.5/224 macs M", 150.0, "the count gives 149.497 M (the paper's Table 6 prints 149)"),
];

fn check(table: &str, what: &str, count: f64, printed: f64, decimals: i32) {
    let agrees = rounds_to(count, printed, decimals);
    match DISAGREE.iter().find(|d| d.0 == table && d.1 == what) {
        Some(d) => {
            assert!(
                !agrees,
                "{table} {what}: listed as disagreeing, but the count {count} rounds to {printed}"
            );
            assert_eq!(d.2, printed);
            println!("{table} {what}: printed {printed}, count {count:.3} — {}", d.3);
        }
        None => assert!(agrees, "{table} {what}: the count {count} does not round to the printed {printed}"),
    }
}

const M: f64 = 1e6;

#[test]
fn defaults_are_the_papers() {
    let c = mobilenet_v1(1.0, 224, 1000).unwrap();
    assert_eq!(c.macs, 568_740_352);
    assert_eq!(c.params, 4_209_088);
    assert_eq!(c.layers.len(), 28);
    assert_eq!(c.layers[0].output, [112, 112, 32]);
    assert_eq!(c.layers.last().unwrap().output, [1, 1, 1000]);
    let sum: u64 = c.layers.iter().map(|l| l.macs).sum();
    assert_eq!(sum, c.macs);
}

#[test]
fn table_2_share_by_layer_type() {
    let c = mobilenet_v1(1.0, 224, 1000).unwrap();
    let rows = [
        (LayerType::Pointwise, "pointwise", 94.86, 74.59),
        (LayerType::Depthwise, "depthwise", 3.06, 1.06),
        (LayerType::Conv, "conv", 1.19, 0.02),
        (LayerType::Fc, "fc", 0.18, 24.33),
    ];
    for (kind, name, macs_pct, params_pct) in rows {
        let t = c.of_type(kind);
        check("Table 2", &format!("{name} macs %"), 100.0 * t.macs as f64 / c.macs as f64, macs_pct, 2);
        check(
            "Table 2",
            &format!("{name} params %"),
            100.0 * t.params as f64 / c.params as f64,
            params_pct,
            2,
        );
    }
}

#[test]
fn table_3_one_layer() {
    // 14×14×512 input, 3×3×512×512 kernel.
    check("Table 3", "full macs M", conv_macs(14, 14, 3, 512, 512) as f64 / M, 462.0, 0);
    check("Table 3", "full params M", (9 * 512 * 512) as f64 / M, 2.36, 2);
    let sep = |hw: usize, c: usize| (depthwise_macs(hw, hw, 3, c) + conv_macs(hw, hw, 1, c, c)) as f64 / M;
    let sep_params = |c: usize| (9 * c + c * c) as f64 / M;
    check("Table 3", "separable macs M", sep(14, 512), 52.3, 1);
    check("Table 3", "separable params M", sep_params(512), 0.27, 2);
    let c = scaled_channels(512, 0.75);
    check("Table 3", "α=0.75 macs M", sep(14, c), 29.6, 1);
    check("Table 3", "α=0.75 params M", sep_params(c), 0.15, 2);
    // ρ = 0.714: 14 × 0.714 = 10.
    check("Table 3", "α=0.75 ρ=0.714 macs M", sep(10, c), 15.1, 1);
}

#[test]
fn table_4_full_convolutions() {
    let full = mobilenet_v1_full_conv(1.0, 224, 1000).unwrap();
    check("Table 4", "full-conv macs M", full.macs as f64 / M, 4866.0, 0);
    check("Table 4", "full-conv params M", full.params as f64 / M, 29.3, 1);
    let sep = mobilenet_v1(1.0, 224, 1000).unwrap();
    check("Table 4", "mobilenet macs M", sep.macs as f64 / M, 569.0, 0);
    check("Table 4", "mobilenet params M", sep.params as f64 / M, 4.2, 1);
}

#[test]
fn table_6_width_multiplier() {
    for (alpha, macs, params) in [(1.0, 569.0, 4.2), (0.75, 325.0, 2.6), (0.5, 149.0, 1.3), (0.25, 41.0, 0.5)]
    {
        let c = mobilenet_v1(alpha, 224, 1000).unwrap();
        check("Table 6", &format!("{alpha} macs M"), c.macs as f64 / M, macs, 0);
        check("Table 6", &format!("{alpha} params M"), c.params as f64 / M, params, 1);
    }
}

#[test]
fn table_7_resolution() {
    for (r, macs) in [(224, 569.0), (192, 418.0), (160, 290.0), (128, 186.0)] {
        let c = mobilenet_v1(1.0, r, 1000).unwrap();
        // Table 7 prints 290 for 160 where the count is 290.7: within the paper's truncation,
        // so the comparison there is to the floor (TensorFlow's table prints the rounded 291).
        let count = c.macs as f64 / M;
        if r == 160 {
            assert_eq!(count.floor(), macs, "Table 7 at 160 truncates 290.7 to 290");
            check("TF", "1/160 macs M", count, 291.0, 0);
        } else {
            check("Table 7", &format!("{r} macs M"), count, macs, 0);
        }
        check("Table 7", &format!("{r} params M"), c.params as f64 / M, 4.2, 1);
    }
}

#[test]
fn tensorflow_table_macs() {
    let rows: [(f64, [f64; 4]); 4] = [
        (1.0, [569.0, 418.0, 291.0, 186.0]),
        (0.75, [317.0, 233.0, 162.0, 104.0]),
        (0.5, [150.0, 110.0, 77.0, 49.0]),
        (0.25, [41.0, 34.0, 21.0, 14.0]),
    ];
    for (alpha, printed) in rows {
        for (r, p) in [224, 192, 160, 128].into_iter().zip(printed) {
            let c = mobilenet_v1(alpha, r, 1000).unwrap();
            check("TF", &format!("{alpha}/{r} macs M"), c.macs as f64 / M, p, 0);
        }
    }
}

#[test]
fn cost_scales_with_alpha_squared_and_rho_squared() {
    let full = mobilenet_v1(1.0, 224, 1000).unwrap().macs as f64;
    let half = mobilenet_v1(0.5, 224, 1000).unwrap().macs as f64;
    assert!((half / full - 0.25).abs() < 0.02);
    let large = mobilenet_v1(1.0, 448, 1000).unwrap().macs as f64;
    assert!((large / full - 4.0).abs() < 0.01, "{}", large / full);
}

#[test]
fn bad_arguments_are_typed_errors() {
    use mobilenet_wasm::Error;
    assert!(
        matches!(mobilenet_v1(0.0, 224, 1000), Err(Error::InputInvalid(d)) if d.what == "width_multiplier")
    );
    assert!(
        matches!(mobilenet_v1(f64::NAN, 224, 1000), Err(Error::InputInvalid(d)) if d.what == "width_multiplier")
    );
    assert!(matches!(mobilenet_v1(1.0, 0, 1000), Err(Error::InputInvalid(d)) if d.what == "resolution"));
    assert!(matches!(mobilenet_v1(1.0, 224, 0), Err(Error::InputInvalid(d)) if d.what == "classes"));
}
