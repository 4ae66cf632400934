/* SPDX-License-Identifier: BSD-2-Clause */
/* The shard lock's slow paths (lock.h): spin, then sleep on a futex. */
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
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

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Sleep while the low 32 bits are still those of @p v (which has SLEEP). */
static void wait_on(struct safemap_lock *l, uint64_t v)
{
	syscall(SYS_futex, low_word(l), FUTEX_WAIT_PRIVATE, (uint32_t)v, NULL, NULL, 0);
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
			relax();
			v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
			continue;
		}
		if (!(v & SAFEMAP_LOCK_SLEEP) && !set_bits(l, &v, SAFEMAP_LOCK_SLEEP))
			continue;
		wait_on(l, v);
		v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	}
}

bool safemap__lock_rd_slow(struct safemap_lock *l)
{
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
			relax();
			v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
			continue;
		}
		if (!(v & SAFEMAP_LOCK_SLEEP) && !set_bits(l, &v, SAFEMAP_LOCK_SLEEP))
			continue;
		wait_on(l, v);
		v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	}
}
