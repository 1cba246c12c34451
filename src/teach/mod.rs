//! Teaching your own classes on top of the embedding: a k-nearest-neighbour store searched by
//! cosine similarity, and a softmax layer trained on the stored examples.
//!
//! Examples are the feature vectors [`crate::Session::embed_rgba`] writes — the final average
//! pool's output, dequantized to floats for uint8 models — stored as given (row-major, one row
//! per example) with the inverse of each row's norm, so that a query costs one matrix-vector
//! product: `cos(x_i, q) = (x_i · q̂) / |x_i|`. The trained head applies to the same raw
//! embeddings: `logits = W·e + b`, `W` row-major `classes × features`.
//!
//! Everything here is plain `f32` arithmetic in a fixed order (no fused multiply-add, no
//! threads): the same inputs give the same bits on every run. The k-NN uses only `+ × / sqrt`
//! (IEEE-exact everywhere); training also calls `exp`, whose last bit may differ between the
//! native and the wasm math library.

mod train;

pub use train::{Head, TrainOptions, TrainStats, train_softmax};

use crate::error::{Result, invalid_input, invalid_state};

/// Dot product in a fixed order: 8 running partial sums (which the compiler maps to SIMD
/// lanes), summed pairwise at the end.
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// The examples of a k-NN classifier: embeddings with integer labels `0..classes`.
#[derive(Debug, Clone, Default)]
pub struct Knn {
    dim: usize,
    /// `len × dim` raw embeddings, row-major.
    data: Vec<f32>,
    /// `1 / |row|` (0 for an all-zero row, whose similarity is 0 to everything).
    inv_norms: Vec<f32>,
    labels: Vec<u32>,
    /// Scratch: one similarity per example, and the normalised query.
    sims: Vec<f32>,
    unit: Vec<f32>,
}

/// The k nearest examples' verdict for one label.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Vote {
    /// How many of the k nearest examples carry the label, divided by k (0 when none does).
    pub score: f32,
    /// The highest cosine similarity of the query to an example of the label (−1 … 1; −1
    /// when the label has no example).
    pub similarity: f32,
}

impl Knn {
    /// An empty store for `dim`-long embeddings.
    ///
    /// # Errors
    /// [`Error::InputInvalid`] for `dim == 0`.
    pub fn new(dim: usize) -> Result<Knn> {
        if dim == 0 {
            return Err(invalid_input("features").found(0usize).expected("at least 1"));
        }
        Ok(Knn { dim, ..Knn::default() })
    }

    /// Features per embedding.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of stored examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether no example is stored.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The stored embeddings (`len × dim`, row-major) and their labels.
    pub fn examples(&self) -> (&[f32], &[u32]) {
        (&self.data, &self.labels)
    }

    /// Examples with label `label`.
    pub fn count(&self, label: u32) -> usize {
        self.labels.iter().filter(|&&l| l == label).count()
    }

    /// Stores one example.
    ///
    /// # Errors
    /// [`Error::InputInvalid`] for an embedding of the wrong length or with a NaN or infinite
    /// value.
    pub fn add(&mut self, embedding: &[f32], label: u32) -> Result<()> {
        if embedding.len() != self.dim {
            return Err(invalid_input("embedding_features").found(embedding.len()).expected(self.dim));
        }
        let norm = dot(embedding, embedding).sqrt();
        if !norm.is_finite() {
            return Err(
                invalid_input("embedding_not_finite").expected("finite values whose norm does not overflow")
            );
        }
        self.data.extend_from_slice(embedding);
        self.inv_norms.push(if norm > 0.0 { 1.0 / norm } else { 0.0 });
        self.labels.push(label);
        Ok(())
    }

    /// Removes every example of `label` and renumbers the labels above it down by one (so
    /// labels stay `0..classes`). Returns how many examples were removed.
    pub fn remove_label(&mut self, label: u32) -> usize {
        let dim = self.dim;
        let mut kept = 0;
        for i in 0..self.labels.len() {
            let l = self.labels[i];
            if l == label {
                continue;
            }
            if kept != i {
                self.data.copy_within(i * dim..(i + 1) * dim, kept * dim);
                self.inv_norms[kept] = self.inv_norms[i];
            }
            self.labels[kept] = if l > label { l - 1 } else { l };
            kept += 1;
        }
        let removed = self.labels.len() - kept;
        self.labels.truncate(kept);
        self.inv_norms.truncate(kept);
        self.data.truncate(kept * dim);
        removed
    }

    /// Removes every example.
    pub fn clear(&mut self) {
        self.data.clear();
        self.inv_norms.clear();
        self.labels.clear();
    }

