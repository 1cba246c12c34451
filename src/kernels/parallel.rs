//! Running a whole inference on several threads — and staying fast when the machine is busy.
//!
//! **Work any thread can take.** Each layer that is worth splitting is cut into *chunks* (bands
//! of output pixels, see [`Split`]: large first, small last). The calling thread publishes the
//! layer, then it and the helper threads claim chunks from one shared counter until none are
//! left; the caller then waits only for chunks a helper has *claimed and not finished*. A helper
//! that is asleep, descheduled or still starting claims nothing and is never waited for: the
//! caller computes the chunks it did not take. Each output element is computed by the same
//! kernel instructions whatever the split and whichever thread computes it (every thread has
//! its own scratch partition), so results are identical for any thread count and interleaving.
//!
//! **Spin briefly, then sleep.** Between chunks the helpers spin for a short while and then sleep
//! in `memory.atomic.wait32` (`Atomics.wait`, allowed in Web Workers); the caller rings them
//! with `memory.atomic.notify` only when one sleeps. A caller that must wait for a claimed chunk
//! spins for a moment (a helper's last chunk usually ends within it) and then, where blocking
//! is allowed (not on a page's main thread), waits too, which hands its core to the helper it
//! waits for instead of spinning against it.
//!
//! **Fewer threads when that is faster, measured.** [`Executor`] (one per session) times every
//! run on its calling thread and keeps, for the team and for the caller alone, the median of
//! the last 5 runs. It uses the faster mode and re-measures the other now and then, with
//! exponential backoff (after 4 runs at first, then 8, 16, … at most 64), and gives up the team
//! at once after two team runs in a row twice slower than the caller alone. The team measured
//! again after runs alone is timed on its second run: the first wakes the helpers. On a busy machine — where
//! helper threads compete with another process for the cores and get descheduled — it falls
//! back to one thread (the helpers then sleep: no spinning, no extra load); on a quiet one the
//! threads come back at the next re-measurement.
//!
//! Helper state that outlives one call lives in a static (the team), never on the caller's
//! stack: a helper reads the caller's job only while it holds a claim, and a claim can only be
//! taken while the caller is inside the layer it belongs to (the claim word carries a phase
//! number that changes every layer, and the caller does not leave a layer before every claimed
//! chunk is finished).
//!
//! With the `threads` feature (the nightly, shared-memory wasm build) the helpers are the
//! threads of rayon's global pool (wasm-bindgen-rayon's Web Workers), each permanently running
//! the helper loop once started. Natively, [`start_threads`] starts helper threads (used by the
//! tests; native builds are single-threaded otherwise). The single-threaded wasm build has no
//! team at all.

/// Work (multiply-adds, weighted by [`DEPTHWISE_WEIGHT`]) below which splitting a layer
/// further costs more than it saves.
pub const MIN_CHUNK_WORK: usize = 150_000;

/// A depthwise multiply-add costs about this many pointwise ones (measured: ~4 vs ~25 GMAC/s
/// for uint8 with SIMD128).
pub const DEPTHWISE_WEIGHT: usize = 6;

/// At most this many chunks per layer (the claim word has 8 bits for it).
pub const MAX_CHUNKS: usize = 255;

/// Threads an inference may use: the caller and the helpers.
pub fn threads() -> usize {
    1 + helpers()
}

fn helpers() -> usize {
    #[cfg(all(target_arch = "wasm32", feature = "threads"))]
    {
        // Before the pool is built, rayon would build a global pool of one thread of its own
        // (threads are "unsupported" until then) and the real one could never start.
        if POOL_STARTED.load(core::sync::atomic::Ordering::Acquire) {
            rayon::current_num_threads().min(MAX_SLOTS - 1)
        } else {
            0
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        team::native::helpers()
    }
    #[cfg(all(target_arch = "wasm32", not(feature = "threads")))]
    {
        0
    }
}

/// Set once rayon's global pool runs (see [`pool_started`]).
#[cfg(all(target_arch = "wasm32", feature = "threads"))]
static POOL_STARTED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Tells the kernels that rayon's global pool has been built (`initThreadPool` resolved): from
/// then on [`threads`] counts its threads. Until then it is 1, so a model can be loaded (and
/// run, alone) while the pool's Workers start.
pub fn pool_started() {
    #[cfg(all(target_arch = "wasm32", feature = "threads"))]
    POOL_STARTED.store(true, core::sync::atomic::Ordering::Release);
}

/// Most threads (caller included) a team can have (the claim word has 8 bits for it).
#[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
const MAX_SLOTS: usize = 255;

/// The layers of one inference, as the executor sees them.
pub trait Layers: Sync {
    /// Number of layers.
    fn count(&self) -> usize;
    /// How many chunks layer `layer` is cut into when `threads` threads run it (1: run whole,
    /// on the caller). At most [`MAX_CHUNKS`].
    fn chunks(&self, layer: usize, threads: usize) -> usize;
    /// Runs chunk `chunk` of layer `layer` as cut for `threads` threads, with scratch partition
    /// `slot`.
    ///
    /// Called concurrently for distinct chunks of one layer (each from one thread, with a slot
    /// no other thread uses meanwhile); a layer's chunks all return before any chunk of the
    /// next layer starts.
    fn run(&self, layer: usize, chunk: usize, threads: usize, slot: usize);
}

/// How a layer's `0..n` output pixels are cut into chunks for `threads` threads: guided
/// self-scheduling — each chunk takes `1 / (2 · threads)` of what remains, but at least `min`
/// pixels, boundaries multiple of `align` — so the first chunks are large (little overhead) and
/// the last ones small (threads finish together). One chunk (the whole layer) for one thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    pub n: usize,
    pub threads: usize,
    pub min: usize,
    pub align: usize,
}

impl Split {
    /// The chunks, in claiming order.
    fn chunks(self) -> impl Iterator<Item = core::ops::Range<usize>> {
        let align = self.align.max(1);
        let min = self.min.max(1).next_multiple_of(align);
        let (n, t) = (self.n, self.threads.max(1));
        let mut start = 0;
        core::iter::from_fn(move || {
            let rem = n - start;
            if rem == 0 {
                return None;
            }
            let size =
                if t == 1 { rem } else { rem.div_ceil(2 * t).next_multiple_of(align).max(min).min(rem) };
            start += size;
            Some(start - size..start)
        })
    }

    /// This split with `min` raised until it has at most `max` chunks.
    pub fn at_most(mut self, max: usize) -> Split {
        while self.count() > max.max(1) {
            self.min = self.min.max(1) * 2;
        }
        self
    }

    /// Number of chunks.
    pub fn count(self) -> usize {
        self.chunks().count().max(1)
    }

