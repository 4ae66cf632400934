/* SPDX-License-Identifier: BSD-2-Clause */
/* The shard lock: a reader-writer lock and the shard's version in one 64-bit
 * word, so that a writer touches one cache line (the shard's first) and an
 * optimistic reader validates by reading one word twice.
 *
 *   bit 0       W      a writer holds the lock
 *   bit 1       WW     a writer waits: new readers wait too (writers are
 *                      not starved by a stream of readers)
 *   bit 2       SLEEP  a thread sleeps on the word (futex)
 *   bits 3-31          number of readers holding the lock
 *   bits 32-63         version: +1 at every writer release
 *
 * A writer takes the lock with one compare-and-swap and releases it with one
 * exchange (the version bump is in it); a reader with one compare-and-swap
 * and one subtraction. Waiting is a short spin, then a futex wait on the low
 * 32 bits (every release changes them). pthread_rwlock cost a second cache
 * line, a call and a second locked instruction per write (the open-addressing
 * prototype of issue 12, since deleted, measured the same table at 1.75x the
 * write throughput at 2 threads).
 *
 * Optimistic readers: v = safemap__lock_read_begin() (a version with no
 * writer inside), read, then safemap__lock_read_valid(v): true iff no
 * writer held the lock at any moment in between.
 */
#ifndef SAFEMAP_LIB_MAP_LOCK_H
#define SAFEMAP_LIB_MAP_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/internal.h"

/* Under ThreadSanitizer the lock tells it what it does (lock, unlock, read or
 * write, try), so that its lock-order (deadlock) checks cover shard locks as
 * they covered pthread locks; elsewhere these compile to nothing.
 * SAFEMAP_TSAN is defined in ThreadSanitizer builds (map_internal.h also
 * turns optimistic gets off there). */
#if defined(__SANITIZE_THREAD__)
#define SAFEMAP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SAFEMAP_TSAN 1
#endif
#endif
#ifdef SAFEMAP_TSAN
#include <sanitizer/tsan_interface.h>
#define SAFEMAP_TSAN_RD __tsan_mutex_read_lock
#define SAFEMAP_TSAN_TRY __tsan_mutex_try_lock
#define SAFEMAP_TSAN_FAILED __tsan_mutex_try_lock_failed
#define safemap__tsan_pre_lock(l, f) __tsan_mutex_pre_lock((l), (f))
#define safemap__tsan_post_lock(l, f) __tsan_mutex_post_lock((l), (f), 0)
#define safemap__tsan_pre_unlock(l, f) ((void)__tsan_mutex_pre_unlock((l), (f)))
#define safemap__tsan_post_unlock(l, f) __tsan_mutex_post_unlock((l), (f))
#define safemap__tsan_destroy(l) __tsan_mutex_destroy((l), 0)
/* the lock word's own release and acquire are hidden inside the mutex
 * annotations: group writers (gwrite.h), which only look at the word, are
 * told of every release this way */
#define safemap__tsan_release(l) __tsan_release(l)
#define safemap__tsan_acquire(l) __tsan_acquire(l)
#else
#define SAFEMAP_TSAN_RD 0u
#define SAFEMAP_TSAN_TRY 0u
#define SAFEMAP_TSAN_FAILED 0u
#define safemap__tsan_pre_lock(l, f) ((void)(l), (void)(f))
#define safemap__tsan_post_lock(l, f) ((void)(l), (void)(f))
#define safemap__tsan_pre_unlock(l, f) ((void)(l), (void)(f))
#define safemap__tsan_post_unlock(l, f) ((void)(l), (void)(f))
#define safemap__tsan_destroy(l) ((void)(l))
#define safemap__tsan_release(l) ((void)(l))
#define safemap__tsan_acquire(l) ((void)(l))
#endif

struct safemap_lock {
	uint64_t word;
};

#define SAFEMAP_LOCK_W 1ull
#define SAFEMAP_LOCK_WW 2ull
#define SAFEMAP_LOCK_SLEEP 4ull
#define SAFEMAP_LOCK_READER 8ull
#define SAFEMAP_LOCK_READERS 0xfffffff8ull
#define SAFEMAP_LOCK_VERSION (1ull << 32)

/* A spin-wait hint to the CPU. */
static inline void safemap__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* the slow paths (lock.c); they return true if they had to wait */
SAFEMAP_HIDDEN bool safemap__lock_wr_slow(struct safemap_lock *l);
SAFEMAP_HIDDEN bool safemap__lock_rd_slow(struct safemap_lock *l);
SAFEMAP_HIDDEN void safemap__lock_wake(struct safemap_lock *l);

/* Take the lock for writing; true if it had to wait. */
static inline bool safemap__lock_wr(struct safemap_lock *l)
{
	uint64_t v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	bool waited = false;

	safemap__tsan_pre_lock(l, 0);
	if (SAFEMAP_UNLIKELY((v & (SAFEMAP_LOCK_W | SAFEMAP_LOCK_READERS)) ||
			     !__atomic_compare_exchange_n(&l->word, &v, v | SAFEMAP_LOCK_W, false,
							  __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)))
		waited = safemap__lock_wr_slow(l);
	/* W is visible before any write the holder makes (seqlock writer) */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	safemap__tsan_post_lock(l, 0);
	return waited;
}

