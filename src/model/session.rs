//! A session: a model planned for one resolution, with every buffer allocated once — the
//! public API. How a plan runs (the arena, the layers on the thread team, the packed weights)
//! is [`super::exec`].

use super::Model;
use super::exec::{self, Activation, Arena, Mode, Observer};
use super::graph::{DType, Op};
use super::plan::{Plan, plan};
use crate::error::{Error, Result, invalid_input, limits_exceeded, unsupported};
use crate::kernels::parallel::{ExecStats, Executor};
use crate::kernels::{self, Gemm, KernelSet, Packed};
use ndarray::ArrayView3;
use std::cell::Cell;

thread_local! {
    /// How many times sessions made on this thread considered the dot product (its probe and
    /// self-test): see [`dot_considered`].
    static DOT_CONSIDERED: Cell<usize> = const { Cell::new(0) };
}

/// How many times a session made on this thread considered the 8-bit dot product (ran its
/// probe and, where the host has it, its self-test): tests check that `gemm: 'i16'` never does.
#[doc(hidden)]
pub fn dot_considered() -> usize {
    DOT_CONSIDERED.with(Cell::get)
}

/// What [`Session::run`] runs on: HWC values of the model's element type (`u8` for uint8
/// models, `f32` for float32 ones). Made with `.into()` from a slice, a `Vec` or an
/// [`ArrayView3`].
#[derive(Debug, Clone, Copy)]
pub enum Input<'a, T> {
    /// Flat HWC values, [`Session::input_len`] of them.
    Flat(&'a [T]),
    /// An array of shape [`Session::input_shape`].
    Array(ArrayView3<'a, T>),
    /// What the input buffer already holds (filled through [`Session::input_mut`]): no copy.
    InPlace,
}

impl<'a, T> From<&'a [T]> for Input<'a, T> {
    fn from(values: &'a [T]) -> Self {
        Input::Flat(values)
    }
}

impl<'a, T> From<&'a Vec<T>> for Input<'a, T> {
    fn from(values: &'a Vec<T>) -> Self {
        Input::Flat(values)
    }
}

impl<'a, T, const N: usize> From<&'a [T; N]> for Input<'a, T> {
    fn from(values: &'a [T; N]) -> Self {
        Input::Flat(values)
    }
}

