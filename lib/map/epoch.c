/* SPDX-License-Identifier: BSD-2-Clause */
/* Grace periods for optimistic readers (epoch.h). */
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "epoch.h"
#include "lock.h"

bool safemap__epoch_asym;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static int membarrier(int cmd)
{
#ifdef __NR_membarrier
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
#else
	(void)cmd;
	return -1;
#endif
}

static void epoch_register(void)
{
	int cmds = membarrier(MEMBARRIER_CMD_QUERY);

	if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
		__atomic_store_n(&safemap__epoch_asym, true, __ATOMIC_RELEASE);
}

void safemap__epoch_init(void)
{
	pthread_once(&once, epoch_register);
}

void safemap__epoch_sync(struct safemap_tslot *slots)
{
	unsigned i, spins;

	if (!safemap__epoch_asym || membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < SAFEMAP_TSLOTS; i++) {
		uint64_t v = __atomic_load_n(&slots[i].rd, __ATOMIC_ACQUIRE);

		if (!(v & 1))
			continue;
		for (spins = 0; __atomic_load_n(&slots[i].rd, __ATOMIC_ACQUIRE) == v; spins++) {
			if (spins < 256)
				safemap__cpu_relax();
			else
				sched_yield(); /* the reader was preempted inside its read */
		}
	}
}
