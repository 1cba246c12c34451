//! A session: a model planned for one resolution, with every activation buffer allocated once.
//!
//! Running a frame allocates nothing: the input is copied into the session's input buffer and
//! the layers ping-pong between two buffers sized for the largest activation. With threads
//! (see [`crate::kernels::parallel`]) each convolution is cut into chunks of output pixels that
//! the calling thread and the helper threads claim from a shared counter; the session's
//! [`Executor`] measures whether the team or the caller alone is faster and uses that.

use super::Model;
use super::graph::{Bias, DType, Filter, Op};
use super::plan::{Plan, Step, plan};
use crate::error::{Error, Result, invalid_input, limits_exceeded, unsupported};
use crate::kernels::parallel::{
    DEPTHWISE_WEIGHT, ExecStats, Executor, Layers, MAX_CHUNKS, MIN_CHUNK_WORK, SharedMut, Split, threads,
};
use crate::kernels::{self, ConvGeom, FilterShape, FloatRange, KernelSet, Packed, QuantParams, Scratch};
use ndarray::{ArrayView1, ArrayView3};

/// A callback that sees every layer's output: `(layer, output)`.
type Observer<'a, T> = &'a mut dyn FnMut(usize, &[T]);

/// The activation buffers: `[input, ping, pong]`.
#[derive(Debug)]
enum Arena {
    U8([Vec<u8>; 3]),
    F32([Vec<f32>; 3]),
}

/// A loaded model, planned for one input resolution, ready to run frames.
#[derive(Debug)]
pub struct Session {
    model: Model,
    plan: Plan,
    kernels: &'static KernelSet,
    /// Per layer, the weights packed for `kernels` (empty for layers without weights).
    packed: Vec<Packed>,
    arena: Arena,
    /// Kernel scratch memory: one equal partition per thread.
    scratch_i16: Vec<i16>,
    scratch_f32: Vec<f32>,
    /// Threads the buffers were sized for.
    parts: usize,
    /// Optional clock (milliseconds) and the per-layer durations of the last run.
    clock: Option<fn() -> f64>,
    times: Vec<f64>,
    /// Chooses between the threads and the caller alone, from measured run times.
    executor: Executor,
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

/// The element type of a model's activations, with its kernels.
trait Element: Copy + Send + Sync + 'static {
    fn scratch<'a>(i16: &'a mut [i16], f32: &'a mut [f32]) -> Scratch<'a> {
        Scratch { i16, f32 }
    }
    #[allow(clippy::too_many_arguments)]
    fn conv(
        k: &KernelSet,
        depthwise: bool,
        g: &ConvGeom,
        q: &QuantParams,
        range: FloatRange,
        src: &[Self],
        packed: &Packed,
        out: &mut [Self],
        scratch: Scratch<'_>,
    );
    /// Pooling, reshape and softmax.
    fn other(k: &KernelSet, step: &Step, src: &[Self], dst: &mut [Self]);
}

impl Element for u8 {
    fn conv(
        k: &KernelSet,
        depthwise: bool,
        g: &ConvGeom,
        q: &QuantParams,
        _: FloatRange,
        src: &[u8],
        packed: &Packed,
        out: &mut [u8],
        scratch: Scratch<'_>,
    ) {
        let f = if depthwise { k.depthwise_u8 } else { k.conv2d_u8 };
        f(g, q, src, packed, out, scratch)
    }
    fn other(k: &KernelSet, step: &Step, src: &[u8], dst: &mut [u8]) {
        match step {
            Step::Pool { geom, act_min, act_max, .. } => (k.avg_pool_u8)(geom, *act_min, *act_max, src, dst),
            Step::Softmax { beta_scale } => (k.softmax_u8)(*beta_scale, src, dst),
            Step::Copy | Step::Conv { .. } => dst.copy_from_slice(src),
        }
    }
}