    /// The cosine similarity of `query` to every stored example (one matrix-vector product).
    ///
    /// # Errors
    /// [`Error::InputInvalid`] for a query of the wrong length or with a NaN or infinite value.
    pub fn similarities(&mut self, query: &[f32]) -> Result<&[f32]> {
        if query.len() != self.dim {
            return Err(invalid_input("query_features").found(query.len()).expected(self.dim));
        }
        let qn = dot(query, query).sqrt();
        if !qn.is_finite() {
            return Err(
                invalid_input("query_not_finite").expected("finite values whose norm does not overflow")
            );
        }
        // The query normalised first: |row · q̂| ≤ |row|, which is finite (checked in add).
        let qi = if qn > 0.0 { 1.0 / qn } else { 0.0 };
        self.unit.clear();
        self.unit.extend(query.iter().map(|v| v * qi));
        self.sims.clear();
        for (row, &inv) in self.data.chunks_exact(self.dim).zip(&self.inv_norms) {
            self.sims.push(dot(row, &self.unit) * inv);
        }
        Ok(&self.sims)
    }

    /// Classifies `query` by its `k` nearest examples (cosine similarity; ties by lower example
    /// index), writing one [`Vote`] per label `0..votes.len()`.
    ///
    /// # Errors
    /// [`Error::InvalidState`] with no example; [`Error::InputInvalid`] for `k == 0` or a bad
    /// query (see [`Knn::similarities`]) or a stored label ≥ `votes.len()`.
    pub fn predict(&mut self, query: &[f32], k: usize, votes: &mut [Vote]) -> Result<()> {
        if self.is_empty() {
            return Err(invalid_state("no_examples").expected("examples added first"));
        }
        if k == 0 {
            return Err(invalid_input("k").found(0usize).expected("at least 1"));
        }
        if let Some(&l) = self.labels.iter().find(|&&l| l as usize >= votes.len()) {
            return Err(invalid_input("label").found(l).expected(format!("below {}", votes.len())));
        }
        self.similarities(query)?;
        let k = k.min(self.len());
        // The k best (similarity descending, lower index first on ties), by insertion.
        let mut best: Vec<usize> = Vec::with_capacity(k + 1);
        for (i, &s) in self.sims.iter().enumerate() {
            if best.len() == k && s <= self.sims[best[k - 1]] {
                continue;
            }
            let mut j = best.len().min(k - 1);
            if best.len() < k {
                best.push(i);
            }
            while j > 0 && s > self.sims[best[j - 1]] {
                best[j] = best[j - 1];
                j -= 1;
            }
            best[j] = i;
        }
        for v in votes.iter_mut() {
            *v = Vote { score: 0.0, similarity: -1.0 };
        }
        for &i in &best {
            votes[self.labels[i] as usize].score += 1.0;
        }
        for v in votes.iter_mut() {
            v.score /= k as f32;
        }
        for (&l, &s) in self.labels.iter().zip(&self.sims) {
            let v = &mut votes[l as usize];
            if s > v.similarity {
                v.similarity = s;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn rng(seed: &mut u64) -> f32 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32) / (1u64 << 24) as f32
    }

    #[test]
    fn dot_matches_naive_sum() {
        let mut s = 7;
        for n in [0, 1, 7, 8, 9, 31, 1024] {
            let a: Vec<f32> = (0..n).map(|_| rng(&mut s) - 0.5).collect();
            let b: Vec<f32> = (0..n).map(|_| rng(&mut s) - 0.5).collect();
            let naive: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
            assert!((f64::from(dot(&a, &b)) - naive).abs() < 1e-4, "n = {n}");
        }
    }

    #[test]
    fn cosine_similarity_ignores_scale() {
        let mut knn = Knn::new(3).unwrap();
        knn.add(&[1.0, 0.0, 0.0], 0).unwrap();
        knn.add(&[0.0, 5.0, 0.0], 1).unwrap();
        knn.add(&[3.0, 3.0, 0.0], 2).unwrap();
        knn.add(&[0.0, 0.0, 0.0], 3).unwrap();
        let s = knn.similarities(&[10.0, 0.0, 0.0]).unwrap().to_vec();
        assert_eq!(s[0], 1.0);
        assert_eq!(s[1], 0.0);
        assert!((s[2] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        assert_eq!(s[3], 0.0);
    }

    #[test]
    fn k_nearest_vote_and_best_similarity() {
        let mut knn = Knn::new(2).unwrap();
        // Label 0 around (1, 0), label 1 around (0, 1).
        for (x, y, l) in [(1.0, 0.1, 0), (1.0, -0.1, 0), (1.0, 0.0, 0), (0.1, 1.0, 1), (-0.1, 1.0, 1)] {
            knn.add(&[x, y], l).unwrap();
        }
        let mut votes = [Vote::default(); 2];
        knn.predict(&[1.0, 0.2], 3, &mut votes).unwrap();
        assert_eq!(votes[0].score, 1.0);
        assert_eq!(votes[1].score, 0.0);
        assert!(votes[0].similarity > 0.99 && votes[1].similarity < 0.4);
        // k = 5 takes everything: 3 vs 2.
        knn.predict(&[0.0, 1.0], 5, &mut votes).unwrap();
        assert_eq!((votes[0].score, votes[1].score), (0.6, 0.4));
        // k = 2 near label 1.
        knn.predict(&[0.0, 1.0], 2, &mut votes).unwrap();
        assert_eq!((votes[0].score, votes[1].score), (0.0, 1.0));
        // k beyond the examples is clamped.
        knn.predict(&[0.0, 1.0], 100, &mut votes).unwrap();
        assert_eq!((votes[0].score, votes[1].score), (0.6, 0.4));
    }

    #[test]
    fn nearest_neighbour_matches_brute_force_on_random_data() {
        let mut s = 42;
        let dim = 64;
        let mut knn = Knn::new(dim).unwrap();
        let rows: Vec<Vec<f32>> = (0..500).map(|_| (0..dim).map(|_| rng(&mut s)).collect()).collect();
        for (i, r) in rows.iter().enumerate() {
            knn.add(r, (i % 5) as u32).unwrap();
        }
        for _ in 0..20 {
            let q: Vec<f32> = (0..dim).map(|_| rng(&mut s)).collect();
            let cos = |r: &Vec<f32>| {
                let d: f64 = r.iter().zip(&q).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum();
                let n = |v: &[f32]| v.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>().sqrt();
                d / (n(r) * n(&q))
            };
            let mut order: Vec<usize> = (0..rows.len()).collect();
            order.sort_by(|&a, &b| cos(&rows[b]).partial_cmp(&cos(&rows[a])).unwrap());
            let mut votes = [Vote::default(); 5];
            knn.predict(&q, 1, &mut votes).unwrap();
            let want = order[0] % 5;
            assert_eq!(votes[want].score, 1.0);
            assert!((f64::from(votes[want].similarity) - cos(&rows[order[0]])).abs() < 1e-5);
        }
    }

    #[test]
    fn remove_label_renumbers_and_clear_empties() {
        let mut knn = Knn::new(1).unwrap();
        for (v, l) in [(1.0, 0), (2.0, 1), (3.0, 2), (4.0, 1), (5.0, 0)] {
            knn.add(&[v], l).unwrap();
        }
        assert_eq!(knn.remove_label(1), 2);
        let (data, labels) = knn.examples();
        assert_eq!(data, &[1.0, 3.0, 5.0]);
        assert_eq!(labels, &[0, 1, 0]);
        assert_eq!(knn.count(0), 2);
        assert_eq!(knn.count(1), 1);
        assert_eq!(knn.remove_label(7), 0);
        knn.clear();
        assert!(knn.is_empty());
        let mut votes = [Vote::default(); 2];
        assert!(
            matches!(knn.predict(&[1.0], 1, &mut votes), Err(Error::InvalidState(d)) if d.what == "no_examples")
        );
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        assert!(matches!(Knn::new(0), Err(Error::InputInvalid(d)) if d.what == "features"));
        let mut knn = Knn::new(2).unwrap();
        assert!(matches!(knn.add(&[1.0], 0), Err(Error::InputInvalid(d)) if d.what == "embedding_features"));
        assert!(
            matches!(knn.add(&[1.0, f32::NAN], 0), Err(Error::InputInvalid(d)) if d.what == "embedding_not_finite")
        );
        assert!(
            matches!(knn.add(&[1e30, 1e30], 0), Err(Error::InputInvalid(d)) if d.what == "embedding_not_finite"),
            "the norm overflows"
        );
        knn.add(&[1.0, 1.0], 3).unwrap();
        let mut votes = [Vote::default(); 2];
        assert!(
            matches!(knn.predict(&[1.0, 1.0], 1, &mut votes), Err(Error::InputInvalid(d)) if d.what == "label")
        );
        let mut votes = [Vote::default(); 4];
        assert!(
            matches!(knn.predict(&[1.0, 1.0], 0, &mut votes), Err(Error::InputInvalid(d)) if d.what == "k")
        );
        assert!(
            matches!(knn.predict(&[1.0], 1, &mut votes), Err(Error::InputInvalid(d)) if d.what == "query_features")
        );
        assert!(
            matches!(knn.predict(&[f32::INFINITY, 1.0], 1, &mut votes), Err(Error::InputInvalid(d)) if d.what == "query_not_finite")
        );
        knn.predict(&[1.0, 1.0], 1, &mut votes).unwrap();
        assert_eq!(votes[3].score, 1.0);
    }
}
