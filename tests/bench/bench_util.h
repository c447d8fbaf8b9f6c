/* bench_util.h - what every benchmark program needs: a monotonic clock in
 * milliseconds and the median of a sample. */
#ifndef TESTS_BENCH_UTIL_H
#define TESTS_BENCH_UTIL_H

double bench_now_ms(void);

/* The median of v[0..n-1], n > 0; sorts v in place. */
double bench_median(double *v, int n);

#endif