    /// Chunk `chunk` (empty past the last one).
    pub fn band(self, chunk: usize) -> core::ops::Range<usize> {
        self.chunks().nth(chunk).unwrap_or(self.n..self.n)
    }
}

/// What the executor did, counted over a session's life (diagnostics and tests). Serialized with
/// JavaScript's names (`teamRuns`, …): `net.threadStats()` returns it as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecStats {
    /// Runs on the team (caller and helpers).
    pub team_runs: u64,
    /// Runs on the caller alone (one thread available, the team in use, or the caller faster).
    pub solo_runs: u64,
    /// Runs of the mode the executor does not currently prefer, to re-measure it.
    pub probes: u64,
    /// Milliseconds the caller spent waiting for chunks claimed by helpers.
    pub stall_ms: f64,
    /// Milliseconds from the start of team runs to a helper's first chunk (summed over the runs
    /// a helper joined), and the number of runs no helper joined.
    pub join_ms: f64,
    pub unjoined_runs: u64,
    /// Chunks computed by helpers.
    pub helper_chunks: u64,
    /// Chunks computed by the caller in team runs.
    pub caller_chunks: u64,
    /// Current estimates (milliseconds per run: the median of the last few runs) of the team and
    /// of the caller alone; NaN until measured.
    pub team_ms: f64,
    pub solo_ms: f64,
    /// Whether the next runs use the team (never with one thread). With one thread every run is
    /// alone and neither estimate is measured.
    pub prefer_team: bool,
}

/// Chooses, run by run, between the team and the caller alone, from measured run times.
#[derive(Debug, Clone)]
// (The single-threaded wasm build has no team: it only counts runs.)
#[cfg_attr(all(target_arch = "wasm32", not(feature = "threads")), allow(dead_code))]
pub struct Executor {
    prefer_team: bool,
    team: Recent,
    solo: Recent,
    /// Runs of the preferred mode since the other was last measured.
    since_probe: u32,
    /// Runs of the preferred mode between two measurements of the other.
    backoff: u32,
    /// The last run of the preferred mode: one of the two times a probe must beat (the run just
    /// before it saw the same machine, as far as any run can; the other is the mode's median).
    /// See `learn`.
    last_preferred: Option<f64>,
    /// Probes in a row that the other mode won (two make a switch).
    wins: u32,
    /// Whether the last run was a team run (see `learn`: a team probe after the caller ran
    /// alone is measured on its second run).
    last_team: bool,
    /// Team runs in a row twice slower than the caller alone (two make a switch).
    slow_team_runs: u32,
    /// The preferred mode's median when a probe last confirmed it: when its times move away
    /// from this by more than [`LEVEL_CHANGE`], the machine changed and the other mode is
    /// measured again at once.
    settled: Option<f64>,
    /// `Some(1)`: always alone; `Some(n)`: always a team of (at most) `n`; `None`: adaptive.
    forced: Option<usize>,
    stats: ExecStats,
}

impl Default for Executor {
    fn default() -> Self {
        Executor::new()
    }
}

/// Backoff bounds (runs of the preferred mode between two measurements of the other).
const MIN_BACKOFF: u32 = 4;
#[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
const MAX_BACKOFF: u32 = 64;
/// A probe wins when it is this much faster than both the last run of the preferred mode and
/// its median: the team
/// must be 10% faster than the caller alone (its times vary more), the caller alone 5% faster
/// than the team.
#[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
const TEAM_MARGIN: f64 = 0.9;
#[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
const SOLO_MARGIN: f64 = 0.95;
/// See `Executor::settled`.
#[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
const LEVEL_CHANGE: f64 = 1.3;

/// The last few run times of one mode; its estimate is their median (robust to the odd run
/// that a page's other work or the OS stretched).
#[derive(Debug, Clone, Copy, Default)]
#[cfg_attr(all(target_arch = "wasm32", not(feature = "threads")), allow(dead_code))]
struct Recent {
    ms: [f64; 5],
    len: usize,
    next: usize,
}

impl Recent {
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    fn push(&mut self, ms: f64) {
        self.ms[self.next] = ms;
        self.next = (self.next + 1) % self.ms.len();
        self.len = (self.len + 1).min(self.ms.len());
    }

    fn median(&self) -> Option<f64> {
        let mut v = self.ms;
        let v = &mut v[..self.len];
        v.sort_unstable_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    }
}

impl Executor {
    pub fn new() -> Executor {
        Executor {
            prefer_team: true,
            team: Recent::default(),
            solo: Recent::default(),
            since_probe: 0,
            backoff: MIN_BACKOFF,
            last_preferred: None,
            wins: 0,
            last_team: false,
            slow_team_runs: 0,
            settled: None,
            forced: None,
            stats: ExecStats::default(),
        }
    }

    /// Forgets the measurements (the work changed, e.g. another resolution).
    pub fn reset(&mut self) {
        let (forced, stats) = (self.forced, self.stats);
        *self = Executor { forced, stats, ..Executor::new() };
    }

    /// `Some(n)`: always use `n` threads (at most those there are) — a team, however slow, if
    /// `n > 1`, the caller alone if `n == 1`; `None`: choose from measurements (the default).
    pub fn force(&mut self, threads: Option<usize>) {
        self.forced = threads.map(|n| n.max(1));
    }

    /// Counters and estimates so far.
    pub fn stats(&self) -> ExecStats {
        ExecStats {
            team_ms: self.team.median().unwrap_or(f64::NAN),
            solo_ms: self.solo.median().unwrap_or(f64::NAN),
            // The mode of the next runs (a probe aside): never the team with one thread.
            prefer_team: threads() > 1 && self.forced.map_or(self.prefer_team, |n| n > 1),
            ..self.stats
        }
    }

    /// Runs every layer of `layers`, with at most `slots` threads (the scratch partitions the
    /// caller has), calling `after(layer)` on the calling thread once each layer is complete.
    pub fn run(&mut self, layers: &dyn Layers, slots: usize, after: &mut dyn FnMut(usize)) {
        #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
        {
            let threads = threads().min(slots).min(MAX_SLOTS).min(self.forced.unwrap_or(usize::MAX));
            if threads > 1 {
                let (team, probe) = self.next_mode();
                let t0 = team::now();
                if team {
                    let Some(r) = team::run(layers, threads, after) else {
                        // Another caller is using the team: run alone, and learn nothing.
                        run_solo(layers, after);
                        self.stats.solo_runs += 1;
                        return;
                    };
                    self.stats.team_runs += 1;
                    self.stats.stall_ms += r.stall_ms;
                    match r.join_ms {
                        Some(ms) => self.stats.join_ms += ms,
                        None => self.stats.unjoined_runs += 1,
                    }
                    self.stats.helper_chunks += r.helper_chunks;
                    self.stats.caller_chunks += r.caller_chunks;
                } else {
                    run_solo(layers, after);
                    self.stats.solo_runs += 1;
                }
                if self.forced.is_none() {
                    self.learn(team, team::now() - t0, probe);
                }
                return;
            }
        }
        #[cfg(all(target_arch = "wasm32", not(feature = "threads")))]
        let _ = slots;
        run_solo(layers, after);
        self.stats.solo_runs += 1;
    }

