//! A plan's layers run on the thread team: one inference's memory as raw views the threads
//! share, cut into chunks of output pixels.

use super::arena::{Activation, Arena};
use crate::kernels::parallel::{
    DEPTHWISE_WEIGHT, Executor, Layers, MAX_CHUNKS, MIN_CHUNK_WORK, SharedMut, Split,
};
use crate::kernels::{KernelSet, Packed, Scratch};
use crate::model::plan::{Plan, Step};

/// A callback that sees every layer's output: `(layer, output)`.
pub(crate) type Observer<'a, T> = &'a mut dyn FnMut(usize, &[T]);

/// How the layers run.
pub(crate) enum Mode<'a, T> {
    /// On the thread team or the caller alone, as `executor` decides; with a `clock`
    /// (milliseconds), each layer's duration goes into `times`.
    Team { executor: &'a mut Executor, clock: Option<fn() -> f64>, times: &'a mut [f64] },
    /// On the calling thread, calling the observer with each layer's output.
    Observed(Observer<'a, T>),
}

/// Runs the first `count` layers of `plan` on what the arena's input buffer holds and returns
/// the last one's output; `None` if the arena holds another element type.
pub(crate) fn run<'m, T: Activation>(
    arena: &'m mut Arena,
    plan: &Plan,
    packed: &[Packed],
    kernels: &'static KernelSet,
    count: usize,
    mode: Mode<'_, T>,
) -> Option<&'m [T]> {
    let m = arena.borrow::<T>()?;
    let exec = Exec {
        plan,
        packed,
        kernels,
        bufs: [
            SharedMut(m.buffers[0].as_mut_ptr()),
            SharedMut(m.buffers[1].as_mut_ptr()),
            SharedMut(m.buffers[2].as_mut_ptr()),
        ],
        scratch_i16: SharedMut(m.scratch_i16.as_mut_ptr()),
        scratch_f32: SharedMut(m.scratch_f32.as_mut_ptr()),
        i16_per_part: m.scratch_i16.len() / m.parts,
        f32_per_part: m.scratch_f32.len() / m.parts,
        parts: m.parts,
        count,
    };
    let last = match mode {
        Mode::Observed(f) => exec.run_observed(f),
        Mode::Team { executor, clock, times } => {
            let t0 = clock.map(|c| c());
            executor.run(&exec, m.parts, &mut |i| {
                if let Some(c) = clock {
                    times[i] = c();
                }
            });
            if let Some(t0) = t0 {
                // Timestamps into durations.
                let mut last = t0;
                for t in &mut times[..count] {
                    (*t, last) = (*t - last, *t);
                }
            }
            slots(count - 1).1
        }
    };
    let n: usize = plan.shapes[count - 1].iter().product();
    let buffers: &'m [Vec<T>; 3] = m.buffers;
    Some(&buffers[last][..n])
}

/// Which buffer a layer reads and which it writes: layer 0 reads the input buffer, then the
/// two others alternate.
fn slots(layer: usize) -> (usize, usize) {
    match layer {
        0 => (0, 1),
        l if l % 2 == 1 => (1, 2),
        _ => (2, 1),
    }
}

/// One inference's memory as raw views that the threads share. While a layer runs, each chunk
/// reads the layer's input and writes only its own band of the layer's output and the scratch
/// partition of the thread running it.
struct Exec<'a, T> {
    plan: &'a Plan,
    packed: &'a [Packed],
    kernels: &'static KernelSet,
    bufs: [SharedMut<T>; 3],
    scratch_i16: SharedMut<i16>,
    scratch_f32: SharedMut<f32>,
    i16_per_part: usize,
    f32_per_part: usize,
    /// Scratch partitions (threads the buffers were sized for).
    parts: usize,
    /// Layers to run (all of them, or up to the embedding).
    count: usize,
}

