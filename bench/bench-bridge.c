/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-bridge: what a bridge hop costs against the raw GLib mechanism it
 * stands in for, measured alternately in the same run:
 *
 *   sync-to-async        a not-thread-sensitive round trip from a main loop
 *                        vs g_task_run_in_thread()
 *   sync-to-async-ts     a thread-sensitive round trip from a main loop
 *                        vs g_task_run_in_thread()
 *   thread-sensitive-hop a thread-sensitive round trip from a main loop
 *                        vs a GMutex/GCond ping-pong with one other thread
 *   async-to-sync        an async operation waited for from a plain thread
 *                        vs GIO's sync wrapper (push a private context,
 *                        iterate it until the callback ran)
 *
 * Output as bench-local: a header, then `entry ours baseline unit ratio`,
 * medians of REPS repetitions of ITERATIONS round trips, in microseconds.
 *
 * Usage: bench-bridge [ITERATIONS [REPS [ENTRY]]]   (defaults: 20000, 5, all)
 * Naming an ENTRY runs that one alone, for a profiler.
 */
#include <stdio.h>

#include <asgiref.h>

#include "bench-util.h"

static guint iterations = 20000;
static guint reps = 5;
static const char *only;

/* ---- Round trips from a main loop --------------------------------------- */

typedef struct _Trips Trips;

struct _Trips
{
  GMainLoop *loop;
  guint remaining;
  AsgirefSyncFlags flags;
  void (*trip) (Trips *trips);
};

static void
trivial_work (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  g_task_return_boolean (task, TRUE);
}

static void
trip_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      data)
{
  Trips *trips = data;

  g_task_propagate_boolean (G_TASK (result), NULL);
  if (--trips->remaining == 0)
    g_main_loop_quit (trips->loop);
  else
    trips->trip (trips);
}

static void
bridge_trip (Trips *trips)
{
  asgiref_bridge_sync_to_async (asgiref_bridge_get_default (), trivial_work, NULL, NULL,
                                trips->flags, NULL, trip_done, trips);
}

static void
gtask_trip (Trips *trips)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, trip_done, trips);

  g_task_run_in_thread (task, trivial_work);
}

static void
run_trips (void (*trip) (Trips *),
           guint            n,
           AsgirefSyncFlags flags)
{
  Trips trips = { g_main_loop_new (NULL, FALSE), n, flags, trip };

  trip (&trips);
  g_main_loop_run (trips.loop);
  g_main_loop_unref (trips.loop);
}

static void
ours_sync_to_async (guint n)
{
  run_trips (bridge_trip, n, ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE);
}

static void
ours_sync_to_async_ts (guint n)
{
  run_trips (bridge_trip, n, ASGIREF_SYNC_FLAGS_NONE);
}

static void
base_run_in_thread (guint n)
{
  run_trips (gtask_trip, n, 0);
}

/* ---- GMutex/GCond ping-pong --------------------------------------------- */

typedef struct
{
  GMutex lock;
  GCond cond;
  guint sent;
  guint answered;
  gboolean stop;
} PingPong;

static gpointer
pong_thread (gpointer data)
{
  PingPong *pp = data;

  g_mutex_lock (&pp->lock);
  for (;;)
    {
      while (pp->answered == pp->sent && !pp->stop)
        g_cond_wait (&pp->cond, &pp->lock);
      if (pp->stop)
        break;
      pp->answered = pp->sent;
      g_cond_broadcast (&pp->cond);
    }
  g_mutex_unlock (&pp->lock);
  return NULL;
}

static void
base_ping_pong (guint n)
{
  PingPong pp = { 0 };
  GThread *thread;

  g_mutex_init (&pp.lock);
  g_cond_init (&pp.cond);
  thread = g_thread_new ("pong", pong_thread, &pp);

  g_mutex_lock (&pp.lock);
  for (guint i = 0; i < n; i++)
    {
      pp.sent++;
      g_cond_broadcast (&pp.cond);
      while (pp.answered != pp.sent)
        g_cond_wait (&pp.cond, &pp.lock);
    }
  pp.stop = TRUE;
  g_cond_broadcast (&pp.cond);
  g_mutex_unlock (&pp.lock);

  g_thread_join (thread);
  g_cond_clear (&pp.cond);
  g_mutex_clear (&pp.lock);
}