impl Element for f32 {
    fn conv(
        k: &KernelSet,
        depthwise: bool,
        g: &ConvGeom,
        _: &QuantParams,
        range: FloatRange,
        src: &[f32],
        packed: &Packed,
        out: &mut [f32],
        scratch: Scratch<'_>,
    ) {
        let f = if depthwise { k.depthwise_f32 } else { k.conv2d_f32 };
        f(g, range, src, packed, out, scratch)
    }
    fn other(k: &KernelSet, step: &Step, src: &[f32], dst: &mut [f32]) {
        match step {
            Step::Pool { geom, range, .. } => (k.avg_pool_f32)(geom, *range, src, dst),
            Step::Softmax { beta_scale } => (k.softmax_f32)(*beta_scale, src, dst),
            Step::Copy | Step::Conv { .. } => dst.copy_from_slice(src),
        }
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

impl<T: Element> Exec<'_, T> {
    fn len(&self, layer: usize) -> usize {
        self.plan.shapes[layer].iter().product()
    }

    /// How layer `i` is cut for `threads` threads: only convolutions with at least twice
    /// [`MIN_CHUNK_WORK`] are cut, into bands of output pixels of at least that much work each.
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
                Split { n: m, threads, min: MIN_CHUNK_WORK.div_ceil(per_pixel.max(1)), align }
                    .at_most(MAX_CHUNKS)
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
        let step = &self.plan.steps[i];
        match step {
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
                        T::scratch(
                            core::slice::from_raw_parts_mut(
                                self.scratch_i16.get().add(slot * self.i16_per_part),
                                self.i16_per_part,
                            ),
                            core::slice::from_raw_parts_mut(
                                self.scratch_f32.get().add(slot * self.f32_per_part),
                                self.f32_per_part,
                            ),
                        ),
                    )
                };
                let g = geom.with_band(band);
                T::conv(self.kernels, *depthwise, &g, quant, *range, src, &self.packed[i], out, scratch);
            }
            _ => {
                debug_assert_eq!(chunk, 0);
                // SAFETY: layers other than convolutions are never split: this is the only
                // call writing this layer's output.
                let dst = unsafe { core::slice::from_raw_parts_mut(self.bufs[w].get(), self.len(i)) };
                T::other(self.kernels, step, src, dst);
            }
        }
    }

    /// All layers on this thread, calling `observe` with each layer's output.
    fn run_observed(&self, observe: &mut dyn FnMut(usize, &[T])) -> usize {
        for i in 0..self.count {
            self.layer(i, 0, 1, 0);
            // SAFETY: the layer is complete and nothing writes its output until the next one.
            observe(i, unsafe { core::slice::from_raw_parts(self.bufs[slots(i).1].get(), self.len(i)) });
        }
        slots(self.count - 1).1
    }
}

impl<T: Element> Layers for Exec<'_, T> {
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

impl Session {
    /// Plans `model` at the resolution it was trained for.
    ///
    /// # Errors
    /// As [`Session::with_resolution`].
    pub fn new(model: Model) -> Result<Session> {
        let r = model.trained_resolution();
        Session::with_resolution(model, r)
    }

    /// Plans `model` for a `resolution × resolution` input and allocates its buffers.
    ///
    /// # Errors
    /// [`Error::InputInvalid`] if the resolution is out of range or gives a layer an invalid
    /// shape, [`Error::LimitsExceeded`] if a tensor would exceed the model's limits.
    pub fn with_resolution(model: Model, resolution: usize) -> Result<Session> {
        let plan = plan(&model.graph, resolution, resolution, &model.limits)?;
        let kernels = kernels::best();
        let packed = pack(&model, kernels);
        let mut s = Session {
            model,
            plan,
            kernels,
            packed,
            arena: Arena::U8(Default::default()),
            scratch_i16: Vec::new(),
            scratch_f32: Vec::new(),
            parts: 1,
            clock: None,
            times: Vec::new(),
            executor: Executor::new(),
        };
        s.allocate();
        Ok(s)
    }

