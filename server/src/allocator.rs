//! The memory allocator of every program that runs the server (the server itself, its
//! tests and the benchmarks): mimalloc rather than the C library's.
//!
//! Automerge, sqlx and hyper make many small short-lived allocations from several threads.
//! A profile of booking syncs at 100 per second (1,000 families, SQLite, `perf record` of
//! the load generator) put about a third of the server runtime's CPU in glibc's allocator
//! (`_int_malloc`, `malloc_consolidate`, `unlink_chunk`), and glibc keeps freed memory in
//! per-thread arenas (a server's resident memory grew by hundreds of megabytes that no
//! document held).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
