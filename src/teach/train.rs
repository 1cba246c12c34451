//! A softmax layer (multinomial logistic regression) fitted to stored embeddings: seeded
//! mini-batch Adam on centred, scaled features, folded back into a head on the raw embeddings.

use super::dot;
use crate::error::{Real, Result, invalid_input, invalid_state};

/// A linear head on raw embeddings: `logits = W·e + b`, `W` row-major `classes × features`.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub classes: usize,
    pub features: usize,
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

impl Head {
    /// Checks the sizes and values.
    ///
    /// # Errors
    /// [`Error::InputInvalid`] for sizes that do not match or a NaN or infinite value.
    pub fn new(classes: usize, features: usize, weights: Vec<f32>, bias: Vec<f32>) -> Result<Head> {
        if classes == 0 || features == 0 || weights.len() != classes * features || bias.len() != classes {
            return Err(invalid_input("head_size")
                .found([weights.len(), bias.len()])
                .expected(format!("[{}, {classes}] weights and biases for {classes} classes × {features} features, each at least 1", classes.saturating_mul(features))));
        }
        if weights.iter().chain(&bias).any(|v| !v.is_finite()) {
            return Err(invalid_input("head_not_finite").expected("finite weights and biases"));
        }
        Ok(Head { classes, features, weights, bias })
    }

    /// `W·e + b` into `out` (`classes` values).
    pub fn logits(&self, e: &[f32], out: &mut [f32]) {
        for ((o, row), b) in out.iter_mut().zip(self.weights.chunks_exact(self.features)).zip(&self.bias) {
            *o = dot(row, e) + b;
        }
    }

    /// The softmax of the logits into `out` (`classes` probabilities).
    ///
    /// # Errors
    /// [`Error::InputInvalid`] for an embedding of the wrong length or with NaN or infinite values.
    pub fn probabilities(&self, e: &[f32], out: &mut [f32]) -> Result<()> {
        if e.len() != self.features || out.len() != self.classes {
            return Err(invalid_input("embedding_and_scores")
                .found([e.len(), out.len()])
                .expected([self.features, self.classes]));
        }
        if e.iter().any(|v| !v.is_finite()) {
            return Err(invalid_input("embedding_not_finite").expected("finite values"));
        }
        self.logits(e, out);
        softmax(out);
        Ok(())
    }
}

/// In place, stable (the maximum subtracted first).
fn softmax(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

/// How to train.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainOptions {
    /// Passes over the examples (default 60).
    pub epochs: usize,
    /// Examples per step (default 16).
    pub batch_size: usize,
    /// Adam's step size (default 0.01).
    pub learning_rate: f32,
    /// L2 penalty on the weights (default 0.001).
    pub l2: f32,
    /// Seed of the order examples are visited in (default 1).
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions { epochs: 60, batch_size: 16, learning_rate: 0.01, l2: 0.001, seed: 1 }
    }
}

/// What training did.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TrainStats {
    pub examples: usize,
    pub epochs: usize,
    pub steps: usize,
    /// Mean cross-entropy over all examples after training (without the penalty).
    pub loss: f64,
    /// Fraction of the examples the head labels right.
    pub accuracy: f64,
}

/// SplitMix64: a seeded, portable generator for the visiting order.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n ≥ 1), by rejection (no modulo bias).
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.next();
            if v < zone {
                return (v % n) as usize;
            }
        }
    }
}