impl<T: Activation> Exec<'_, T> {
    fn len(&self, layer: usize) -> usize {
        self.plan.shapes[layer].iter().product()
    }

    /// How layer `i` is cut for `threads` threads: only convolutions with at least twice
    /// [`MIN_CHUNK_WORK`] are cut, into bands of output pixels of at least that much work each
    /// (depthwise: and of at least `1 / (2 · threads)` of the rows).
    fn split(&self, i: usize, threads: usize) -> Split {
        match &self.plan.steps[i] {
            Step::Conv { geom, depthwise, .. } => {
                let m = geom.out_h * geom.out_w;
                let per_pixel =
                    geom.out_c * geom.kh * geom.kw * if *depthwise { DEPTHWISE_WEIGHT } else { geom.in_c };
                let threads = if m * per_pixel < 2 * MIN_CHUNK_WORK { 1 } else { threads };
                // The GEMM computes 4 pixels at a time: bands of multiples of 4 pixels. A
                // depthwise band re-reads the input rows above its first output row: whole rows
                // (its kernel computes every pixel on its own, so any cut gives the same bytes).
                let align = if *depthwise { geom.out_w } else { 4 };
                let mut min = MIN_CHUNK_WORK.div_ceil(per_pixel.max(1));
                if *depthwise {
                    // Each band converts the input rows above its first output row again (its
                    // ring starts empty: kh − 1 rows at stride 1). Cut by work alone, 1.0/224's
                    // 14-row layers were 7 bands that converted 26 input rows instead of 14. At
                    // most about 2 bands per thread (depthwise 1–9% faster on two threads, A/B
                    // with the team forced, 1.0/224 and 0.5/160).
                    min = min.max(geom.out_h.div_ceil(2 * threads) * geom.out_w);
                }
                Split { n: m, threads, min, align }.at_most(MAX_CHUNKS)
            }
            _ => Split { n: 1, threads: 1, min: 1, align: 1 },
        }
    }

    /// Chunk `chunk` of layer `i` as cut for `threads` threads, with scratch partition `slot`.
    fn layer(&self, i: usize, chunk: usize, threads: usize, slot: usize) {
        let (r, w) = slots(i);
        let n_in = if i == 0 { self.plan.input_shape.iter().product() } else { self.len(i - 1) };
        // SAFETY: buffer r holds at least n_in elements (the plan sized every buffer for the
        // largest activation) and nothing writes it during this layer.
        let src = unsafe { core::slice::from_raw_parts(self.bufs[r].get(), n_in) };
        let k = T::kernels(self.kernels);
        match &self.plan.steps[i] {
            Step::Conv { geom, quant, range, depthwise } => {
                let band = self.split(i, threads).band(chunk);
                if band.is_empty() {
                    return;
                }
                assert!(slot < self.parts, "scratch partition {slot} of {}", self.parts);
                // SAFETY: the bands of a layer's chunks are disjoint and inside the output
                // (buffer w holds the layer's whole output, and w != r), each chunk runs once,
                // and the executor gives each running chunk a slot no other running chunk has,
                // so the scratch partition is this call's alone.
                let (out, scratch) = unsafe {
                    (
                        core::slice::from_raw_parts_mut(
                            self.bufs[w].get().add(band.start * geom.out_c),
                            band.len() * geom.out_c,
                        ),
                        Scratch {
                            i16: core::slice::from_raw_parts_mut(
                                self.scratch_i16.get().add(slot * self.i16_per_part),
                                self.i16_per_part,
                            ),
                            f32: core::slice::from_raw_parts_mut(
                                self.scratch_f32.get().add(slot * self.f32_per_part),
                                self.f32_per_part,
                            ),
                        },
                    )
                };
                let conv = if *depthwise { k.depthwise } else { k.conv2d };
                conv(&geom.with_band(band), T::conv_params(quant, range), src, &self.packed[i], out, scratch);
            }
            step => {
                debug_assert_eq!(chunk, 0);
                // SAFETY: layers other than convolutions are never split: this is the only
                // call writing this layer's output.
                let dst = unsafe { core::slice::from_raw_parts_mut(self.bufs[w].get(), self.len(i)) };
                match step {
                    Step::Pool { geom, act_min, act_max, range } => {
                        (k.avg_pool)(geom, &T::pool_clamp(*act_min, *act_max, *range), src, dst)
                    }
                    Step::Softmax { beta_scale } => (k.softmax)(*beta_scale, src, dst),
                    Step::Copy | Step::Conv { .. } => dst.copy_from_slice(src),
                }
            }
        }
    }

    /// All layers on this thread, calling `observe` with each layer's output; returns the
    /// buffer holding the last one's.
    fn run_observed(&self, observe: &mut dyn FnMut(usize, &[T])) -> usize {
        for i in 0..self.count {
            self.layer(i, 0, 1, 0);
            // SAFETY: the layer is complete and nothing writes its output until the next one.
            observe(i, unsafe { core::slice::from_raw_parts(self.bufs[slots(i).1].get(), self.len(i)) });
        }
        slots(self.count - 1).1
    }
}

impl<T: Activation> Layers for Exec<'_, T> {
    fn count(&self) -> usize {
        self.count
    }

    fn chunks(&self, i: usize, threads: usize) -> usize {
        self.split(i, threads).count()
    }

    fn run(&self, layer: usize, chunk: usize, threads: usize, slot: usize) {
        self.layer(layer, chunk, threads, slot);
    }
}