    /// Whether the next run (with more than one thread) uses the team, and whether it is a
    /// probe of the mode not preferred.
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    fn next_mode(&self) -> (bool, bool) {
        match self.forced {
            Some(_) => (true, false),
            None => {
                let probe = self.since_probe >= self.backoff;
                (self.prefer_team != probe, probe)
            }
        }
    }

    /// Takes one measured run (`team` or alone, `ms` milliseconds) into account.
    ///
    /// Run times on a shared machine drift and jump (other processes, a virtual CPU sharing its
    /// core), so a probe is compared with the run just before it — and, so that one slow run is
    /// not enough, with the preferred mode's median — and the other mode must win two probes in
    /// a row to take over. Two exceptions
    /// act at once: two team runs in a row twice slower than the caller alone's median switch to the
    /// caller alone (a machine that just got busy), and a preferred mode whose median moved by
    /// more than [`LEVEL_CHANGE`] since it was last confirmed gets the other mode probed soon.
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    fn learn(&mut self, team: bool, ms: f64, probe: bool) {
        let after_solo = !self.last_team;
        self.last_team = team;
        if probe && team && after_solo {
            // The helpers slept while the caller ran alone, and this run woke them: its time
            // is mostly their wake-up (up to a millisecond on a virtual machine), not what the
            // team does, and a small model's run is not much longer. Measured so, team probes
            // mostly lost, and a model that had fallen back to the caller alone stayed there: in the
            // benchmark (peers alternated, 0.25/128 and 0.5/160 on two threads, 50 timed runs,
            // `net.threadStats()`), 7 rows of 24 ran the team in only 3–9 runs (0.5/160 float
            // 6.49 ms against 3.24 with the team), 2 of 24 with this. So the next run is
            // the probe (`since_probe` is left as it is): right after this one, the helpers are
            // awake, as for a team run after a team run; called after a pause, they have gone
            // back to sleep, and the probe measures what such calls get.
            return;
        }
        if probe {
            self.stats.probes += 1;
            self.since_probe = 0;
            let other = if team { &mut self.team } else { &mut self.solo };
            if self.wins == 0 {
                // A mode that has not run for a while: its old times say nothing about now.
                *other = Recent::default();
            }
            other.push(ms);
            let margin = if team { TEAM_MARGIN } else { SOLO_MARGIN };
            let preferred = if team { self.solo.median() } else { self.team.median() };
            // Both: the run just before (the same machine state, on a machine whose speed
            // jumps) and the median (not one outlier: a helper descheduled for a few ms once
            // made the caller alone win twice against the same slow run).
            let base = match (self.last_preferred, preferred) {
                (Some(last), Some(median)) => Some(last.min(median)),
                (last, median) => last.or(median),
            };
            match base {
                Some(base) if ms < base * margin => {
                    self.wins += 1;
                    if self.wins >= 2 {
                        self.switch();
                    } else {
                        // Confirm with the next run.
                        self.since_probe = self.backoff;
                    }
                }
                _ => {
                    // The preferred mode stays: look again later.
                    self.wins = 0;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    self.settled = preferred;
                }
            }
            return;
        }
        self.since_probe = self.since_probe.saturating_add(1);
        self.last_preferred = Some(ms);
        let recent = if team { &mut self.team } else { &mut self.solo };
        recent.push(ms);
        let median = recent.median();
        let slow = team && self.solo.median().is_some_and(|s| ms > 2.0 * s);
        self.slow_team_runs = if slow { self.slow_team_runs + 1 } else { 0 };
        if self.slow_team_runs >= 2 {
            // Two team runs in a row twice slower than the caller alone (one is an outlier: a
            // helper descheduled once): take the caller alone now, with this run standing for
            // the team.
            self.team = Recent::default();
            self.team.push(ms);
            self.switch();
            return;
        }
        // A level change brings the next probe forward — but not closer than a quarter of the
        // backoff to the last one, so a machine whose speed keeps jumping costs few probes.
        if let (Some(level), Some(m)) = (self.settled, median)
            && (m > level * LEVEL_CHANGE || m * LEVEL_CHANGE < level)
            && self.since_probe >= self.backoff / 4
        {
            self.settled = None;
            self.since_probe = self.since_probe.max(self.backoff);
        }
    }

    /// Makes the other mode the preferred one.
    #[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
    fn switch(&mut self) {
        self.prefer_team = !self.prefer_team;
        self.wins = 0;
        self.slow_team_runs = 0;
        self.backoff = MIN_BACKOFF;
        self.since_probe = 0;
        self.last_preferred = None;
        self.settled = None;
    }
}

/// Every layer on the calling thread, each in one piece.
fn run_solo(layers: &dyn Layers, after: &mut dyn FnMut(usize)) {
    for i in 0..layers.count() {
        layers.run(i, 0, 1, 0);
        after(i);
    }
}

/// A raw pointer the threads of an inference may share: each writes a disjoint part of the
/// memory behind it.
pub struct SharedMut<T>(pub *mut T);

impl<T> Clone for SharedMut<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SharedMut<T> {}

// SAFETY: used only to hand disjoint ranges of a buffer to the chunks of a layer; the session
// guarantees no two chunks touch the same element, and the executor guarantees a layer's chunks
// all finish before the next layer's start.
unsafe impl<T> Send for SharedMut<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SharedMut<T> {}

