/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every benchmark program needs: a clock and the median of a run. */
#pragma once

#include <stdlib.h>
#include <time.h>

#include <glib.h>

static inline gint64
bench_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static inline int
bench_compare_doubles (const void *a,
                       const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Sorts @v. */
static inline double
bench_median (double *v,
              guint   n)
{
  qsort (v, n, sizeof *v, bench_compare_doubles);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
