/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Small helpers shared by the C GTest programs.
 *
 * - TestLoop runs a test body inside a main loop, with a guard timeout
 *   that only ever fails the test: it never synchronises anything, so a
 *   test that needs it to pass is broken.
 * - TestThreadLog records which thread did what, for tests that assert
 *   where code ran.
 * - TestGate and the other cross-thread helpers use only g_thread_new(),
 *   g_thread_join() and atomics. ThreadSanitizer sees the happens-before
 *   edges of those (pthread_create/pthread_join and the __atomic builtins
 *   that g_atomic_* expand to), whereas GLib's own GMutex, GCond and
 *   GAsyncQueue are futex-based code inside an uninstrumented libglib, so
 *   synchronisation through them looks like a data race to TSan.
 */

#include <asgiref.h>

G_BEGIN_DECLS

/* A hang fails the test after this long; normal runs take milliseconds. */
#define TEST_GUARD_SECONDS 30

/* {{{ Main loop with a failure guard */

typedef struct _TestLoop TestLoop;
typedef void (*TestLoopBody) (TestLoop *loop,
                              gpointer  user_data);

struct _TestLoop
{
  GMainLoop   *loop;
  TestLoopBody body;
  gpointer     user_data;
  guint        holds;       /* only touched on the loop's thread */
  const char  *what;
};

static inline gboolean
test_loop_guard_cb (gpointer data)
{
  TestLoop *self = data;

  g_error ("timed out after %d s waiting for %s", TEST_GUARD_SECONDS, self->what);
  return G_SOURCE_REMOVE;
}

/**
 * test_loop_hold:
 * Keeps the loop running until a matching test_loop_release().
 */
static inline void
test_loop_hold (TestLoop *self)
{
  self->holds++;
}

static inline void
test_loop_release (TestLoop *self)
{
  g_assert_cmpuint (self->holds, >, 0);
  if (--self->holds == 0)
    g_main_loop_quit (self->loop);
}

static inline gboolean
test_loop_start_cb (gpointer data)
{
  TestLoop *self = data;

  self->body (self, self->user_data);
  test_loop_release (self);
  return G_SOURCE_REMOVE;
}

/*
 * test_loop_run:
 * @what: what is being waited for, for the failure message
 *
 * Runs a main loop on the thread-default main context, calls @body from
 * its first dispatch (so @body runs with g_main_depth() > 0), and returns
 * when @body and everything it holds (test_loop_hold()) have released the
 * loop. Fails the test if that takes longer than TEST_GUARD_SECONDS.
 */
static inline void
test_loop_run (const char   *what,
               TestLoopBody  body,
               gpointer      user_data)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  TestLoop self = { 0, };
  GSource *guard;
  GSource *start;

  self.loop = g_main_loop_new (context, FALSE);
  self.body = body;
  self.user_data = user_data;
  self.holds = 1;
  self.what = what;

  guard = g_timeout_source_new_seconds (TEST_GUARD_SECONDS);
  g_source_set_callback (guard, test_loop_guard_cb, &self, NULL);
  g_source_attach (guard, context);

  start = g_idle_source_new ();
  g_source_set_callback (start, test_loop_start_cb, &self, NULL);
  g_source_attach (start, context);
  g_source_unref (start);

  g_main_loop_run (self.loop);

  g_source_destroy (guard);
  g_source_unref (guard);
  g_main_loop_unref (self.loop);
  g_main_context_unref (context);
}