impl<T> SharedMut<T> {
    /// The pointer (a method, so closures capture the whole `Sync` wrapper, not the field).
    #[inline(always)]
    pub fn get(self) -> *mut T {
        self.0
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use team::native::start_threads;

#[cfg(any(feature = "threads", not(target_arch = "wasm32")))]
mod team {
    //! The team: one static state shared by the caller and the helper threads.

    use super::{Layers, MAX_CHUNKS};
    use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

    /// Helpers spin this long (milliseconds) without work before they sleep: after a run (so
    /// that runs in quick succession find them awake: waking a sleeping thread costs the caller
    /// up to half a millisecond on a virtual machine, where the woken thread can preempt it),
    /// and within a run (waiting for the caller to publish the next layer).
    const HELPER_SPIN_MS: f64 = 2.0;
    const HELPER_SPIN_IN_RUN_MS: f64 = 2.0;
    /// The caller spins this long (milliseconds) for a claimed chunk before it waits. A helper
    /// usually finishes its last chunk within a fraction of a millisecond of the caller, and a
    /// wait costs more than that on a virtual machine (the wake-up, up to ~0.1 ms, at each of
    /// a model's ~27 layers): with 0.02 ms, 1.0/224 on 2 threads ran 5–13% slower in a Worker,
    /// where the caller may wait, than on a page's thread, where it never does; with 0.3 ms
    /// alike (blocks of runs alternated, Chromium), and no slower with a core kept busy.
    const CALLER_SPIN_MS: f64 = 0.3;
    /// The caller's waits time out after this long (nanoseconds) and check again.
    const CALLER_WAIT_NS: i64 = 200_000;

    /// The claim word: `phase` (40 bits, new for every published layer; it wraps after 2^40
    /// layers, and a stale compare-exchange could only succeed if a helper stalled between its
    /// load and its exchange for exactly that many), `slots` (8 bits: threads whose slot is
    /// below it may claim; 0 once a run is closed), `next` (8 bits: the next unclaimed chunk),
    /// `limit` (8 bits: the layer's chunk count). A chunk is claimed by one compare-exchange
    /// that increments `next`; it fails if anything — the phase in particular — changed.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Claim {
        phase: u64,
        slots: u32,
        next: u32,
        limit: u32,
    }

    impl Claim {
        fn pack(self) -> u64 {
            (self.phase << 24)
                | (u64::from(self.slots) << 16)
                | (u64::from(self.next) << 8)
                | u64::from(self.limit)
        }
        fn unpack(w: u64) -> Claim {
            Claim {
                phase: w >> 24,
                slots: (w >> 16) as u32 & 0xff,
                next: (w >> 8) as u32 & 0xff,
                limit: w as u32 & 0xff,
            }
        }
        /// Whether a thread with slot `slot` may claim a chunk now.
        fn open_to(self, slot: usize) -> bool {
            self.next < self.limit && slot < self.slots as usize
        }
    }

    /// The caller's job, on its stack; helpers reach it through `Team::job` while they hold a
    /// claim.
    struct Job<'a> {
        layers: &'a dyn Layers,
    }

    /// Everything the caller and the helpers share. It is a static: it outlives every call, so a
    /// helper that wakes up late only ever reads this, never the stack of a finished call.
    struct Team {
        claim: AtomicU64,
        /// The layer of the current phase and the team size it is cut for (written before the
        /// phase is published).
        layer: AtomicUsize,
        threads: AtomicUsize,
        /// The current job; non-null from before the first phase of a run is published until
        /// after its last phase is closed.
        job: AtomicPtr<Job<'static>>,
        /// Chunks of the current phase finished by helpers (the caller waits on this word).
        done: AtomicU32,
        /// A helper's chunk panicked (native builds unwind; wasm aborts).
        panicked: AtomicBool,
        /// When (`now()`, as f64 bits) a helper claimed the first chunk of the current run; 0
        /// until then (diagnostics: how long helpers take to wake up).
        joined_at: AtomicU64,
        /// 1 while the caller waits on `done`.
        caller_waiting: AtomicU32,
        /// Bumped at every publication; sleeping helpers wait on this word.
        bell: AtomicU32,
        /// Bumped by a helper each time it goes to sleep on `bell`; the caller notifies only when
        /// it moved since its last notification (`notified`), so a helper that takes a while to
        /// wake up (a halted virtual CPU can take a millisecond) costs one notification, not one
        /// per layer.
        sleeps: AtomicU32,
        notified: AtomicU32,
        /// A caller is using the team.
        in_use: AtomicBool,
    }

    static TEAM: Team = Team {
        claim: AtomicU64::new(0),
        layer: AtomicUsize::new(0),
        threads: AtomicUsize::new(0),
        job: AtomicPtr::new(core::ptr::null_mut()),
        done: AtomicU32::new(0),
        panicked: AtomicBool::new(false),
        joined_at: AtomicU64::new(0),
        caller_waiting: AtomicU32::new(0),
        bell: AtomicU32::new(0),
        sleeps: AtomicU32::new(0),
        notified: AtomicU32::new(0),
        in_use: AtomicBool::new(false),
    };

    /// What one team run did.
    pub struct TeamRun {
        pub stall_ms: f64,
        /// When the first helper claimed a chunk, from the start of the run (`None`: never).
        pub join_ms: Option<f64>,
        pub helper_chunks: u64,
        pub caller_chunks: u64,
    }

    /// Tries to claim a chunk of the current phase for slot `slot`: `Some(chunk)`.
    fn try_claim(slot: usize) -> Option<usize> {
        let mut w = TEAM.claim.load(Ordering::Acquire);
        loop {
            let c = Claim::unpack(w);
            if !c.open_to(slot) {
                return None;
            }
            let taken = Claim { next: c.next + 1, ..c }.pack();
            // Acquire on success: synchronizes with the caller's release store of this phase
            // (the claims in between are read-modify-writes, so they continue its release
            // sequence), which makes `TEAM.layer` and `TEAM.job` of this phase visible.
            match TEAM.claim.compare_exchange_weak(w, taken, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some(c.next as usize),
                Err(now) => w = now,
            }
        }
    }

    /// The caller's hold on the team during one run. Dropping it — at the end of the run, or
    /// while unwinding from a panic — closes the current phase, waits for every chunk a helper
    /// has claimed, and only then lets the job (on the caller's stack) go.
    struct Running {
        /// Chunks of the current phase the caller claimed itself.
        mine: u32,
    }

    impl Drop for Running {
        fn drop(&mut self) {
            // A new phase with nothing to claim: from here on no claim of this run can succeed.
            let old = Claim::unpack(TEAM.claim.load(Ordering::Relaxed));
            let closed = Claim { phase: old.phase + 1, slots: 0, next: 0, limit: 0 };
            let old = Claim::unpack(TEAM.claim.swap(closed.pack(), Ordering::SeqCst));
            // Claims of this phase are exactly `old.next`; wait for the helpers' ones (none
            // when the phase completed normally: then `done` already counts them all).
            let theirs = old.next.saturating_sub(self.mine);
            while TEAM.done.load(Ordering::Acquire) < theirs {
                wait_done(theirs);
            }
            TEAM.job.store(core::ptr::null_mut(), Ordering::Relaxed);
            TEAM.in_use.store(false, Ordering::Release);
        }
    }

