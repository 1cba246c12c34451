//! Splitting a layer over threads.
//!
//! With the `threads` feature (the nightly, shared-memory wasm build) work is split into one
//! contiguous range per thread of rayon's global pool (wasm-bindgen-rayon's Web Workers); without
//! it every call runs as a single range on the calling thread. Each output element is computed
//! by exactly the same instructions whatever the split, so results are identical for any
//! thread count.

use core::ops::Range;

/// Threads the kernels may use.
pub fn threads() -> usize {
    #[cfg(feature = "threads")]
    {
        rayon::current_num_threads().max(1)
    }
    #[cfg(not(feature = "threads"))]
    {
        1
    }
}

/// The `task`-th of `tasks` contiguous ranges covering `0..n`, boundaries multiples of `align`.
fn range(task: usize, tasks: usize, n: usize, align: usize) -> Range<usize> {
    let edge = |t: usize| if t == tasks { n } else { (n * t / tasks) / align * align };
    edge(task)..edge(task + 1)
}

/// Calls `f(task, range)` on at most `max_tasks` (and at most [`threads`]) contiguous ranges
/// covering `0..n`, each about `n / tasks` long with boundaries multiples of `align`, and at
/// least `min_len` long. Runs the ranges in parallel when built with threads.
pub fn for_each_range<F>(n: usize, align: usize, min_len: usize, max_tasks: usize, f: F)
where
    F: Fn(usize, Range<usize>) + Send + Sync,
{
    let tasks = threads().min(max_tasks).min(n / min_len.max(1)).max(1);
    if tasks == 1 {
        f(0, 0..n);
        return;
    }
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        (0..tasks).into_par_iter().for_each(|t| f(t, range(t, tasks, n, align.max(1))));
    }
    #[cfg(not(feature = "threads"))]
    for t in 0..tasks {
        f(t, range(t, tasks, n, align.max(1)));
    }
}

/// Multiply-adds below which splitting a layer further costs more than it saves (waking a
/// thread takes tens of microseconds in browsers).
pub const MIN_TASK_MACS: usize = 400_000;

/// A raw pointer that tasks may share: each task writes a disjoint part of the memory behind it.
pub struct SharedMut<T>(pub *mut T);

impl<T> Clone for SharedMut<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SharedMut<T> {}

// SAFETY: used only to hand disjoint output ranges to the tasks of `for_each_range`; the
// kernels guarantee no two tasks touch the same element.
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
    use super::range;

    #[test]
    fn ranges_cover_everything_once_and_aligned() {
        for n in [0, 1, 7, 49, 100, 12544] {
            for tasks in 1..5 {
                let mut next = 0;
                for t in 0..tasks {
                    let r = range(t, tasks, n, 4);
                    assert_eq!(r.start, next);
                    assert!(r.start % 4 == 0 || r.start == n);
                    next = r.end;
                }
                assert_eq!(next, n);
            }
        }
    }
}