static inline gboolean
test_guard_flag_cb (gpointer data)
{
  gboolean *timed_out = data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/*
 * test_iterate_until:
 * @flag: set (from this thread) by something the main context dispatches
 *
 * Iterates the thread-default main context until *@flag is non-zero.
 * Fails the test after TEST_GUARD_SECONDS.
 */
static inline void
test_iterate_until (const char *what,
                    const gint *flag)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  gboolean timed_out = FALSE;
  GSource *guard;

  guard = g_timeout_source_new_seconds (TEST_GUARD_SECONDS);
  g_source_set_callback (guard, test_guard_flag_cb, &timed_out, NULL);
  g_source_attach (guard, context);

  while (!g_atomic_int_get (flag) && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (guard);
  g_source_unref (guard);
  g_main_context_unref (context);

  if (timed_out)
    g_error ("timed out after %d s waiting for %s", TEST_GUARD_SECONDS, what);
}

/* }}} */

/* {{{ Thread identities */

#define TEST_THREAD_LOG_MAX 64

typedef struct
{
  GThread    *thread;
  const char *label;
} TestThreadRecord;

/* Written by any thread (slots are claimed with an atomic), read only
 * after the writers have been joined. */
typedef struct
{
  TestThreadRecord records[TEST_THREAD_LOG_MAX];
  gint             n_records;
} TestThreadLog;

static inline void
test_thread_log_record (TestThreadLog *log,
                        const char    *label)
{
  gint i = g_atomic_int_add (&log->n_records, 1);

  g_assert_cmpint (i, <, TEST_THREAD_LOG_MAX);
  log->records[i].thread = g_thread_self ();
  log->records[i].label = label;
}

static inline GThread *
test_thread_log_lookup (TestThreadLog *log,
                        const char    *label)
{
  for (gint i = 0; i < g_atomic_int_get (&log->n_records); i++)
    if (g_str_equal (log->records[i].label, label))
      return log->records[i].thread;

  g_error ("no thread recorded as “%s”", label);
  return NULL;
}

/* }}} */

/* {{{ Cross-thread synchronisation: atomics only */

/* A one-shot barrier: every one of @n threads calls test_gate_wait(),
 * and none returns before all have arrived, so their work overlaps. */
typedef struct
{
  gint arrived;
  gint n;
} TestGate;

static inline void
test_gate_init (TestGate *gate,
                gint      n)
{
  gate->arrived = 0;
  gate->n = n;
}

static inline void
test_gate_wait (TestGate *gate)
{
  gint64 deadline = g_get_monotonic_time () + TEST_GUARD_SECONDS * G_USEC_PER_SEC;

  g_atomic_int_inc (&gate->arrived);
  while (g_atomic_int_get (&gate->arrived) < gate->n)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out at a gate: %d of %d threads arrived",
                 g_atomic_int_get (&gate->arrived), gate->n);
      g_thread_yield ();
    }
}

/* Runs @func (@data[i]) on @n new threads and joins them all. */
static inline void
test_run_threads (const char  *name,
                  guint        n,
                  GThreadFunc  func,
                  gpointer    *data)
{
  GThread **threads = g_new0 (GThread *, n);

  for (guint i = 0; i < n; i++)
    threads[i] = g_thread_new (name, func, data[i]);
  for (guint i = 0; i < n; i++)
    g_thread_join (threads[i]);

  g_free (threads);
}

/* }}} */

/* Spins (yielding) until *@flag is non-zero: for a thread that must not
 * iterate a main context, such as a sync function run by the bridge.
 * Fails the test after TEST_GUARD_SECONDS. */
static inline void
test_spin_until (const char *what,
                 const gint *flag)
{
  gint64 deadline = g_get_monotonic_time () + TEST_GUARD_SECONDS * G_USEC_PER_SEC;

  while (!g_atomic_int_get (flag))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out after %d s spinning for %s", TEST_GUARD_SECONDS, what);
      g_thread_yield ();
    }
}

/* {{{ Waiting for an object to be finalized, on any thread */

typedef struct
{
  gint          gone;
  GMainContext *context;
} TestFinalizeWatch;

static inline void
test_finalize_watch_notify (gpointer  data,
                            GObject  *where_the_object_was)
{
  TestFinalizeWatch *watch = data;

  g_atomic_int_set (&watch->gone, 1);
  g_main_context_wakeup (watch->context);
}

/*
 * test_unref_and_wait_finalized:
 * @object: (transfer full): an object
 *
 * Drops the caller's reference to @object and iterates the thread-default
 * main context until @object has been finalized, on whichever thread drops
 * the last reference. Work that holds the object (tasks, calls) is freed
 * by then, so this also shows that nothing it holds was leaked.
 */