    /// Allocates every buffer the plan needs (the only allocation besides planning).
    fn allocate(&mut self) {
        let plan = &self.plan;
        let n = plan.max_elements;
        let input: usize = plan.input_shape.iter().product();
        self.parts = threads();
        self.executor.reset();
        let scratch = plan.scratch_elements * self.parts;
        self.times = vec![0.0; plan.steps.len()];
        match self.model.graph.dtype {
            DType::U8 => {
                self.arena = Arena::U8([vec![0; input], vec![0; n], vec![0; n]]);
                self.scratch_i16 = vec![0; scratch];
                self.scratch_f32 = Vec::new();
            }
            DType::F32 => {
                self.arena = Arena::F32([vec![0.0; input], vec![0.0; n], vec![0.0; n]]);
                self.scratch_i16 = Vec::new();
                self.scratch_f32 = vec![0.0; scratch];
            }
        }
    }

    /// Re-plans for another input resolution without reloading the model. On error the
    /// session keeps its previous resolution and stays usable.
    ///
    /// # Errors
    /// As [`Session::with_resolution`].
    pub fn set_resolution(&mut self, resolution: usize) -> Result<()> {
        if resolution == self.resolution() {
            return Ok(());
        }
        self.plan = plan(&self.model.graph, resolution, resolution, &self.model.limits)?;
        self.allocate();
        Ok(())
    }

    /// Chooses the kernel implementation (the default is [`kernels::best`]) and packs the
    /// weights for it.
    pub fn set_kernels(&mut self, kernels: &'static KernelSet) {
        if !std::ptr::eq(kernels, self.kernels) {
            self.packed = pack(&self.model, kernels);
            self.kernels = kernels;
            self.executor.reset();
        }
    }

    /// `Some(n)`: run every inference on `n` threads (at most those the build has), even when
    /// measurements say fewer would be faster; `Some(1)`: on the calling thread alone. `None`
    /// (the default): use the threads when they are measured to be faster (see
    /// [`crate::kernels::parallel`]).
    pub fn set_threads(&mut self, threads: Option<usize>) {
        self.executor.force(threads);
    }

    /// What the executor did so far: runs on the threads and alone, time spent waiting for
    /// helpers, and its current estimates.
    pub fn thread_stats(&self) -> ExecStats {
        self.executor.stats()
    }

