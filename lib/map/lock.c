/* SPDX-License-Identifier: BSD-2-Clause */
/* The shard lock's slow paths (lock.h): spin, then sleep on a futex. */
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"

#define SPINS 200

static uint32_t *low_word(struct safemap_lock *l)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint32_t *)(void *)&l->word;
#else
	return (uint32_t *)(void *)&l->word + 1;
#endif
}

/* Sleep while the low 32 bits are still those of @p v (which has SLEEP),
 * at most @p rel (NULL: no limit). */
static void wait_on(struct safemap_lock *l, uint64_t v, const struct timespec *rel)
{
	syscall(SYS_futex, low_word(l), FUTEX_WAIT_PRIVATE, (uint32_t)v, rel, NULL, 0);
}

/* Nanoseconds left until @p deadline (CLOCK_MONOTONIC), as a relative
 * timespec; false when none are left. */
static bool time_left(const struct timespec *deadline, struct timespec *rel)
{
	struct timespec now;
	int64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000000000 + (deadline->tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return false;
	rel->tv_sec = ns / 1000000000;
	rel->tv_nsec = ns % 1000000000;
	return true;
}

void safemap__lock_wake(struct safemap_lock *l)
{
	/* Clearing SLEEP changes the low word: a thread between setting
	 * SLEEP and sleeping does not sleep; the woken re-set it if they
	 * must wait again. */
	__atomic_fetch_and(&l->word, ~SAFEMAP_LOCK_SLEEP, __ATOMIC_RELAXED);
	syscall(SYS_futex, low_word(l), FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Set @p bits in the word if it is still @p *v; false (and *v reloaded) if not. */
static bool set_bits(struct safemap_lock *l, uint64_t *v, uint64_t bits)
{
	if (!__atomic_compare_exchange_n(&l->word, v, *v | bits, false, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		return false;
	*v |= bits;
	return true;
}

bool safemap__lock_wr_slow(struct safemap_lock *l)
{
	uint64_t v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	unsigned spins = 0;

	for (;;) {
		if (!(v & (SAFEMAP_LOCK_W | SAFEMAP_LOCK_READERS))) {
			if (__atomic_compare_exchange_n(&l->word, &v, v | SAFEMAP_LOCK_W, false,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return true;
			continue;
		}
		/* hold new readers back until this writer is through */
		if (!(v & SAFEMAP_LOCK_WW) && !set_bits(l, &v, SAFEMAP_LOCK_WW))
			continue;
		if (spins++ < SPINS) {
			safemap__cpu_relax();
			v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
			continue;
		}
		if (!(v & SAFEMAP_LOCK_SLEEP) && !set_bits(l, &v, SAFEMAP_LOCK_SLEEP))
			continue;
		wait_on(l, v, NULL);
		v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	}
}

/* Wait for the read lock until @p deadline (NULL: no limit): true if taken. */
static bool rd_wait(struct safemap_lock *l, const struct timespec *deadline)
{
	struct timespec rel;
	uint64_t v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	unsigned spins = 0;

	for (;;) {
		if (!(v & (SAFEMAP_LOCK_W | SAFEMAP_LOCK_WW))) {
			if (__atomic_compare_exchange_n(&l->word, &v, v + SAFEMAP_LOCK_READER, false,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return true;
			continue;
		}
		if (spins++ < SPINS) {
			safemap__cpu_relax();
			v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
			continue;
		}
		if (deadline && !time_left(deadline, &rel))
			return false;
		if (!(v & SAFEMAP_LOCK_SLEEP) && !set_bits(l, &v, SAFEMAP_LOCK_SLEEP))
			continue;
		wait_on(l, v, deadline ? &rel : NULL);
		v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	}
}

bool safemap__lock_rd_slow(struct safemap_lock *l)
{
	return rd_wait(l, NULL);
}

bool safemap__lock_rd_timed(struct safemap_lock *l, unsigned timeout_ms)
{
	struct timespec deadline;
	bool ok;

	safemap__tsan_pre_lock(l, SAFEMAP_TSAN_RD | SAFEMAP_TSAN_TRY);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	ok = rd_wait(l, &deadline);
	safemap__tsan_post_lock(l, SAFEMAP_TSAN_RD | SAFEMAP_TSAN_TRY | (ok ? 0 : SAFEMAP_TSAN_FAILED));
	return ok;
}