/* ---- async-to-sync ------------------------------------------------------ */

static void
trivial_op (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  g_task_return_boolean (task, TRUE);
}

static gpointer
ours_async_to_sync_thread (gpointer data)
{
  guint n = GPOINTER_TO_UINT (data);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GAsyncResult) result = NULL;

      result = asgiref_bridge_async_to_sync (asgiref_bridge_get_default (), trivial_op,
                                             NULL, NULL, NULL);
      g_task_propagate_boolean (G_TASK (result), NULL);
    }
  return NULL;
}

static void
store_result (GObject      *source_object,
              GAsyncResult *result,
              gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static gpointer
base_sync_wrapper_thread (gpointer data)
{
  guint n = GPOINTER_TO_UINT (data);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GMainContext) context = g_main_context_new ();
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GTask) task = NULL;

      /* What gsubprocess.c and gdbusconnection.c do to wait for an
       * operation: a private context, iterated until the callback ran. */
      g_main_context_push_thread_default (context);
      task = g_task_new (NULL, NULL, store_result, &result);
      g_task_return_boolean (task, TRUE);
      while (result == NULL)
        g_main_context_iteration (context, TRUE);
      g_main_context_pop_thread_default (context);
      g_task_propagate_boolean (G_TASK (result), NULL);
    }
  return NULL;
}

static void
ours_async_to_sync (guint n)
{
  g_thread_join (g_thread_new ("a2s", ours_async_to_sync_thread, GUINT_TO_POINTER (n)));
}

static void
base_sync_wrapper (guint n)
{
  g_thread_join (g_thread_new ("wrapper", base_sync_wrapper_thread, GUINT_TO_POINTER (n)));
}

/* ---- Measuring ---------------------------------------------------------- */

static void
measure (const char *entry,
         void      (*ours) (guint),
         void      (*baseline) (guint))
{
  g_autofree double *ours_us = g_new (double, reps);
  g_autofree double *base_us = g_new (double, reps);
  double o, b;

  if (only != NULL && g_strcmp0 (only, entry) != 0)
    return;

  ours (iterations / 10 + 1);
  baseline (iterations / 10 + 1);

  for (guint r = 0; r < reps; r++)
    {
      gint64 t0, t1, t2;

      t0 = bench_now_ns ();
      ours (iterations);
      t1 = bench_now_ns ();
      baseline (iterations);
      t2 = bench_now_ns ();

      ours_us[r] = (double) (t1 - t0) / iterations / 1000.;
      base_us[r] = (double) (t2 - t1) / iterations / 1000.;
    }

  o = bench_median (ours_us, reps);
  b = bench_median (base_us, reps);
  printf ("%s\t%.2f\t%.2f\tus/op\t%.2f\n", entry, o, b, o / b);
  fflush (stdout);
}

int
main (int   argc,
      char *argv[])
{
  if (argc > 1)
    iterations = (guint) MAX (1, g_ascii_strtoull (argv[1], NULL, 10));
  if (argc > 2)
    reps = (guint) MAX (1, g_ascii_strtoull (argv[2], NULL, 10));
  if (argc > 3)
    only = argv[3];

  printf ("entry\tours\tbaseline\tunit\tratio\n");
  measure ("sync-to-async", ours_sync_to_async, base_run_in_thread);
  measure ("sync-to-async-ts", ours_sync_to_async_ts, base_run_in_thread);
  measure ("thread-sensitive-hop", ours_sync_to_async_ts, base_ping_pong);
  measure ("async-to-sync", ours_async_to_sync, base_sync_wrapper);
  return 0;
}
