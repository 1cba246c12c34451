//! Running a whole inference on several threads.
//!
//! With the `threads` feature (the nightly, shared-memory wasm build) the calling thread and
//! every thread of rayon's global pool (wasm-bindgen-rayon's Web Workers) run the same layer
//! loop once per inference, each computing its own band of every layer, and wait at a spinning
//! barrier between layers. Waking sleeping threads costs tens of microseconds in browsers; a
//! barrier between layers costs about one. The caller never sleeps (it spins), so no
//! `Atomics.wait` happens on it. Without the feature there is one part and no barrier.
//!
//! Each output element is computed by the same instructions whatever the split, so results are
//! identical for any thread count.

use core::ops::Range;
use core::sync::atomic::{AtomicUsize, Ordering};

/// Work (multiply-adds, weighted by [`DEPTHWISE_WEIGHT`]) below which splitting a layer
/// further costs more than it saves.
pub const MIN_PART_WORK: usize = 150_000;

/// A depthwise multiply-add costs about this many pointwise ones (measured: ~4 vs ~25 GMAC/s
/// for uint8 with SIMD128).
pub const DEPTHWISE_WEIGHT: usize = 6;

/// Threads an inference may use: the caller and the pool's threads.
pub fn threads() -> usize {
    #[cfg(feature = "threads")]
    {
        rayon::current_num_threads() + 1
    }
    #[cfg(not(feature = "threads"))]
    {
        1
    }
}

/// A barrier that spins: the threads of an inference wait here between layers.
#[derive(Debug)]
pub struct Barrier {
    count: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl Barrier {
    pub fn new(count: usize) -> Barrier {
        Barrier { count, arrived: AtomicUsize::new(0), generation: AtomicUsize::new(0) }
    }

    /// Returns once all `count` threads have called it (for this generation).
    pub fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.count {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
        } else {
            while self.generation.load(Ordering::Acquire) == generation {
                core::hint::spin_loop();
            }
        }
    }
}

/// One thread's share of an inference: part `index` of `count`.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    pub index: usize,
    pub count: usize,
    barrier: Option<&'a Barrier>,
}

impl Part<'_> {
    /// The only part of a single-threaded run.
    pub const SOLO: Part<'static> = Part { index: 0, count: 1, barrier: None };

    pub fn is_first(&self) -> bool {
        self.index == 0
    }

    /// This part's contiguous share of `0..n` when the work is split into `min(count, parts)`
    /// pieces with boundaries multiple of `align` (parts past that get an empty range).
    pub fn share(&self, n: usize, align: usize, parts: usize) -> Range<usize> {
        let pieces = self.count.min(parts).max(1);
        if self.index >= pieces {
            return n..n;
        }
        let align = align.max(1);
        let edge = |t: usize| if t == pieces { n } else { (n * t / pieces) / align * align };
        edge(self.index)..edge(self.index + 1)
    }

    /// Waits until every part has reached this point.
    pub fn sync(&self) {
        if let Some(b) = self.barrier {
            b.wait();
        }
    }
}

/// Calls `f(part)` once on each of [`threads`] threads — part 0 on the calling thread — and
/// returns when all have finished.
pub fn run_parts(f: impl Fn(Part<'_>) + Sync) {
    let count = threads();
    #[cfg(feature = "threads")]
    if count > 1 {
        spawn_parts(count, &f);
        return;
    }
    debug_assert_eq!(count, 1);
    f(Part::SOLO);
}

#[cfg(feature = "threads")]
fn spawn_parts(count: usize, f: &(dyn Fn(Part<'_>) + Sync)) {
    let barrier = Barrier::new(count);
    let finished = AtomicUsize::new(0);
    {
        // SAFETY: the spawned jobs borrow `f`, `barrier` and `finished`, which live on this
        // stack frame; this function does not return before every job has incremented
        // `finished` as its last action, and a panic aborts the whole instance (panic=abort),
        // so no job can outlive the borrows.
        let (f, barrier, finished): (
            &'static (dyn Fn(Part<'_>) + Sync),
            &'static Barrier,
            &'static AtomicUsize,
        ) = unsafe {
            (core::mem::transmute(f), core::mem::transmute(&barrier), core::mem::transmute(&finished))
        };
        for index in 1..count {
            rayon::spawn(move || {
                f(Part { index, count, barrier: Some(barrier) });
                finished.fetch_add(1, Ordering::Release);
            });
        }
        f(Part { index: 0, count, barrier: Some(barrier) });
    }
    while finished.load(Ordering::Acquire) != count - 1 {
        core::hint::spin_loop();
    }
}

/// A raw pointer the parts of an inference may share: each writes a disjoint part of the
/// memory behind it.
pub struct SharedMut<T>(pub *mut T);

impl<T> Clone for SharedMut<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SharedMut<T> {}

// SAFETY: used only to hand disjoint ranges of a buffer to the parts of `run_parts`; the session
// guarantees no two parts touch the same element between two barriers.
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

#[cfg(test)]
mod tests {
    use super::Part;

    #[test]
    fn shares_cover_everything_once_and_aligned() {
        for n in [0, 1, 7, 49, 100, 12544] {
            for count in 1..5 {
                for parts in [1, 2, 3, 8] {
                    let mut next = 0;
                    for index in 0..count {
                        let r = Part { index, count, barrier: None }.share(n, 4, parts);
                        if r.is_empty() {
                            continue;
                        }
                        assert_eq!(r.start, next, "n {n} count {count} parts {parts}");
                        assert!(r.start % 4 == 0);
                        next = r.end;
                    }
                    assert_eq!(next, n);
                }
            }
        }
    }
}
