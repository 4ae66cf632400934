/* SPDX-License-Identifier: BSD-2-Clause */
/* What the small benchmarks share: clocks and the median of repetitions. */
#ifndef SAFEMAP_BENCH_TIME_H
#define SAFEMAP_BENCH_TIME_H

#include <stdlib.h>
#include <time.h>

/* seconds on @p id (CLOCK_MONOTONIC: wall time; CLOCK_THREAD_CPUTIME_ID:
 * the calling thread's CPU time, which a busy machine does not inflate) */
static inline double bench_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double now(void)
{
	return bench_clock(CLOCK_MONOTONIC);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* the median of @p n values (sorts them) */
static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* SAFEMAP_BENCH_TIME_H */