    /// The kernel implementation in use.
    pub fn kernels(&self) -> &'static KernelSet {
        self.kernels
    }

    /// Times every layer of the following runs with `clock` (milliseconds); see
    /// [`Session::layer_times`]. `None` stops timing.
    pub fn set_clock(&mut self, clock: Option<fn() -> f64>) {
        self.clock = clock;
    }

    /// Milliseconds each layer took in the last run, when a clock is set.
    pub fn layer_times(&self) -> &[f64] {
        &self.times
    }

    /// The model this session runs.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The planned input resolution.
    pub fn resolution(&self) -> usize {
        self.plan.input_shape[0]
    }

    /// Input shape `[height, width, channels]`.
    pub fn input_shape(&self) -> [usize; 3] {
        self.plan.input_shape
    }

    /// Number of elements of the input tensor.
    pub fn input_len(&self) -> usize {
        self.plan.input_shape.iter().product()
    }

    /// Number of elements of the output tensor.
    pub fn output_len(&self) -> usize {
        self.plan.output_len()
    }

    /// The cost of the model at the planned resolution, per layer (from the plan).
    pub fn cost(&self) -> super::cost::Cost {
        super::cost::of_plan(&self.model, &self.plan)
    }

    /// Checks an input of `len` values of type `dtype` for this session, as the runs do.
    ///
    /// # Errors
    /// [`Error::InputInvalid`] for another type than the model's or another length than
    /// [`Session::input_len`].
    pub fn check_input(&self, dtype: DType, len: usize) -> Result<()> {
        if dtype != self.model.graph.dtype {
            return Err(self.wrong_dtype(dtype));
        }
        self.check_len(len)
    }

    /// Output shape of every layer at the planned resolution (batch included).
    pub fn layer_shapes(&self) -> &[Vec<usize>] {
        &self.plan.shapes
    }

    /// Runs a uint8 model on an HWC input.
    ///
    /// # Errors
    /// [`Error::InputInvalid`] if the model is not uint8 or the shape differs from
    /// [`Session::input_shape`].
    pub fn infer_u8(&mut self, input: ArrayView3<'_, u8>) -> Result<ArrayView1<'_, u8>> {
        self.check_shape(input.shape())?;
        let Arena::U8(b) = &mut self.arena else { return Err(self.wrong_dtype(DType::U8)) };
        for (d, v) in b[0].iter_mut().zip(input.iter()) {
            *d = *v;
        }
        Ok(ArrayView1::from(self.execute::<u8>(None)?))
    }

    /// Runs a float32 model on an HWC input.
    ///
    /// # Errors
    /// As [`Session::infer_u8`], and for non-finite input values.
    pub fn infer_f32(&mut self, input: ArrayView3<'_, f32>) -> Result<ArrayView1<'_, f32>> {
        self.check_shape(input.shape())?;
        check_finite(input.iter())?;
        let Arena::F32(b) = &mut self.arena else { return Err(self.wrong_dtype(DType::F32)) };
        for (d, v) in b[0].iter_mut().zip(input.iter()) {
            *d = *v;
        }
        Ok(ArrayView1::from(self.execute::<f32>(None)?))
    }

    fn check_shape(&self, shape: &[usize]) -> Result<()> {
        if shape != self.plan.input_shape {
            return Err(invalid_input("input_shape").found(shape).expected(self.plan.input_shape));
        }
        Ok(())
    }

    fn check_len(&self, len: usize) -> Result<()> {
        if len != self.input_len() {
            return Err(invalid_input("input_values").found(len).expected(self.input_len()));
        }
        Ok(())
    }

    fn wrong_dtype(&self, want: DType) -> Error {
        invalid_input("input_type").found(want.name()).expected(self.model.graph.dtype.name())
    }

    /// Runs a uint8 model on a flat HWC input, on every thread the build has.
    ///
    /// # Errors
    /// [`Error::InputInvalid`] if the model is not uint8 or `input` has the wrong length.
    pub fn run_u8(&mut self, input: &[u8]) -> Result<&[u8]> {
        self.load_u8(input)?;
        self.execute::<u8>(None)
    }

    /// Runs a float32 model on a flat HWC input, on every thread the build has.
    ///
    /// # Errors
    /// As [`Session::run_u8`], and for non-finite input values.
    pub fn run_f32(&mut self, input: &[f32]) -> Result<&[f32]> {
        self.load_f32(input)?;
        self.execute::<f32>(None)
    }

    /// Runs a uint8 model on one thread, calling `observe(layer, output)` after every layer.
    ///
    /// # Errors
    /// As [`Session::run_u8`].
    pub fn run_u8_observed(&mut self, input: &[u8], observe: &mut dyn FnMut(usize, &[u8])) -> Result<&[u8]> {
        self.load_u8(input)?;
        self.execute::<u8>(Some(observe))
    }

    /// The input buffer of a uint8 model (`input_len` values), to fill before
    /// [`Session::run_u8_in_place`]; `None` for a float model.
    pub fn input_u8_mut(&mut self) -> Option<&mut [u8]> {
        Buffers::<u8>::buffers(&mut self.arena).map(|b| &mut b[0][..])
    }

    /// The input buffer of a float32 model, to fill before [`Session::run_f32_in_place`].
    pub fn input_f32_mut(&mut self) -> Option<&mut [f32]> {
        Buffers::<f32>::buffers(&mut self.arena).map(|b| &mut b[0][..])
    }

    /// Runs a uint8 model on what its input buffer holds (no copy of the input).
    ///
    /// # Errors
    /// [`Error::InputInvalid`] if the model is not uint8.
    pub fn run_u8_in_place(&mut self) -> Result<&[u8]> {
        self.execute::<u8>(None)
    }

    /// Runs a float32 model on what its input buffer holds (no copy of the input).
    ///
    /// # Errors
    /// [`Error::InputInvalid`] if the model is not float32 or the input holds a non-finite value.
    pub fn run_f32_in_place(&mut self) -> Result<&[f32]> {
        if let Some(b) = Buffers::<f32>::buffers(&mut self.arena) {
            check_finite(b[0].iter())?;
        }
        self.execute::<f32>(None)
    }

    fn load_u8(&mut self, input: &[u8]) -> Result<()> {
        self.check_len(input.len())?;
        let Arena::U8(b) = &mut self.arena else { return Err(self.wrong_dtype(DType::U8)) };
        b[0].copy_from_slice(input);
        Ok(())
    }

    fn load_f32(&mut self, input: &[f32]) -> Result<()> {
        self.check_len(input.len())?;
        check_finite(input.iter())?;
        let Arena::F32(b) = &mut self.arena else { return Err(self.wrong_dtype(DType::F32)) };
        b[0].copy_from_slice(input);
        Ok(())
    }

    /// Center-crops, resizes and converts an RGBA frame straight into the input buffer.
    fn load_rgba(&mut self, rgba: &[u8], width: usize, height: usize) -> Result<()> {
        let max = self.model.limits.max_frame_pixels;
        if width.saturating_mul(height) > max {
            return Err(limits_exceeded("frame_pixels", width.saturating_mul(height), max));
        }
        let size = self.resolution();
        match &mut self.arena {
            Arena::U8(b) => crate::image::rgba_to_u8(rgba, width, height, size, &mut b[0]),
            Arena::F32(b) => crate::image::rgba_to_f32(rgba, width, height, size, &mut b[0]),
        }
    }

    /// Runs the first `count` layers and writes the last one's output as real numbers
    /// (dequantized for uint8 models) into `out`.
    fn run_real(&mut self, count: usize, out: &mut [f32]) -> Result<()> {
        let expected: usize = self.plan.shapes[count - 1].iter().product();
        if out.len() != expected {
            return Err(invalid_input("output_values").found(out.len()).expected(expected));
        }
        match self.model.graph.dtype {
            DType::U8 => {
                let q = self.model.graph.layers[count - 1].output.quant;
                let q = q.unwrap_or(super::graph::Quant { scale: 1.0, zero_point: 0 });
                let values = self.execute_layers::<u8>(count, None)?;
                for (o, &v) in out.iter_mut().zip(values) {
                    *o = q.scale * (i32::from(v) - q.zero_point) as f32;
                }
            }
            DType::F32 => out.copy_from_slice(self.execute_layers::<f32>(count, None)?),
        }
        Ok(())
    }

    /// Classifies an RGBA frame: center crop, resize and convert it straight into the input
    /// buffer, run the model, and write the output as real numbers (dequantized for uint8
    /// models) into `scores`, which must hold [`Session::output_len`] values.
    ///
    /// # Errors
    /// [`Error::InputInvalid`] / [`Error::LimitsExceeded`] for a bad frame (see
    /// [`crate::image::check_frame`]) or a `scores` buffer of the wrong length.
    pub fn classify_rgba(
        &mut self,
        rgba: &[u8],
        width: usize,
        height: usize,
        scores: &mut [f32],
    ) -> Result<()> {
        self.load_rgba(rgba, width, height)?;
        self.run_real(self.plan.steps.len(), scores)
    }

    /// The layer whose output is the feature vector: the last average pool (global in MobileNet).
    fn embedding_layer(&self) -> Option<usize> {
        self.model.graph.layers.iter().rposition(|l| matches!(l.op, Op::AvgPool(_)))
    }

    /// Length of the feature vector [`Session::embed_rgba`] writes (1024·α for MobileNet v1), or
    /// `None` for a model without an average pool.
    pub fn embedding_len(&self) -> Option<usize> {
        self.embedding_layer().map(|i| self.plan.shapes[i].iter().product())
    }

    /// The feature vector of an RGBA frame: the output of the final average pool, before the
    /// classifier (dequantized for uint8 models), for transfer learning or nearest-neighbour
    /// search. Runs only the layers up to the pool.
    ///
    /// # Errors
    /// As [`Session::classify_rgba`]; [`Error::ModelUnsupported`] for a model without an
    /// average pool.
    pub fn embed_rgba(
        &mut self,
        rgba: &[u8],
        width: usize,
        height: usize,
        features: &mut [f32],
    ) -> Result<()> {
        let layer = self.embedding_layer().ok_or_else(|| {
            unsupported("no_average_pool").expected("an AVERAGE_POOL_2D to take features from")
        })?;
        self.load_rgba(rgba, width, height)?;
        self.run_real(layer + 1, features)
    }

    /// Runs every layer on whatever the input buffer holds and returns the output.
    fn execute<T: Element>(&mut self, observe: Option<Observer<'_, T>>) -> Result<&[T]>
    where
        Arena: Buffers<T>,
    {
        self.execute_layers(self.plan.steps.len(), observe)
    }

    /// Runs the first `count` layers and returns the last one's output.
    fn execute_layers<T: Element>(&mut self, count: usize, observe: Option<Observer<'_, T>>) -> Result<&[T]>
    where
        Arena: Buffers<T>,
    {
        if self.parts != threads() {
            // The thread pool changed size since planning: re-size the per-thread scratch.
            self.allocate();
        }
        let Some(bufs) = Buffers::<T>::buffers(&mut self.arena) else {
            return Err(invalid_input("input_type").expected(self.model.graph.dtype.name()));
        };
        let exec = Exec {
            plan: &self.plan,
            packed: &self.packed,
            kernels: self.kernels,
            bufs: [
                SharedMut(bufs[0].as_mut_ptr()),
                SharedMut(bufs[1].as_mut_ptr()),
                SharedMut(bufs[2].as_mut_ptr()),
            ],
            scratch_i16: SharedMut(self.scratch_i16.as_mut_ptr()),
            scratch_f32: SharedMut(self.scratch_f32.as_mut_ptr()),
            i16_per_part: self.scratch_i16.len() / self.parts,
            f32_per_part: self.scratch_f32.len() / self.parts,
            parts: self.parts,
            count,
        };
        let last = match observe {
            Some(f) => exec.run_observed(f),
            None => {
                let clock = self.clock;
                let times = &mut self.times;
                let t0 = clock.map(|c| c());
                self.executor.run(&exec, self.parts, &mut |i| {
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
        let n: usize = self.plan.shapes[count - 1].iter().product();
        Ok(&bufs[last][..n])
    }
}

/// The activation buffers of one element type.
trait Buffers<T> {
    fn buffers(&mut self) -> Option<&mut [Vec<T>; 3]>;
}

impl Buffers<u8> for Arena {
    fn buffers(&mut self) -> Option<&mut [Vec<u8>; 3]> {
        match self {
            Arena::U8(b) => Some(b),
            Arena::F32(_) => None,
        }
    }
}

impl Buffers<f32> for Arena {
    fn buffers(&mut self) -> Option<&mut [Vec<f32>; 3]> {
        match self {
            Arena::F32(b) => Some(b),
            Arena::U8(_) => None,
        }
    }
}

fn check_finite<'a>(mut values: impl Iterator<Item = &'a f32>) -> Result<()> {
    match values.find(|v| !v.is_finite()) {
        Some(v) => Err(invalid_input("input_value_not_finite").found(*v)),
        None => Ok(()),
    }
}

/// Packs every layer's weights for `kernels`.
fn pack(model: &Model, kernels: &KernelSet) -> Vec<Packed> {
    model
        .graph
        .layers
        .iter()
        .map(|layer| match &layer.op {
            Op::Conv2d(c) => {
                let shape = FilterShape { out_c: c.out_c, kh: c.window.kh, kw: c.window.kw, in_c: c.in_c };
                match (&c.filter, &c.bias) {
                    (Filter::U8 { data, quant }, Bias::I32(b)) => {
                        (kernels.pack_conv2d_u8)(&shape, data, quant.zero_point, b)
                    }
                    (Filter::F32(f), Bias::F32(b)) => (kernels.pack_conv2d_f32)(&shape, f, b),
                    _ => Packed::default(),
                }
            }
            Op::Depthwise(d) => {
                let shape =
                    FilterShape { out_c: d.channels, kh: d.window.kh, kw: d.window.kw, in_c: d.channels };
                match (&d.filter, &d.bias) {
                    (Filter::U8 { data, quant }, Bias::I32(b)) => {
                        (kernels.pack_depthwise_u8)(&shape, data, quant.zero_point, b)
                    }
                    (Filter::F32(f), Bias::F32(b)) => (kernels.pack_depthwise_f32)(&shape, f, b),
                    _ => Packed::default(),
                }
            }
            _ => Packed::default(),
        })
        .collect()
}
