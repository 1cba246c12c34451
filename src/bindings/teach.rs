//! The classifier users teach (see [`crate::teach`]), for the package's `MobileNetClassifier`.
//!
//! A `Teacher` lives in the same wasm instance as the `Engine` whose embeddings it stores: it
//! reads the engine's feature buffer (filled by `embedInPlace`) directly, so adding an example
//! or predicting copies nothing across the JavaScript boundary but the result.

use super::{Engine, json, to_js};
use crate::error::{invalid_input, invalid_state};
use crate::teach::{Head, Knn, TrainOptions, Vote, train_softmax};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct Teacher {
    knn: Knn,
    head: Option<Head>,
    votes: Vec<Vote>,
    /// Scratch the results are read from: `2 × labels` floats (k-NN: score, similarity) or
    /// `labels` probabilities (head).
    out: Vec<f32>,
}

impl Teacher {
    fn features<'a>(&self, engine: &'a Engine) -> Result<&'a [f32], JsValue> {
        if engine.features.len() != self.knn.dim() {
            return Err(to_js(
                invalid_input("embedding_features").found(engine.features.len()).expected(self.knn.dim()),
            ));
        }
        Ok(&engine.features)
    }
}

#[wasm_bindgen]
impl Teacher {
    /// A classifier for embeddings of `dim` features.
    #[wasm_bindgen(constructor)]
    pub fn new(dim: usize) -> Result<Teacher, JsValue> {
        Ok(Teacher { knn: Knn::new(dim).map_err(to_js)?, head: None, votes: Vec::new(), out: Vec::new() })
    }

    /// Stored examples.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.knn.len()
    }

    /// Stores the embedding in `engine`'s feature buffer (from its last `embedInPlace`) with
    /// `label`. Drops the trained head (it no longer describes the examples).
    #[wasm_bindgen(js_name = addFromEngine)]
    pub fn add_from_engine(&mut self, engine: &Engine, label: u32) -> Result<(), JsValue> {
        let f = self.features(engine)?;
        self.knn.add(f, label).map_err(to_js)?;
        self.head = None;
        Ok(())
    }

    /// Stores `vectors.len() / dim` embeddings (row-major) with their labels (restoring a saved
    /// classifier). All or nothing.
    #[wasm_bindgen(js_name = addVectors)]
    pub fn add_vectors(&mut self, vectors: &[f32], labels: &[u32]) -> Result<(), JsValue> {
        let dim = self.knn.dim();
        if vectors.len() != labels.len() * dim {
            return Err(to_js(
                invalid_input("embedding_values")
                    .found(vectors.len())
                    .expected(format!("{} embeddings × {dim} features", labels.len())),
            ));
        }
        let before = self.knn.clone();
        for (row, &l) in vectors.chunks_exact(dim).zip(labels) {
            if let Err(e) = self.knn.add(row, l) {
                self.knn = before;
                return Err(to_js(e));
            }
        }
        self.head = None;
        Ok(())
    }

    /// Classifies `engine`'s current embedding by its `k` nearest examples; returns the address
    /// of `2 × labels` floats: for each label the share of the k votes and the best similarity.
    #[wasm_bindgen(js_name = predictKnn)]
    pub fn predict_knn(&mut self, engine: &Engine, k: usize, labels: usize) -> Result<usize, JsValue> {
        let f = self.features(engine)?;
        self.votes.resize(labels, Vote::default());
        self.knn.predict(f, k, &mut self.votes).map_err(to_js)?;
        self.out.clear();
        for v in &self.votes {
            self.out.push(v.score);
            self.out.push(v.similarity);
        }
        Ok(self.out.as_ptr() as usize)
    }

    /// The trained head's probabilities for `engine`'s current embedding; returns the address of
    /// `classes` floats.
    #[wasm_bindgen(js_name = predictHead)]
    pub fn predict_head(&mut self, engine: &Engine) -> Result<usize, JsValue> {
        let f = self.features(engine)?;
        let head = self
            .head
            .as_ref()
            .ok_or_else(|| to_js(invalid_state("no_trained_head").expected("train() first")))?;
        self.out.resize(head.classes, 0.0);
        head.probabilities(f, &mut self.out).map_err(to_js)?;
        Ok(self.out.as_ptr() as usize)
    }

    /// Whether a trained head is in place.
    #[wasm_bindgen(getter, js_name = hasHead)]
    pub fn has_head(&self) -> bool {
        self.head.is_some()
    }

    /// Removes the examples of `label` (labels above it move down by one); drops the head.
    /// Returns how many were removed.
    #[wasm_bindgen(js_name = removeLabel)]
    pub fn remove_label(&mut self, label: u32) -> usize {
        self.head = None;
        self.knn.remove_label(label)
    }

    /// Removes every example and the head.
    pub fn clear(&mut self) {
        self.head = None;
        self.knn.clear();
    }

    /// Fits a softmax head on the stored examples (labels `0..classes`) and keeps it; returns
    /// the training statistics as JSON.
    pub fn train(
        &mut self,
        classes: usize,
        epochs: usize,
        batch_size: usize,
        learning_rate: f32,
        l2: f32,
        seed: f64,
    ) -> Result<String, JsValue> {
        if !(seed >= 0.0 && seed <= 2f64.powi(53) && seed.fract() == 0.0) {
            return Err(to_js(invalid_input("seed").found(seed).expected("an integer from 0 to 2^53")));
        }
        let opts = TrainOptions { epochs, batch_size, learning_rate, l2, seed: seed as u64 };
        let (data, labels) = self.knn.examples();
        let (head, stats) = train_softmax(data, labels, self.knn.dim(), classes, &opts).map_err(to_js)?;
        self.head = Some(head);
        json(&stats)
    }

    /// The head's weights (`classes × features`, row-major); empty without a head.
    #[wasm_bindgen(js_name = headWeights)]
    pub fn head_weights(&self) -> Vec<f32> {
        self.head.as_ref().map_or(Vec::new(), |h| h.weights.clone())
    }

    /// The head's biases (`classes`); empty without a head.
    #[wasm_bindgen(js_name = headBias)]
    pub fn head_bias(&self) -> Vec<f32> {
        self.head.as_ref().map_or(Vec::new(), |h| h.bias.clone())
    }

    /// Puts a head in place (restoring a saved classifier).
    #[wasm_bindgen(js_name = setHead)]
    pub fn set_head(&mut self, classes: usize, weights: Vec<f32>, bias: Vec<f32>) -> Result<(), JsValue> {
        self.head = Some(Head::new(classes, self.knn.dim(), weights, bias).map_err(to_js)?);
        Ok(())
    }
}
