//! Where the test data lives, and helpers shared by the integration tests.
//!
//! Models: `$MOBILENET_MODELS`, else `../shared/models` beside the repository.
//! Reference outputs: `$MOBILENET_REFERENCE`, else `../shared/reference`.
//! A test that needs data that is missing fails with a message naming the path and the variable.
#![allow(dead_code)]

pub mod tiny;

use std::path::PathBuf;

fn dir(var: &str, default: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(default),
    }
}

pub fn models_dir() -> PathBuf {
    dir("MOBILENET_MODELS", "../shared/models")
}

pub fn reference_dir() -> PathBuf {
    dir("MOBILENET_REFERENCE", "../shared/reference")
}

pub fn images_dir() -> PathBuf {
    dir("MOBILENET_IMAGES", "../shared/images")
}

/// Reads a data file or fails saying exactly what is missing.
pub fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "missing test data {}: {e}. The models, images and reference outputs live in \
             ../shared (or set MOBILENET_MODELS / MOBILENET_REFERENCE / MOBILENET_IMAGES); \
             `./build.sh models` fetches the official models when online.",
            path.display()
        )
    })
}

pub fn model_bytes(name: &str) -> Vec<u8> {
    read(&models_dir().join(format!("{name}.tflite")))
}

pub fn manifest() -> serde_json::Value {
    let bytes = read(&reference_dir().join("manifest.json"));
    serde_json::from_slice(&bytes).expect("manifest.json is valid JSON")
}

pub const MODELS: [&str; 8] = [
    "mobilenet_v1_0.25_128_quant",
    "mobilenet_v1_0.5_160_quant",
    "mobilenet_v1_0.75_192_quant",
    "mobilenet_v1_1.0_224_quant",
    "mobilenet_v1_0.25_128_float",
    "mobilenet_v1_0.5_160_float",
    "mobilenet_v1_0.75_192_float",
    "mobilenet_v1_1.0_224_float",
];

pub fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// Top-k indices: score descending, ties by lower index.
pub fn top_k<T: PartialOrd + Copy>(scores: &[T], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].partial_cmp(&scores[a]).unwrap().then(a.cmp(&b)));
    idx.truncate(k);
    idx
}
