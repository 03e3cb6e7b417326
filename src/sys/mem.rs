//! Handing the allocator's free memory back to the operating system.

/// Returns free heap memory to the operating system: glibc's
/// `malloc_trim(0)`, which releases the free pages of every arena (not only
/// the top of the main heap). A no-op with other C libraries.
///
/// It takes each arena's lock in turn, so it runs off the workers.
pub(crate) fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers and is safe to call at any
    // time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