impl<'a, T> From<ArrayView3<'a, T>> for Input<'a, T> {
    fn from(values: ArrayView3<'a, T>) -> Self {
        Input::Array(values)
    }
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
    /// Optional clock (milliseconds) and the per-layer durations of the last run.
    clock: Option<fn() -> f64>,
    times: Vec<f64>,
    /// Chooses between the threads and the caller alone, from measured run times.
    executor: Executor,
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

    /// Plans `model` for a `resolution × resolution` input and allocates its buffers, with the
    /// default uint8 matrix product ([`Gemm::Auto`]).
    ///
    /// # Errors
    /// [`Error::InputInvalid`] if the resolution is out of range or gives a layer an invalid
    /// shape, [`Error::LimitsExceeded`] if a tensor would exceed the model's limits.
    pub fn with_resolution(model: Model, resolution: usize) -> Result<Session> {
        Session::with_gemm(model, resolution, Gemm::Auto)
    }

    /// [`Session::with_resolution`] with the uint8 matrix-product kernel `gemm` (see [`Gemm`]):
    /// the kernel set is chosen once, before the weights are packed once for it. [`Gemm::I16`]
    /// never runs the dot product's probe or self-test. The choice holds at every resolution.
    ///
    /// # Errors
    /// As [`Session::with_resolution`]; [`Error::ModelUnsupported`] for [`Gemm::Dot`] on a
    /// uint8 model where this build or host has no usable 8-bit dot product, or where it
    /// disagrees with the `i16` kernel on this model. Float models have one kernel set,
    /// whatever `gemm` says.
    pub fn with_gemm(model: Model, resolution: usize, gemm: Gemm) -> Result<Session> {
        let plan = plan(&model.graph, resolution, resolution, &model.limits)?;
        let arena = Arena::new(&plan, model.graph.dtype);
        let times = vec![0.0; plan.steps.len()];
        let mut session = Session {
            model,
            plan,
            kernels: kernels::best(),
            packed: Vec::new(),
            arena,
            clock: None,
            times,
            executor: Executor::new(),
        };
        session.kernels = session.choose(gemm)?;
        session.packed = exec::pack(&session.model.graph, session.kernels);
        Ok(session)
    }

    /// The kernel set for `gemm` on this model (see [`Session::with_gemm`]).
    fn choose(&self, gemm: Gemm) -> Result<&'static KernelSet> {
        Ok(match gemm {
            Gemm::I16 => kernels::best(),
            // Float models have one kernel set.
            Gemm::Dot if self.model.graph.dtype != DType::U8 => kernels::best(),
            Gemm::Auto => self.dot_if_agreeing().unwrap_or(kernels::best()),
            Gemm::Dot => self.dot_if_agreeing().ok_or_else(|| {
                let found = match kernels::dot_set() {
                    Some(set) => format!("{}: its self-test on this model disagreed with i16", set.name),
                    None => format!("relaxed dot product: {}", kernels::dot_behaviour()),
                };
                unsupported("gemm_dot").found(found).expected(
                    "a relaxed-SIMD build on a host that computes the 8-bit dot product exactly \
                     (unsigned×signed as x86 AVX-VNNI, or signed×signed as ARM)",
                )
            })?,
        })
    }

    /// For a uint8 model, the dot-product kernel set if the host has it ([`kernels::dot_set`])
    /// and it gives the same bytes as [`kernels::best`] on this model's layers.
    fn dot_if_agreeing(&self) -> Option<&'static KernelSet> {
        DOT_CONSIDERED.with(|n| n.set(n.get() + 1));
        let dot = kernels::dot_set()?;
        (self.model.graph.dtype == DType::U8 && self.kernels_agree(dot, kernels::best())).then_some(dot)
    }

    /// The self-test a session runs before it trusts the dot-product kernels: whether
    /// `candidate` gives the same bytes as `trusted` on this uint8 model's first, second and
    /// last CONV_2D layers (the first pixels of each, a pseudo-random input over the whole byte
    /// range). `true` for a float model.
    pub fn kernels_agree(&self, candidate: &KernelSet, trusted: &KernelSet) -> bool {
        exec::agree(&self.model.graph, &self.plan, candidate, trusted)
    }

    /// Allocates every buffer the plan needs (the only allocation besides planning).
    fn allocate(&mut self) {
        self.arena = Arena::new(&self.plan, self.model.graph.dtype);
        self.times = vec![0.0; self.plan.steps.len()];
        self.executor.reset();
    }

    /// Re-sizes the per-thread scratch if the thread count changed since it was allocated (as
    /// the next run would), so that the run after a pool starts allocates nothing.
    pub fn fit_threads(&mut self) {
        if !self.arena.fits_threads() {
            self.allocate();
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
            self.packed = exec::pack(&self.model.graph, kernels);
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

    /// Runs the model on `input` (see [`Input`]: a slice, a `Vec`, an [`ArrayView3`] or
    /// [`Input::InPlace`]) and returns the output: `u8` values for a uint8 model, `f32` for a
    /// float32 one. Uses every thread the build has when that is measured to be faster (see
    /// [`Session::set_threads`]).
    ///
    /// ```no_run
    /// # use mobilenet_wasm::{Model, Session};
    /// # let mut session = Session::new(Model::from_tflite(&[])?)?;
    /// let scores: &[u8] = session.run(&vec![128u8; session.input_len()])?;
    /// # Ok::<(), mobilenet_wasm::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InputInvalid`] if `T` is not the model's element type, the input's length or
    /// shape is not [`Session::input_shape`]'s, or (float) a value is not finite.
    pub fn run<'a, T: Activation>(&mut self, input: impl Into<Input<'a, T>>) -> Result<&[T]> {
        self.load(input.into())?;
        self.execute(self.plan.steps.len(), None)
    }

    /// As [`Session::run`], on the calling thread alone, calling `observe(layer, output)` after
    /// every layer.
    ///
    /// # Errors
    /// As [`Session::run`].
    pub fn run_observed<'a, T: Activation>(
        &mut self,
        input: impl Into<Input<'a, T>>,
        observe: &mut dyn FnMut(usize, &[T]),
    ) -> Result<&[T]> {
        self.load(input.into())?;
        self.execute(self.plan.steps.len(), Some(observe))
    }

    /// The input buffer ([`Session::input_len`] values), to fill before running
    /// [`Input::InPlace`]; `None` if `T` is not the model's element type.
    pub fn input_mut<T: Activation>(&mut self) -> Option<&mut [T]> {
        self.arena.input::<T>()
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

    fn wrong_dtype(&self, given: DType) -> Error {
        invalid_input("input_type").found(given.name()).expected(self.model.graph.dtype.name())
    }

    /// Checks `input` and copies it into the input buffer.
    fn load<T: Activation>(&mut self, input: Input<'_, T>) -> Result<()> {
        match input {
            Input::Flat(values) => self.check_len(values.len())?,
            Input::Array(a) => self.check_shape(a.shape())?,
            Input::InPlace => {}
        }
        let Some(buffer) = self.arena.input::<T>() else { return Err(self.wrong_dtype(T::DTYPE)) };
        match input {
            Input::Flat(values) => {
                T::check(values)?;
                buffer.copy_from_slice(values);
            }
            Input::Array(a) => {
                for (d, v) in buffer.iter_mut().zip(a.iter()) {
                    *d = *v;
                }
                T::check(buffer)?;
            }
            Input::InPlace => T::check(buffer)?,
        }
        Ok(())
    }

    /// Center-crops, resizes and converts an RGBA frame straight into the input buffer.
    fn load_rgba(&mut self, rgba: &[u8], width: usize, height: usize) -> Result<()> {
        let max = self.model.limits.max_frame_pixels;
        if width.saturating_mul(height) > max {
            return Err(limits_exceeded("frame_pixels", width.saturating_mul(height), max));
        }
        let size = self.resolution();
        match self.model.graph.dtype {
            DType::U8 => {
                crate::image::rgba_to_u8(rgba, width, height, size, self.arena.input().unwrap_or_default())
            }
            DType::F32 => {
                crate::image::rgba_to_f32(rgba, width, height, size, self.arena.input().unwrap_or_default())
            }
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
                let values = self.execute::<u8>(count, None)?;
                for (o, &v) in out.iter_mut().zip(values) {
                    *o = q.scale * (i32::from(v) - q.zero_point) as f32;
                }
            }
            DType::F32 => out.copy_from_slice(self.execute::<f32>(count, None)?),
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

    /// Runs the first `count` layers on what the input buffer holds and returns the last one's
    /// output.
    fn execute<T: Activation>(&mut self, count: usize, observe: Option<Observer<'_, T>>) -> Result<&[T]> {
        // The thread pool may have changed size since planning.
        self.fit_threads();
        let mode = match observe {
            Some(f) => Mode::Observed(f),
            None => Mode::Team { executor: &mut self.executor, clock: self.clock, times: &mut self.times },
        };
        exec::run(&mut self.arena, &self.plan, &self.packed, self.kernels, count, mode)
            .ok_or_else(|| invalid_input("input_type").expected(self.model.graph.dtype.name()))
    }
}