static inline void safemap__lock_wrunlock(struct safemap_lock *l)
{
	uint64_t v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	uint64_t old;

	safemap__tsan_release(l);
	safemap__tsan_pre_unlock(l, 0);
	/* readers are 0 while W is held: the new word is the next version */
	old = __atomic_exchange_n(&l->word, (v & ~(SAFEMAP_LOCK_VERSION - 1)) + SAFEMAP_LOCK_VERSION,
				  __ATOMIC_RELEASE);
	if (SAFEMAP_UNLIKELY(old & SAFEMAP_LOCK_SLEEP))
		safemap__lock_wake(l);
	safemap__tsan_post_unlock(l, 0);
}

/* Take the lock for reading; true if it had to wait. */
static inline bool safemap__lock_rd(struct safemap_lock *l)
{
	uint64_t v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	bool waited = false;

	safemap__tsan_pre_lock(l, SAFEMAP_TSAN_RD);
	if (SAFEMAP_UNLIKELY((v & (SAFEMAP_LOCK_W | SAFEMAP_LOCK_WW)) ||
			     !__atomic_compare_exchange_n(&l->word, &v, v + SAFEMAP_LOCK_READER, false,
							  __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)))
		waited = safemap__lock_rd_slow(l);
	safemap__tsan_post_lock(l, SAFEMAP_TSAN_RD);
	return waited;
}

/* Take the lock for reading only if that needs no wait: true if taken.
 * Fails while a writer holds or waits for it. */
static inline bool safemap__lock_tryrd(struct safemap_lock *l)
{
	uint64_t v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	bool ok = false;

	safemap__tsan_pre_lock(l, SAFEMAP_TSAN_RD | SAFEMAP_TSAN_TRY);
	while (!ok && !(v & (SAFEMAP_LOCK_W | SAFEMAP_LOCK_WW)))
		ok = __atomic_compare_exchange_n(&l->word, &v, v + SAFEMAP_LOCK_READER, false,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
	safemap__tsan_post_lock(l, SAFEMAP_TSAN_RD | SAFEMAP_TSAN_TRY | (ok ? 0 : SAFEMAP_TSAN_FAILED));
	return ok;
}

/* Take the lock for writing only if it is free: true if taken. */
static inline bool safemap__lock_trywr(struct safemap_lock *l)
{
	uint64_t v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	bool ok;

	safemap__tsan_pre_lock(l, SAFEMAP_TSAN_TRY);
	ok = !(v & (SAFEMAP_LOCK_W | SAFEMAP_LOCK_WW | SAFEMAP_LOCK_READERS)) &&
	     __atomic_compare_exchange_n(&l->word, &v, v | SAFEMAP_LOCK_W, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED);
	if (ok)
		__atomic_thread_fence(__ATOMIC_RELEASE);
	safemap__tsan_post_lock(l, SAFEMAP_TSAN_TRY | (ok ? 0 : SAFEMAP_TSAN_FAILED));
	return ok;
}

/* Take the lock for reading, waiting at most @p timeout_ms: true if taken. */
SAFEMAP_HIDDEN bool safemap__lock_rd_timed(struct safemap_lock *l, unsigned timeout_ms);

static inline void safemap__lock_rdunlock(struct safemap_lock *l)
{
	uint64_t v;

	safemap__tsan_release(l);
	safemap__tsan_pre_unlock(l, SAFEMAP_TSAN_RD);
	v = __atomic_sub_fetch(&l->word, SAFEMAP_LOCK_READER, __ATOMIC_RELEASE);
	if (SAFEMAP_UNLIKELY((v & SAFEMAP_LOCK_SLEEP) && !(v & SAFEMAP_LOCK_READERS)))
		safemap__lock_wake(l);
	safemap__tsan_post_unlock(l, SAFEMAP_TSAN_RD);
}

/* The lock's memory is about to be freed (no one holds it). */
static inline void safemap__lock_destroy(struct safemap_lock *l)
{
	safemap__tsan_destroy(l);
}

/* Is the lock held for writing (by the caller, if the caller holds it)? */
static inline bool safemap__lock_wrheld(struct safemap_lock *l)
{
	return __atomic_load_n(&l->word, __ATOMIC_RELAXED) & SAFEMAP_LOCK_W;
}

/* ---- optimistic reads */

/* The current word; if it has W set, a writer is inside: retry or lock. */
static inline uint64_t safemap__lock_read_begin(struct safemap_lock *l)
{
	return __atomic_load_n(&l->word, __ATOMIC_ACQUIRE);
}

/* After reading: true iff no writer was inside since @p v was read, for a
 * @p v without W (the caller checked): same version, still no W. */
static inline bool safemap__lock_read_valid(struct safemap_lock *l, uint64_t v)
{
	uint64_t now;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	now = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	return !((now ^ v) & ~(SAFEMAP_LOCK_VERSION - 1 - SAFEMAP_LOCK_W));
}

/* With the write lock held: true iff no writer held the lock since an
 * optimistic read validated @p v (same version), so the shard is as that
 * read saw it. */
static inline bool safemap__lock_unchanged(struct safemap_lock *l, uint64_t v)
{
	return !((__atomic_load_n(&l->word, __ATOMIC_RELAXED) ^ v) & ~(SAFEMAP_LOCK_VERSION - 1));
}

#endif /* SAFEMAP_LIB_MAP_LOCK_H */
