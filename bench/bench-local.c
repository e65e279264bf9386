/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-local: what AsgirefLocal and AsgirefContext cost, against the raw
 * GLib mechanism a hand-written C program would use for per-thread named
 * values: a GPrivate holding a GHashTable keyed by name.
 *
 * Output: a header line, then one tab-separated line per entry:
 *
 *   entry  ours  baseline  unit  ratio
 *
 * where ours and baseline are the medians (ns per operation) of REPS
 * repetitions of ITERATIONS operations each, the two measured alternately in
 * the same run, and ratio is ours / baseline.
 *
 * Usage: bench-local [ITERATIONS [REPS]]   (defaults: 1000000, 7)
 */
#include <stdio.h>

#include <asgiref.h>

#include "bench-util.h"

#define N_NAMES 8

static const char *names[N_NAMES] = {
  "request_id", "user", "locale", "db", "trace", "deadline", "peer", "path",
};

static guint iterations = 1000000;
static guint reps = 7;

/* Results go here so the compiler cannot drop the loops. */
static volatile gsize sink;

/* The baseline's storage: per-thread hash tables. */
static GPrivate table_key = G_PRIVATE_INIT ((GDestroyNotify) g_hash_table_unref);

static AsgirefLocal *local;

/* Each loop body cycles over the 8 names, so that neither side benefits
 * from asking for the same entry every time. */

static gsize
ours_local_get (guint n)
{
  gsize acc = 0;

  for (guint i = 0; i < n; i++)
    acc += GPOINTER_TO_SIZE (asgiref_local_get_pointer (local, names[i & (N_NAMES - 1)]));
  return acc;
}

static gsize
base_local_get (guint n)
{
  gsize acc = 0;

  for (guint i = 0; i < n; i++)
    {
      GHashTable *table = g_private_get (&table_key);
      acc += GPOINTER_TO_SIZE (g_hash_table_lookup (table, names[i & (N_NAMES - 1)]));
    }
  return acc;
}

static gsize
ours_local_get_value (guint n)
{
  gsize acc = 0;

  for (guint i = 0; i < n; i++)
    {
      GValue value = G_VALUE_INIT;

      if (asgiref_local_get_value (local, names[i & (N_NAMES - 1)], &value, NULL))
        {
          acc += GPOINTER_TO_SIZE (g_value_get_pointer (&value));
          g_value_unset (&value);
        }
    }
  return acc;
}

static gsize
ours_local_set (guint n)
{
  for (guint i = 0; i < n; i++)
    asgiref_local_set_pointer (local, names[i & (N_NAMES - 1)], GUINT_TO_POINTER (i + 1), NULL);
  return n;
}

static gsize
base_local_set (guint n)
{
  for (guint i = 0; i < n; i++)
    {
      GHashTable *table = g_private_get (&table_key);
      g_hash_table_replace (table, (gpointer) names[i & (N_NAMES - 1)], GUINT_TO_POINTER (i + 1));
    }
  return n;
}

static gsize
ours_context_copy (guint n)
{
  gsize acc = 0;

  for (guint i = 0; i < n; i++)
    {
      AsgirefContext *copy = asgiref_context_capture ();
      acc += GPOINTER_TO_SIZE (copy);
      asgiref_context_unref (copy);
    }
  return acc;
}

static gsize
ours_context_run (guint n)
{
  /* run() of an already-current-elsewhere context: enter + leave. */
  AsgirefContext *context = asgiref_context_capture ();
  gsize acc = 0;

  for (guint i = 0; i < n; i++)
    {
      asgiref_context_enter (context);
      acc += GPOINTER_TO_SIZE (asgiref_local_get_pointer (local, names[i & (N_NAMES - 1)]));
      asgiref_context_leave (context);
    }
  asgiref_context_unref (context);
  return acc;
}

typedef gsize (*LoopFunc) (guint n);

static void
measure (const char *entry,
         LoopFunc    ours,
         LoopFunc    baseline)
{
  g_autofree double *ours_ns = g_new (double, reps);
  g_autofree double *base_ns = g_new (double, reps);
  double o, b;

  /* Warm up caches, lazy initialisation and the CPU clock. */
  sink += ours (iterations / 10 + 1);
  sink += baseline (iterations / 10 + 1);

  for (guint r = 0; r < reps; r++)
    {
      gint64 t0, t1, t2;

      t0 = bench_now_ns ();
      sink += ours (iterations);
      t1 = bench_now_ns ();
      sink += baseline (iterations);
      t2 = bench_now_ns ();

      ours_ns[r] = (double) (t1 - t0) / iterations;
      base_ns[r] = (double) (t2 - t1) / iterations;
    }

  o = bench_median (ours_ns, reps);
  b = bench_median (base_ns, reps);
  printf ("%s\t%.1f\t%.1f\tns/op\t%.2f\n", entry, o, b, o / b);
  fflush (stdout);
}

int
main (int   argc,
      char *argv[])
{
  GHashTable *table;

  if (argc > 1)
    iterations = (guint) MAX (1, g_ascii_strtoull (argv[1], NULL, 10));
  if (argc > 2)
    reps = (guint) MAX (1, g_ascii_strtoull (argv[2], NULL, 10));

  /* Ours: a context Local with 8 names set in the current context. */
  local = asgiref_local_new ();
  for (guint i = 0; i < N_NAMES; i++)
    asgiref_local_set_pointer (local, names[i], GUINT_TO_POINTER (i + 1), NULL);

  /* Baseline: the same 8 names in this thread's hash table. */
  table = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < N_NAMES; i++)
    g_hash_table_insert (table, (gpointer) names[i], GUINT_TO_POINTER (i + 1));
  g_private_set (&table_key, table);

  printf ("entry\tours\tbaseline\tunit\tratio\n");
  measure ("local-get", ours_local_get, base_local_get);
  measure ("local-get-value", ours_local_get_value, base_local_get);
  measure ("local-set", ours_local_set, base_local_set);
  measure ("context-copy", ours_context_copy, base_local_get);
  measure ("context-enter-get-leave", ours_context_run, base_local_get);

  g_object_unref (local);
  return 0;
}