static inline void
test_unref_and_wait_finalized (const char *what,
                               gpointer    object)
{
  TestFinalizeWatch watch = { 0, g_main_context_ref_thread_default () };

  g_object_weak_ref (object, test_finalize_watch_notify, &watch);
  g_object_unref (object);
  test_iterate_until (what, &watch.gone);
  g_main_context_unref (watch.context);
}

/* }}} */

/* {{{ Values whose frees are counted */

typedef struct
{
  gint *frees;
  char *text;
} TestCounted;

static inline TestCounted *
test_counted_new (gint       *frees,
                  const char *text)
{
  TestCounted *counted = g_new0 (TestCounted, 1);

  counted->frees = frees;
  counted->text = g_strdup (text);
  return counted;
}

static inline void
test_counted_free (gpointer data)
{
  TestCounted *counted = data;

  g_atomic_int_inc (counted->frees);
  g_free (counted->text);
  g_free (counted);
}

/* Sets @name to a copy of @text whose free increments *@frees. */
static inline void
test_set_counted (AsgirefLocal *local,
                  const char   *name,
                  const char   *text,
                  gint         *frees)
{
  asgiref_local_set_pointer (local, name, test_counted_new (frees, text), test_counted_free);
}

/* The text of a value set with test_set_counted(), or NULL when unset. */
static inline const char *
test_get_counted (AsgirefLocal *local,
                  const char   *name)
{
  TestCounted *counted = asgiref_local_get_pointer (local, name);

  return counted != NULL ? counted->text : NULL;
}

/* Plain strings: set_pointer with g_free, read back with get_pointer. */
static inline void
test_set_string (AsgirefLocal *local,
                 const char   *name,
                 const char   *text)
{
  asgiref_local_set_pointer (local, name, g_strdup (text), g_free);
}

static inline const char *
test_get_string (AsgirefLocal *local,
                 const char   *name)
{
  return asgiref_local_get_pointer (local, name);
}

/* }}} */

/* {{{ Expected criticals (in a g_test_trap_subprocess() child) */

/* Makes warnings and criticals non-fatal in this process, so that a
 * subprocess can log the expected one and then go on to check that
 * nothing else happened; the parent asserts on its stderr. */
static inline void
test_allow_criticals (void)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
}

/* }}} */


/* A GAsyncReadyCallback that stores a reference to the result in the
 * GAsyncResult * that @user_data points to. */
static inline void
test_store_result (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

/* Iterates the thread-default main context until *@result is set (by
 * test_store_result()); fails the test after TEST_GUARD_SECONDS. */
static inline gboolean
test_wake_up (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static inline void
test_wait_for_result (GAsyncResult **result)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gint64 deadline = g_get_monotonic_time () + TEST_GUARD_SECONDS * G_USEC_PER_SEC;
  /* Only a failure guard: it wakes the loop once a second, so that a
   * wait on which nothing happens any more fails at the deadline instead
   * of hanging until meson's timeout. */
  GSource *guard = g_timeout_source_new_seconds (1);

  g_source_set_callback (guard, test_wake_up, NULL, NULL);
  g_source_attach (guard, context);
  while (*result == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, TRUE);
    }
  g_source_destroy (guard);
  g_source_unref (guard);
}

/* Sends @message with asgiref_channel_send_async(), taking it over (the
 * builders return full references). */
static inline void
test_channel_send (AsgirefChannel      *channel,
                   AsgirefMessage      *message,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(AsgirefMessage) owned = message;

  asgiref_channel_send_async (channel, owned, cancellable, callback, user_data);
}

/* A send callback for test applications: completes the instance's task
 * (@user_data, a reference taken over) with the send's outcome. */
static inline void
test_complete_with_send_result (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Runs a test in a context of its own, so that nothing one test leaves in
 * the thread's context reaches the next. */
static inline void
test_run_in_own_context (gconstpointer data)
{
  void (*test) (void) = (void (*) (void)) data;
  g_autoptr(AsgirefContext) context = asgiref_context_new ();

  asgiref_context_enter (context);
  test ();
  asgiref_context_leave (context);
}

#define test_add_in_own_context(path, func) \
  g_test_add_data_func ((path), (gconstpointer) (func), test_run_in_own_context)

G_END_DECLS