/// Fits a softmax layer to `labels.len()` embeddings of `dim` features (`data`, row-major),
/// labels `0..classes`. Deterministic: the same inputs and options give the same head.
///
/// # Errors
/// [`Error::InvalidState`] with fewer than 2 classes or a class without examples;
/// [`Error::InputInvalid`] for sizes that do not match, a label ≥ `classes`, non-finite
/// values, or options out of range (`epochs` 1..=10 000, `batch_size` ≥ 1, `learning_rate` in
/// (0, 10], `l2` in [0, 10]).
pub fn train_softmax(
    data: &[f32],
    labels: &[u32],
    dim: usize,
    classes: usize,
    opts: &TrainOptions,
) -> Result<(Head, TrainStats)> {
    let n = labels.len();
    if dim == 0 || data.len() != n * dim {
        return Err(invalid_input("embedding_values")
            .found(data.len())
            .expected(format!("{n} embeddings × {dim} features (at least 1)")));
    }
    if !(1..=10_000).contains(&opts.epochs) || opts.batch_size == 0 {
        return Err(invalid_input("epochs_or_batch_size")
            .found([opts.epochs, opts.batch_size])
            .expected("epochs 1 to 10000 and batchSize at least 1"));
    }
    let (lr, l2) = (opts.learning_rate, opts.l2);
    if !(lr > 0.0 && lr <= 10.0 && (0.0..=10.0).contains(&l2)) {
        return Err(invalid_input("learning_rate_or_l2")
            .found(format!("learningRate {}, l2 {}", Real::from(lr), Real::from(l2)))
            .expected("learningRate in (0, 10] and l2 in [0, 10]"));
    }
    if classes < 2 {
        return Err(invalid_state("labels_with_examples").found(classes).expected("at least 2"));
    }
    let mut counts = vec![0usize; classes];
    for &l in labels {
        let Some(c) = counts.get_mut(l as usize) else {
            return Err(invalid_input("label").found(l).expected(format!("below {classes}")));
        };
        *c += 1;
    }
    if let Some(empty) = counts.iter().position(|&c| c == 0) {
        return Err(invalid_state("label_without_examples").found(empty));
    }
    if data.iter().any(|v| !v.is_finite()) {
        return Err(invalid_input("embedding_not_finite").expected("finite values"));
    }

    // Centre each feature and scale all by one factor (the RMS of the centred values): the
    // optimiser sees well-conditioned inputs; the head is folded back onto raw embeddings.
    let mut mean = vec![0.0f32; dim];
    for row in data.chunks_exact(dim) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    for m in &mut mean {
        *m /= n as f32;
    }
    let mut z = data.to_vec();
    let mut sq = 0.0f64;
    for row in z.chunks_exact_mut(dim) {
        for (v, m) in row.iter_mut().zip(&mean) {
            *v -= m;
            sq += f64::from(*v) * f64::from(*v);
        }
    }
    let rms = (sq / (n * dim) as f64).sqrt() as f32;
    let scale = if rms > 0.0 { 1.0 / rms } else { 1.0 };
    for v in &mut z {
        *v *= scale;
    }

    let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    let mut w = vec![0.0f32; classes * dim];
    let mut b = vec![0.0f32; classes];
    let (mut mw, mut vw) = (vec![0.0f32; w.len()], vec![0.0f32; w.len()]);
    let (mut mb, mut vb) = (vec![0.0f32; classes], vec![0.0f32; classes]);
    let (mut gw, mut gb) = (vec![0.0f32; w.len()], vec![0.0f32; classes]);
    let mut p = vec![0.0f32; classes];
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix(opts.seed);
    let (mut b1t, mut b2t) = (1.0f32, 1.0f32);
    let mut steps = 0;
    for _ in 0..opts.epochs {
        for i in (1..n).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for batch in order.chunks(opts.batch_size) {
            gw.fill(0.0);
            gb.fill(0.0);
            for &i in batch {
                let x = &z[i * dim..(i + 1) * dim];
                for ((pc, row), bc) in p.iter_mut().zip(w.chunks_exact(dim)).zip(&b) {
                    *pc = dot(row, x) + bc;
                }
                softmax(&mut p);
                p[labels[i] as usize] -= 1.0;
                for ((g, grow), gbc) in p.iter().zip(gw.chunks_exact_mut(dim)).zip(&mut gb) {
                    *gbc += g;
                    for (gv, xv) in grow.iter_mut().zip(x) {
                        *gv += g * xv;
                    }
                }
            }
            let inv = 1.0 / batch.len() as f32;
            steps += 1;
            b1t *= b1;
            b2t *= b2;
            let lr = opts.learning_rate * (1.0 - b2t).sqrt() / (1.0 - b1t);
            let adam = |param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], l2: f32| {
                for (((pv, &g), mv), vv) in param.iter_mut().zip(grad).zip(m.iter_mut()).zip(v.iter_mut()) {
                    let g = g * inv + l2 * *pv;
                    *mv = b1 * *mv + (1.0 - b1) * g;
                    *vv = b2 * *vv + (1.0 - b2) * g * g;
                    *pv -= lr * *mv / (vv.sqrt() + eps);
                }
            };
            adam(&mut w, &gw, &mut mw, &mut vw, opts.l2);
            adam(&mut b, &gb, &mut mb, &mut vb, 0.0);
        }
    }

    // Loss and accuracy on the examples.
    let mut loss = 0.0f64;
    let mut right = 0;
    for (i, &l) in labels.iter().enumerate() {
        let x = &z[i * dim..(i + 1) * dim];
        for ((pc, row), bc) in p.iter_mut().zip(w.chunks_exact(dim)).zip(&b) {
            *pc = dot(row, x) + bc;
        }
        softmax(&mut p);
        loss -= f64::from(p[l as usize].max(1e-30)).ln();
        let best = (0..classes).fold(0, |a, c| if p[c] > p[a] { c } else { a });
        right += usize::from(best == l as usize);
    }

    // Fold the centring and scaling in: W·((e − μ)·s) + b = (s·W)·e + (b − s·W·μ).
    for row in w.chunks_exact_mut(dim) {
        for v in row.iter_mut() {
            *v *= scale;
        }
    }
    for (bc, row) in b.iter_mut().zip(w.chunks_exact(dim)) {
        *bc -= dot(row, &mean);
    }
    let stats = TrainStats {
        examples: n,
        epochs: opts.epochs,
        steps,
        loss: loss / n as f64,
        accuracy: right as f64 / n as f64,
    };
    Ok((Head::new(classes, dim, w, b)?, stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    /// Gaussian-ish clusters: class c around a random centre, `per` points each.
    fn clusters(classes: usize, per: usize, dim: usize, spread: f32, seed: u64) -> (Vec<f32>, Vec<u32>) {
        let mut r = SplitMix(seed);
        let mut u = move || (r.next() >> 40) as f32 / (1u64 << 24) as f32;
        let centres: Vec<Vec<f32>> = (0..classes).map(|_| (0..dim).map(|_| 6.0 * u()).collect()).collect();
        let (mut data, mut labels) = (vec![], vec![]);
        for i in 0..classes * per {
            let c = i % classes;
            for &centre in &centres[c] {
                let noise = (u() + u() + u() - 1.5) * spread;
                data.push((centre + noise).max(0.0));
            }
            labels.push(c as u32);
        }
        (data, labels)
    }

    fn argmax(v: &[f32]) -> usize {
        (0..v.len()).fold(0, |a, c| if v[c] > v[a] { c } else { a })
    }

    #[test]
    fn separable_clusters_are_learned_and_generalise() {
        let dim = 256;
        let (data, labels) = clusters(3, 60, dim, 2.0, 5);
        let (head, stats) = train_softmax(&data, &labels, dim, 3, &TrainOptions::default()).unwrap();
        assert_eq!(stats.accuracy, 1.0);
        assert!(stats.loss < 0.05, "loss {}", stats.loss);
        assert_eq!(stats.steps, 60 * (180usize).div_ceil(16));
        // Fresh points from the same clusters (same centres: same seed, more points).
        let (test, tl) = clusters(3, 100, dim, 2.0, 5);
        let mut p = vec![0.0; 3];
        for (row, &l) in test.chunks_exact(dim).zip(&tl).skip(180) {
            head.probabilities(row, &mut p).unwrap();
            assert_eq!(argmax(&p), l as usize);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn the_head_applies_to_raw_embeddings() {
        // The folded head on raw data gives the same logits as the trained one on centred,
        // scaled data: check through accuracy on the raw training data itself.
        let dim = 32;
        let (data, labels) = clusters(4, 20, dim, 1.0, 9);
        let (head, stats) = train_softmax(&data, &labels, dim, 4, &TrainOptions::default()).unwrap();
        let mut logits = vec![0.0; 4];
        let mut right = 0;
        for (row, &l) in data.chunks_exact(dim).zip(&labels) {
            head.logits(row, &mut logits);
            right += usize::from(argmax(&logits) == l as usize);
        }
        assert_eq!(right as f64 / labels.len() as f64, stats.accuracy);
        assert_eq!(stats.accuracy, 1.0);
    }

    #[test]
    fn deterministic_for_a_seed_and_the_seed_matters() {
        let dim = 64;
        let (data, labels) = clusters(3, 30, dim, 3.0, 11);
        let o = TrainOptions { epochs: 10, ..TrainOptions::default() };
        let (a, sa) = train_softmax(&data, &labels, dim, 3, &o).unwrap();
        let (b, sb) = train_softmax(&data, &labels, dim, 3, &o).unwrap();
        assert_eq!(a, b);
        assert_eq!(sa, sb);
        let (c, _) = train_softmax(&data, &labels, dim, 3, &TrainOptions { seed: 2, ..o }).unwrap();
        assert_ne!(a.weights, c.weights, "another seed visits the examples in another order");
    }

    #[test]
    fn typed_errors() {
        let o = TrainOptions::default();
        let one = train_softmax(&[1.0, 2.0], &[0], 2, 1, &o);
        assert!(matches!(&one, Err(Error::InvalidState(d)) if d.what == "labels_with_examples"), "{one:?}");
        let empty_class = train_softmax(&[1.0, 2.0, 3.0, 4.0], &[0, 0], 2, 2, &o);
        assert!(matches!(empty_class, Err(Error::InvalidState(d)) if d.what == "label_without_examples"));
        assert!(
            matches!(train_softmax(&[1.0; 3], &[0, 1], 2, 2, &o), Err(Error::InputInvalid(d)) if d.what == "embedding_values")
        );
        assert!(
            matches!(train_softmax(&[1.0; 4], &[0, 5], 2, 2, &o), Err(Error::InputInvalid(d)) if d.what == "label")
        );
        assert!(matches!(
            train_softmax(&[1.0, f32::NAN, 1.0, 1.0], &[0, 1], 2, 2, &o),
            Err(Error::InputInvalid(d)) if d.what == "embedding_not_finite"
        ));
        for bad in [
            TrainOptions { epochs: 0, ..o },
            TrainOptions { batch_size: 0, ..o },
            TrainOptions { learning_rate: f32::NAN, ..o },
            TrainOptions { learning_rate: 0.0, ..o },
            TrainOptions { l2: -1.0, ..o },
        ] {
            assert!(
                matches!(train_softmax(&[1.0; 4], &[0, 1], 2, 2, &bad), Err(Error::InputInvalid(d))
                    if d.what == "epochs_or_batch_size" || d.what == "learning_rate_or_l2"),
                "{bad:?}"
            );
        }
        assert!(
            matches!(Head::new(2, 2, vec![0.0; 3], vec![0.0; 2]), Err(Error::InputInvalid(d)) if d.what == "head_size")
        );
        let h = Head::new(2, 2, vec![0.0; 4], vec![0.0; 2]).unwrap();
        assert!(
            matches!(h.probabilities(&[1.0], &mut [0.0; 2]), Err(Error::InputInvalid(d)) if d.what == "embedding_and_scores")
        );
    }

    #[test]
    fn three_hundred_full_size_embeddings() {
        // The size the demo trains (bench/teach.mjs prints how long it takes in wasm).
        let dim = 1024;
        let (data, labels) = clusters(3, 100, dim, 2.0, 3);
        let t = std::time::Instant::now();
        let (_, stats) = train_softmax(&data, &labels, dim, 3, &TrainOptions::default()).unwrap();
        eprintln!("trained 300 × 1024, 3 classes, 60 epochs in {:?}", t.elapsed());
        assert_eq!(stats.accuracy, 1.0);
    }
}