    /// Runs on the calling thread: every layer, chunked layers on the team. `None` if another
    /// caller is using the team (then nothing ran).
    pub fn run(layers: &dyn Layers, threads: usize, after: &mut dyn FnMut(usize)) -> Option<TeamRun> {
        if TEAM.in_use.swap(true, Ordering::Acquire) {
            return None;
        }
        start_helpers();
        let job = Job { layers };
        // Lifetime erasure: helpers dereference this pointer only while they hold a claim of a
        // phase of this run, and `Running::drop` (which runs before `job` goes out of scope,
        // even on unwinding: it is declared after it) closes the phase and waits for every
        // claimed chunk first.
        let job_ptr = (&job as *const Job<'_>).cast::<Job<'static>>().cast_mut();
        TEAM.job.store(job_ptr, Ordering::Relaxed);
        TEAM.done.store(0, Ordering::Relaxed);
        let mut hold = Running { mine: 0 };
        let mut phase = Claim::unpack(TEAM.claim.load(Ordering::Relaxed)).phase;
        let t0 = now();
        TEAM.joined_at.store(0, Ordering::Relaxed);
        let mut run = TeamRun { stall_ms: 0.0, join_ms: None, helper_chunks: 0, caller_chunks: 0 };
        for i in 0..layers.count() {
            let chunks = layers.chunks(i, threads).clamp(1, MAX_CHUNKS);
            if chunks == 1 {
                layers.run(i, 0, 1, 0);
                after(i);
                continue;
            }
            TEAM.layer.store(i, Ordering::Relaxed);
            TEAM.threads.store(threads, Ordering::Relaxed);
            TEAM.done.store(0, Ordering::Relaxed);
            hold.mine = 0;
            phase += 1;
            let open = Claim { phase, slots: threads as u32, next: 0, limit: chunks as u32 };
            // SeqCst: the release that publishes the phase (with `layer`, `done` and `job`
            // written before it), and one side of the sleep handshake with `helper`.
            TEAM.claim.store(open.pack(), Ordering::SeqCst);
            ring();
            while let Some(chunk) = try_claim(0) {
                hold.mine += 1;
                layers.run(i, chunk, threads, 0);
            }
            // Every chunk is claimed: wait for the ones helpers hold.
            let theirs = chunks as u32 - hold.mine;
            if TEAM.done.load(Ordering::Acquire) != theirs {
                run.stall_ms += wait_done(theirs);
            }
            if TEAM.panicked.swap(false, Ordering::Relaxed) {
                panic!("a helper thread panicked in layer {i}");
            }
            run.helper_chunks += u64::from(theirs);
            if run.join_ms.is_none() && theirs > 0 {
                // Written by the helper before its `done` increment, which we have seen.
                run.join_ms = Some(f64::from_bits(TEAM.joined_at.load(Ordering::Relaxed)) - t0);
            }
            run.caller_chunks += u64::from(hold.mine);
            after(i);
        }
        drop(hold);
        Some(run)
    }

    /// Waits (on the caller) until helpers have finished `theirs` chunks of this phase; returns
    /// the milliseconds waited.
    fn wait_done(theirs: u32) -> f64 {
        let t0 = now();
        let finished = || TEAM.done.load(Ordering::Acquire) >= theirs;
        while !finished() {
            if now() - t0 > CALLER_SPIN_MS && can_block() {
                // The handshake with `helper`: announce the wait, then check the word;
                // `memory.atomic.wait32` sleeps only if the word still holds what was read.
                TEAM.caller_waiting.store(1, Ordering::SeqCst);
                let seen = TEAM.done.load(Ordering::SeqCst);
                if seen < theirs {
                    wait(&TEAM.done, seen, CALLER_WAIT_NS);
                }
                TEAM.caller_waiting.store(0, Ordering::Relaxed);
            } else {
                for _ in 0..64 {
                    core::hint::spin_loop();
                }
            }
        }
        now() - t0
    }

    /// Wakes sleeping helpers after a publication (on the caller, which alone writes
    /// `notified`).
    ///
    /// No lost wake-up: in the single total order of the SeqCst operations, either a helper's
    /// `sleeps` increment comes before our `sleeps` load — then we see a new value and notify,
    /// and its wait returns (woken, or at once because `bell` moved) — or after it, and then our
    /// claim store and `bell` increment come before its loads of them, so it sees the work or
    /// waits on the new `bell`, for a later publication to notice its increment.
    fn ring() {
        TEAM.bell.fetch_add(1, Ordering::SeqCst);
        let sleeps = TEAM.sleeps.load(Ordering::SeqCst);
        if sleeps != TEAM.notified.load(Ordering::Relaxed) {
            TEAM.notified.store(sleeps, Ordering::Relaxed);
            notify(&TEAM.bell);
        }
    }

    /// A helper thread's whole life: claim, compute, spin, sleep, forever.
    pub fn helper(slot: usize) -> ! {
        // Idle since when: the last publication (or the close of a run) this helper saw.
        let mut idle_since: Option<f64> = None;
        let mut seen = u64::MAX;
        let mut spins = 0u32;
        loop {
            if let Some(chunk) = try_claim(slot) {
                idle_since = None;
                if TEAM.joined_at.load(Ordering::Relaxed) == 0 {
                    let _ = TEAM.joined_at.compare_exchange(
                        0,
                        now().to_bits(),
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    );
                }
                // SAFETY: we hold a claim of the current phase, so the caller is inside the
                // layer it published, has not closed the run, and `job` points to its live
                // `Job` (see `run`). The acquire in `try_claim` makes `layer` and `job` of this
                // phase visible; they cannot change before we report the chunk finished.
                let job = unsafe { &*TEAM.job.load(Ordering::Relaxed) };
                let layer = TEAM.layer.load(Ordering::Relaxed);
                let threads = TEAM.threads.load(Ordering::Relaxed);
                let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    job.layers.run(layer, chunk, threads, slot);
                }));
                if ran.is_err() {
                    // Still count the chunk, so the caller does not wait forever; it panics.
                    TEAM.panicked.store(true, Ordering::Relaxed);
                }
                // After this the caller may end the phase (and the run): no touching `job`.
                TEAM.done.fetch_add(1, Ordering::SeqCst);
                if TEAM.caller_waiting.load(Ordering::SeqCst) != 0 {
                    notify(&TEAM.done);
                }
                continue;
            }
            core::hint::spin_loop();
            spins += 1;
            if spins % 256 != 0 {
                continue;
            }
            let t = now();
            let w = TEAM.claim.load(Ordering::Relaxed);
            if Claim::unpack(w).phase != Claim::unpack(seen).phase {
                (seen, idle_since) = (w, Some(t));
            }
            let since = *idle_since.get_or_insert(t);
            // A closed run has `slots == 0`.
            let in_run = Claim::unpack(w).slots != 0;
            if t - since < if in_run { HELPER_SPIN_IN_RUN_MS } else { HELPER_SPIN_MS } {
                continue;
            }
            // Sleep until the next publication. Handshake with `ring`: announce the sleep, read
            // the bell, check for work; `wait` returns at once if the bell moved.
            TEAM.sleeps.fetch_add(1, Ordering::SeqCst);
            let bell = TEAM.bell.load(Ordering::SeqCst);
            if !Claim::unpack(TEAM.claim.load(Ordering::SeqCst)).open_to(slot) {
                wait(&TEAM.bell, bell, -1);
            }
            idle_since = None;
        }
    }

    // ------------------------------------------------------------ platform: wasm threads
    #[cfg(all(target_arch = "wasm32", feature = "threads"))]
    mod platform {
        use core::sync::atomic::{AtomicU8, AtomicU32, Ordering};
        use wasm_bindgen::prelude::*;

        #[wasm_bindgen]
        extern "C" {
            #[wasm_bindgen(js_namespace = performance, js_name = now)]
            fn performance_now() -> f64;
            #[wasm_bindgen(js_namespace = performance, js_name = timeOrigin, thread_local_v2)]
            static TIME_ORIGIN: f64;
        }

        /// Milliseconds since the epoch, comparable between threads (each Worker's
        /// `performance.now()` counts from its own start).
        pub fn now() -> f64 {
            TIME_ORIGIN.with(|origin| origin + performance_now())
        }

        /// Sleeps while `word` holds `expected`, at most `timeout_ns` (-1: no limit).
        pub fn wait(word: &AtomicU32, expected: u32, timeout_ns: i64) {
            // SAFETY: the pointer is a valid, aligned, shared 32-bit word (a static atomic);
            // only threads that may block call this (helpers are Web Workers; the caller
            // checks `can_block` first).
            unsafe {
                core::arch::wasm32::memory_atomic_wait32(
                    word.as_ptr().cast::<i32>(),
                    expected as i32,
                    timeout_ns,
                );
            }
        }

        pub fn notify(word: &AtomicU32) {
            // SAFETY: a valid, aligned, shared 32-bit word; notify never blocks.
            unsafe {
                core::arch::wasm32::memory_atomic_notify(word.as_ptr().cast::<i32>(), u32::MAX);
            }
        }

        /// Whether the calling thread may block: not on a page's main thread, where
        /// `memory.atomic.wait32` traps (a Window has a `document`; Workers and Node do not).
        pub fn can_block() -> bool {
            static CAN: AtomicU8 = AtomicU8::new(0); // 0 unknown, 1 no, 2 yes
            match CAN.load(Ordering::Relaxed) {
                1 => false,
                2 => true,
                _ => {
                    let window = js_sys::Reflect::has(&js_sys::global(), &JsValue::from_str("document"))
                        .unwrap_or(true);
                    CAN.store(if window { 1 } else { 2 }, Ordering::Relaxed);
                    !window
                }
            }
        }

        /// Starts the helper loop on every thread of rayon's pool, once. The loop never returns,
        /// so those threads serve only this team from then on (nothing else here uses rayon).
        pub fn start_helpers() {
            static STARTED: std::sync::Once = std::sync::Once::new();
            STARTED.call_once(|| {
                rayon::spawn_broadcast(|ctx| {
                    if ctx.index() + 1 < super::super::MAX_SLOTS {
                        super::helper(ctx.index() + 1)
                    }
                })
            });
        }
    }

    // ------------------------------------------------------------ platform: native
    #[cfg(not(target_arch = "wasm32"))]
    pub mod native {
        use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
        use std::sync::{Mutex, OnceLock};
        use std::thread::Thread;
        use std::time::{Duration, Instant};

        static HELPERS: AtomicUsize = AtomicUsize::new(0);
        /// The helpers' handles, to unpark them (registered once each, read by `notify`).
        static THREADS: [OnceLock<Thread>; 64] = [const { OnceLock::new() }; 64];

        pub fn helpers() -> usize {
            HELPERS.load(Ordering::Acquire)
        }

        /// Starts helper threads (once; later calls with a larger `threads` add more) so that
        /// [`super::super::threads`] is `threads`, at most 64. Native builds run on one thread
        /// until this is called.
        pub fn start_threads(threads: usize) {
            static LOCK: Mutex<()> = Mutex::new(());
            let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
            let want = threads.clamp(1, THREADS.len()) - 1;
            for slot in helpers() + 1..=want {
                let t = std::thread::Builder::new()
                    .name(format!("mobilenet-helper-{slot}"))
                    .spawn(move || super::helper(slot))
                    .expect("spawning a helper thread");
                let _ = THREADS[slot - 1].set(t.thread().clone());
                HELPERS.store(slot, Ordering::Release);
            }
        }

        pub fn now() -> f64 {
            static START: OnceLock<Instant> = OnceLock::new();
            START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
        }

        pub fn wait(word: &AtomicU32, expected: u32, timeout_ns: i64) {
            if word.load(Ordering::SeqCst) == expected {
                if timeout_ns < 0 {
                    // Helpers: `notify` unparks them (an unpark before the park makes it return).
                    std::thread::park_timeout(Duration::from_millis(50));
                } else {
                    // The caller is not registered for unparking: yield instead.
                    std::thread::yield_now();
                }
            }
        }

        pub fn notify(_word: &AtomicU32) {
            for t in THREADS.iter().filter_map(OnceLock::get) {
                t.unpark();
            }
        }

        pub fn can_block() -> bool {
            true
        }

        pub fn start_helpers() {}
    }

    #[cfg(not(target_arch = "wasm32"))]
    use native as platform;

    pub use platform::now;
    use platform::{can_block, notify, start_helpers, wait};

    #[cfg(test)]
    mod tests {
        use super::Claim;

        #[test]
        fn claim_word_round_trips() {
            for c in [
                Claim { phase: 0, slots: 0, next: 0, limit: 0 },
                Claim { phase: (1 << 40) - 1, slots: 255, next: 255, limit: 255 },
                Claim { phase: 12345, slots: 2, next: 7, limit: 9 },
            ] {
                assert_eq!(Claim::unpack(c.pack()), c);
            }
            assert!(Claim { phase: 1, slots: 2, next: 0, limit: 3 }.open_to(1));
            assert!(!Claim { phase: 1, slots: 2, next: 0, limit: 3 }.open_to(2));
            assert!(!Claim { phase: 1, slots: 2, next: 3, limit: 3 }.open_to(0));
        }
    }
}

// Native only: the tests start native helper threads (wasm32 has none without the threads build).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

    #[test]
    fn splits_cover_everything_once_aligned_and_shrinking() {
        for n in [0, 1, 7, 49, 100, 196, 3136, 12544] {
            for threads in [1, 2, 3, 8] {
                for min in [1, 4, 10, 100, 5000] {
                    let split = Split { n, threads, min, align: 4 }.at_most(MAX_CHUNKS);
                    let count = split.count();
                    assert!((1..=MAX_CHUNKS).contains(&count));
                    if threads == 1 {
                        assert_eq!(count, 1);
                    }
                    let mut next = 0;
                    let mut last = usize::MAX;
                    for chunk in 0..count {
                        let r = split.band(chunk);
                        assert_eq!(r.start, next, "{split:?} chunk {chunk}");
                        assert!(r.start % 4 == 0 || r.start == n);
                        assert!(!r.is_empty() || n == 0);
                        // Non-increasing, but for the final remainder.
                        assert!(r.len() <= last || chunk == count - 1, "{split:?} chunk {chunk}");
                        last = r.len();
                        next = r.end;
                    }
                    assert_eq!(next, n, "{split:?}");
                    assert!(split.band(count).is_empty());
                }
            }
        }
        // Two threads, 12544 pixels, at least 100 per chunk: big chunks first, small ones last.
        let split = Split { n: 12544, threads: 2, min: 100, align: 4 };
        assert_eq!(split.band(0), 0..3136);
        assert!(split.band(split.count() - 2).len() <= 104);
    }

    /// A job that records how often each chunk ran and on which slot, checks that no chunk of a
    /// layer starts before the previous layer is complete, and optionally slows helpers down.
    struct Probe {
        layers: usize,
        chunks: usize,
        /// Per layer and chunk: how many times it ran.
        ran: Vec<AtomicU32>,
        /// Per layer: the chunk count it ran with, and how many of its chunks finished.
        used: Vec<AtomicUsize>,
        finished: Vec<AtomicUsize>,
        /// Helpers sleep this long in each chunk (as a descheduled thread would).
        helper_delay: std::time::Duration,
        slots_seen: Mutex<Vec<usize>>,
    }

    impl Probe {
        fn new(layers: usize, chunks: usize, helper_delay_us: u64) -> Probe {
            Probe {
                layers,
                chunks,
                ran: (0..layers * chunks).map(|_| AtomicU32::new(0)).collect(),
                used: (0..layers).map(|_| AtomicUsize::new(0)).collect(),
                finished: (0..layers).map(|_| AtomicUsize::new(0)).collect(),
                helper_delay: std::time::Duration::from_micros(helper_delay_us),
                slots_seen: Mutex::new(Vec::new()),
            }
        }

        /// Every layer ran each of its chunks exactly once.
        fn check(&self) {
            for layer in 0..self.layers {
                let n = self.used[layer].load(Ordering::SeqCst);
                assert!(n >= 1, "layer {layer} never ran");
                assert_eq!(self.finished[layer].load(Ordering::SeqCst), n, "layer {layer}");
                for chunk in 0..self.chunks {
                    let want = u32::from(chunk < n);
                    assert_eq!(
                        self.ran[layer * self.chunks + chunk].load(Ordering::SeqCst),
                        want,
                        "layer {layer} chunk {chunk}"
                    );
                }
            }
        }
    }

    impl Layers for Probe {
        fn count(&self) -> usize {
            self.layers
        }
        fn chunks(&self, layer: usize, threads: usize) -> usize {
            if layer % 3 == 2 || threads == 1 { 1 } else { self.chunks }
        }
        fn run(&self, layer: usize, chunk: usize, threads: usize, slot: usize) {
            let chunks = self.chunks(layer, threads);
            self.used[layer].store(chunks, Ordering::SeqCst);
            if layer > 0 {
                let prev = self.used[layer - 1].load(Ordering::SeqCst);
                assert_eq!(
                    self.finished[layer - 1].load(Ordering::SeqCst),
                    prev,
                    "layer {layer} started early"
                );
            }
            if slot != 0 && !self.helper_delay.is_zero() {
                std::thread::sleep(self.helper_delay);
            }
            self.ran[layer * self.chunks + chunk].fetch_add(1, Ordering::SeqCst);
            self.slots_seen.lock().unwrap().push(slot);
            self.finished[layer].fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn every_chunk_runs_exactly_once_in_order_with_helpers() {
        start_threads(3);
        for delay in [0, 200] {
            for _ in 0..20 {
                let p = Probe::new(12, 7, delay);
                let mut ex = Executor::new();
                ex.force(Some(3));
                let mut completed = Vec::new();
                ex.run(&p, 3, &mut |l| completed.push(l));
                assert_eq!(completed, (0..12).collect::<Vec<_>>());
                p.check();
            }
        }
    }

    #[test]
    fn slots_beyond_the_callers_partitions_never_run() {
        start_threads(3);
        for _ in 0..50 {
            let p = Probe::new(6, 9, 0);
            let mut ex = Executor::new();
            ex.force(Some(2));
            ex.run(&p, 2, &mut |_| {});
            p.check();
            assert!(p.slots_seen.lock().unwrap().iter().all(|&s| s < 2));
        }
    }

    #[test]
    fn the_caller_does_not_wait_for_slow_helpers_beyond_their_claims() {
        // Helpers take 20 ms per chunk; the caller takes every chunk it can and so waits for at
        // most one helper chunk per layer and helper.
        start_threads(2);
        let p = Probe::new(6, 64, 20_000);
        let mut ex = Executor::new();
        ex.force(Some(2));
        let t0 = std::time::Instant::now();
        ex.run(&p, 2, &mut |_| {});
        p.check();
        let s = ex.stats();
        if s.team_runs == 1 {
            // (Another test may hold the team, and then this run was alone.)
            assert!(s.helper_chunks <= 4, "helpers took {} chunks", s.helper_chunks);
            assert!(t0.elapsed().as_millis() < 4 * 20 * 3, "{:?}", t0.elapsed());
        }
    }

    #[test]
    fn sleeping_helpers_are_woken_run_after_run() {
        // Helpers fall asleep between runs (idle longer than they spin); every run must still
        // get them back, so no wake-up is lost however the sleeps and publications interleave.
        struct Slow;
        impl Layers for Slow {
            fn count(&self) -> usize {
                3
            }
            fn chunks(&self, _: usize, _: usize) -> usize {
                40
            }
            fn run(&self, _: usize, _: usize, _: usize, _: usize) {
                std::thread::sleep(std::time::Duration::from_micros(100));
            }
        }
        start_threads(2);
        let mut joined = 0;
        let mut team_runs = 0;
        for _ in 0..20 {
            std::thread::sleep(std::time::Duration::from_millis(5));
            let mut ex = Executor::new();
            ex.force(Some(2));
            ex.run(&Slow, 2, &mut |_| {});
            let s = ex.stats();
            team_runs += s.team_runs;
            joined += u64::from(s.team_runs == 1 && s.unjoined_runs == 0);
        }
        // (A run is alone when another test holds the team.)
        assert!(
            team_runs < 10 || joined * 10 >= team_runs * 9,
            "helpers joined {joined} of {team_runs} runs"
        );
    }

    #[test]
    fn a_panicking_chunk_does_not_leave_the_team_broken() {
        struct Boom;
        impl Layers for Boom {
            fn count(&self) -> usize {
                2
            }
            fn chunks(&self, _: usize, _: usize) -> usize {
                50
            }
            fn run(&self, layer: usize, chunk: usize, threads: usize, _: usize) {
                std::thread::sleep(std::time::Duration::from_micros(50));
                // Also when the layer runs whole (`threads == 1`): a run goes alone when another
                // test holds the team, and must panic all the same (it did not: the flake).
                assert!(!(layer == 1 && (chunk == 20 || threads == 1)), "boom");
            }
        }
        start_threads(2);
        for _ in 0..5 {
            let r = std::panic::catch_unwind(|| {
                let mut ex = Executor::new();
                ex.force(Some(2));
                ex.run(&Boom, 2, &mut |_| {});
            });
            assert!(r.is_err());
        }
        // The team still works.
        let p = Probe::new(6, 9, 0);
        let mut ex = Executor::new();
        ex.force(Some(2));
        ex.run(&p, 2, &mut |_| {});
        p.check();
    }

    /// Feeds `learn` the times `time(run, team)` and returns which runs were on the team.
    fn drive(ex: &mut Executor, runs: usize, mut time: impl FnMut(usize, bool) -> f64) -> Vec<bool> {
        (0..runs)
            .map(|i| {
                let probe = ex.since_probe >= ex.backoff;
                let team = ex.prefer_team != probe;
                ex.learn(team, time(i, team), probe);
                team
            })
            .collect()
    }

    fn count(runs: &[bool], team: bool) -> usize {
        runs.iter().filter(|&&t| t == team).count()
    }

    #[test]
    fn the_executor_prefers_the_faster_mode_and_re_measures_the_other() {
        let mut ex = Executor::new();
        // Quiet: the team is twice as fast.
        let quiet = drive(&mut ex, 300, |_, team| if team { 8.0 } else { 16.0 });
        assert!(ex.prefer_team);
        assert!(count(&quiet[100..], false) <= 4, "few solo runs once settled");
        // Busy: the team is 5× slower than the caller alone: back to one thread after two team
        // runs.
        let busy = drive(&mut ex, 300, |_, team| if team { 120.0 } else { 22.0 });
        assert!(!ex.prefer_team);
        assert!(count(&busy[..3], true) <= 2, "falls back at once");
        // (Each team probe after runs alone is two team runs: see `learn`.)
        assert!(
            count(&busy[100..], true) <= 6,
            "few team probes once settled: {}",
            count(&busy[100..], true)
        );
        // Busy, the team only 30% slower: back to one thread within a few runs too (the
        // caller alone's times moved, so the team is measured again).
        let mut ex = Executor::new();
        drive(&mut ex, 100, |_, team| if team { 8.0 } else { 16.0 });
        let mild = drive(&mut ex, 100, |_, team| if team { 29.0 } else { 22.0 });
        assert!(!ex.prefer_team);
        // (Each team probe after runs alone is two team runs: see `learn`.)
        assert!(count(&mild[10..], true) <= 8, "{} team runs: {:?}", count(&mild[10..], true), &mild[..40]);
        // Quiet again: the threads come back within one backoff.
        let again = drive(&mut ex, 100, |_, team| if team { 8.0 } else { 16.0 });
        assert!(ex.prefer_team, "a quiet machine gets its threads back");
        assert!(count(&again[70..], false) <= 2, "mostly on the team again");
    }

    #[test]
    fn the_stats_say_which_mode_the_next_runs_use_forced_or_not() {
        start_threads(2);
        let mut ex = Executor::new();
        assert!(ex.stats().prefer_team, "a fresh executor starts on the team");
        drive(&mut ex, 50, |_, team| if team { 120.0 } else { 16.0 });
        assert!(!ex.stats().prefer_team, "busy: alone");
        ex.force(Some(2));
        assert!(ex.stats().prefer_team, "forced onto the team, whatever it measured");
        ex.force(Some(1));
        assert!(!ex.stats().prefer_team, "forced alone");
    }

    #[test]
    fn a_team_probe_after_the_caller_ran_alone_is_measured_once_the_helpers_are_awake() {
        // The team's first run after runs alone is no faster than the caller alone (its helpers
        // slept and take the run to wake up); the next ones are 1.6× faster. Measured on that
        // first run, every team probe lost and a quiet machine never got its threads back.
        let mut ex = Executor::new();
        drive(&mut ex, 50, |_, team| if team { 120.0 } else { 16.0 });
        assert!(!ex.prefer_team, "busy: alone");
        let mut last_team = false;
        let quiet = drive(&mut ex, 200, |_, team| {
            let ms = if !team {
                16.0
            } else if last_team {
                10.0
            } else {
                17.0
            };
            last_team = team;
            ms
        });
        assert!(ex.prefer_team, "a quiet machine gets its threads back");
        assert!(count(&quiet[100..], true) >= 95, "team in {} of 100 runs", count(&quiet[100..], true));
    }

    #[test]
    fn a_lone_slow_team_run_does_not_take_the_threads_away() {
        // Quiet, the team twice as fast, but now and then one team run 5× slower (a helper
        // descheduled for a few milliseconds): the caller alone must not take over.
        let mut ex = Executor::new();
        let runs =
            drive(&mut ex, 400, |i, team| if team { if i % 13 == 5 { 40.0 } else { 8.0 } } else { 16.0 });
        assert!(count(&runs[20..], true) >= 370, "team in {} of 380 runs", count(&runs[20..], true));
    }

    #[test]
    fn a_probe_must_beat_the_preferred_modes_median_not_one_slow_run() {
        // Every fourth team run is 1.25× slower than the caller alone (not twice: no fall-back
        // rule applies); a probe of the caller alone that follows one of them beats that run,
        // and the confirming probe must not be judged against the same slow run again.
        let mut ex = Executor::new();
        let runs =
            drive(&mut ex, 400, |i, team| if team { if i % 4 == 3 { 20.0 } else { 8.0 } } else { 16.0 });
        assert!(count(&runs[20..], true) >= 360, "team in {} of 380 runs", count(&runs[20..], true));
    }

    #[test]
    fn the_executor_is_not_fooled_by_a_machine_whose_speed_jumps() {
        // The machine alternates between a fast and a 1.6× slower state every 7 runs (a
        // virtual CPU sharing its core, say); the team is 1.6× faster than the caller alone in
        // either state. A probe of the caller alone in the fast state can beat a team median
        // taken in the slow state — it must not take the threads away.
        let mut ex = Executor::new();
        let runs = drive(&mut ex, 600, |i, team| {
            let state = if (i / 7) % 2 == 0 { 1.0 } else { 1.6 };
            state * if team { 16.0 } else { 25.6 }
        });
        // Fewer than 1 run in 10 alone: medians and 90th percentiles are the team's.
        assert!(count(&runs[50..], true) >= 500, "team in {} of 550 runs", count(&runs[50..], true));
    }
}
