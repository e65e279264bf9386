/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefTimeout: a deadline that cancels a GCancellable on the main
 * context of the thread that made it; expiry, no deadline, moving and
 * dropping the deadline, the parent cancellable, error translation, the
 * timer source's lifetime, and use from other threads.
 *
 * Every test pushes a main context of its own, so that the only sources on
 * it are the test's, and one non-blocking iteration dispatches exactly
 * what is ready. Nothing waits for a deadline to synchronise: deadlines
 * that must pass are put in the past (they expire at the next iteration),
 * deadlines that must not are a minute away, and ordering against another
 * timer leaves that much margin.
 */

#include <asgiref.h>

#include "test-util.h"

/* A deadline no test reaches. */
#define FAR_US (60 * G_USEC_PER_SEC)

/* {{{ Helpers */

static GMainContext *
push_private_context (void)
{
  GMainContext *context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  return context;
}

static void
pop_private_context (GMainContext *context)
{
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}

/* The timer sources on @context. Source ids on a new context count up
 * from 1 and none is reused here, so looking them up one by one finds
 * every live source. */
static guint
count_timer_sources (GMainContext *context)
{
  guint n = 0;

  for (guint id = 1; id < 256; id++)
    {
      GSource *source = g_main_context_find_source_by_id (context, id);

      if (source != NULL && g_strcmp0 (g_source_get_name (source), "AsgirefTimeout") == 0)
        n++;
    }
  return n;
}

static gboolean
set_flag_cb (gpointer data)
{
  g_atomic_int_set ((gint *) data, 1);
  return G_SOURCE_REMOVE;
}

/* Iterates the thread-default context until a timer of @ms has fired. */
static void
run_for_ms (guint ms)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gint fired = 0;
  GSource *reference = g_timeout_source_new (ms);

  g_source_set_callback (reference, set_flag_cb, &fired, NULL);
  g_source_attach (reference, context);
  test_iterate_until ("a reference timer", &fired);
  g_source_destroy (reference);
  g_source_unref (reference);
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    data)
{
  g_atomic_int_inc ((gint *) data);
}

/* Whether one non-blocking iteration of @context dispatched anything. */
static gboolean
iterate_once (GMainContext *context)
{
  return g_main_context_iteration (context, FALSE);
}

/* }}} */

/* {{{ A fake asynchronous operation that only a cancellation ends */

/*
 * wait_async() completes with TRUE after @complete_after_ms (never when 0),
 * or with G_IO_ERROR_CANCELLED as soon as @cancellable is cancelled, on the
 * thread-default context of the caller, like any GIO operation.
 */
typedef struct
{
  GSource *cancelled;
  GSource *completed;
} WaitData;

static void
wait_data_free (gpointer data)
{
  WaitData *wait = data;

  if (wait->cancelled != NULL)
    {
      g_source_destroy (wait->cancelled);
      g_source_unref (wait->cancelled);
    }
  if (wait->completed != NULL)
    {
      g_source_destroy (wait->completed);
      g_source_unref (wait->completed);
    }
  g_free (wait);
}

/* Destroys both sources (they hold the task), then returns. */
static void
wait_return (GTask  *task,
             GError *error)
{
  WaitData *wait = g_task_get_task_data (task);
  GSource *cancelled = g_steal_pointer (&wait->cancelled);
  GSource *completed = g_steal_pointer (&wait->completed);

  g_object_ref (task);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_source_destroy (cancelled);
  g_source_unref (cancelled);
  if (completed != NULL)
    {
      g_source_destroy (completed);
      g_source_unref (completed);
    }
  g_object_unref (task);
}

static gboolean
wait_cancelled_cb (GCancellable *cancellable,
                   gpointer      data)
{
  wait_return (G_TASK (data), g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
  return G_SOURCE_REMOVE;
}

static gboolean
wait_completed_cb (gpointer data)
{
  wait_return (G_TASK (data), NULL);
  return G_SOURCE_REMOVE;
}

static void
wait_async (GCancellable        *cancellable,
            guint                complete_after_ms,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  WaitData *wait = g_new0 (WaitData, 1);

  g_task_set_source_tag (task, wait_async);
  g_task_set_task_data (task, wait, wait_data_free);

  wait->cancelled = g_cancellable_source_new (cancellable);
  g_task_attach_source (task, wait->cancelled, G_SOURCE_FUNC (wait_cancelled_cb));

  if (complete_after_ms > 0)
    {
      wait->completed = g_timeout_source_new (complete_after_ms);
      g_task_attach_source (task, wait->completed, wait_completed_cb);
    }
}

typedef struct
{
  gint     done;
  gboolean ok;
  GError  *error;
} WaitResult;

static void
wait_done_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      data)
{
  WaitResult *wait = data;

  g_assert_true (g_task_is_valid (result, NULL));
  wait->ok = g_task_propagate_boolean (G_TASK (result), &wait->error);
  g_atomic_int_set (&wait->done, 1);
}

/* }}} */

/* {{{ Expiry */

static void
test_expiry_fails_an_operation_with_timed_out (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (1000, NULL);
  WaitResult result = { 0, };

  wait_async (asgiref_timeout_get_cancellable (timeout), 0, wait_done_cb, &result);
  test_iterate_until ("the operation to be cut short", &result.done);

  g_assert_false (result.ok);
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (asgiref_timeout_get_expired (timeout));
  g_assert_true (g_cancellable_is_cancelled (asgiref_timeout_get_cancellable (timeout)));
  g_assert_cmpint (asgiref_timeout_get_remaining (timeout), ==, 0);

  g_assert_true (asgiref_timeout_translate_error (timeout, &result.error));
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpstr (result.error->message, ==, "Operation timed out");

  /* Translating twice changes nothing more. */
  g_assert_false (asgiref_timeout_translate_error (timeout, &result.error));
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  g_clear_error (&result.error);
  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
accept_done_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      data)
{
  WaitResult *wait = data;
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source_object),
                                                result, NULL, &wait->error);
  wait->ok = connection != NULL;
  g_atomic_int_set (&wait->done, 1);
}

/* A real GIO operation that never completes on its own: accepting on a
 * listening socket nobody connects to. */
static void
test_expiry_cuts_short_a_gio_operation (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(AsgirefTimeout) timeout = NULL;
  g_autoptr(GError) error = NULL;
  WaitResult result = { 0, };

  if (g_socket_listener_add_any_inet_port (listener, NULL, &error) == 0)
    {
      g_test_skip_printf ("cannot listen on a TCP port: %s", error->message);
      pop_private_context (context);
      return;
    }

  timeout = asgiref_timeout_new (1000, NULL);
  g_socket_listener_accept_async (listener, asgiref_timeout_get_cancellable (timeout),
                                  accept_done_cb, &result);
  test_iterate_until ("accept to be cut short", &result.done);

  g_assert_false (result.ok);
  g_assert_true (asgiref_timeout_get_expired (timeout));
  g_assert_true (asgiref_timeout_translate_error (timeout, &result.error));
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  g_clear_error (&result.error);
  g_socket_listener_close (listener);
  g_clear_object (&listener);
  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
check_expired_cb (GCancellable *cancellable,
                  gpointer      data)
{
  AsgirefTimeout *timeout = data;

  /* Already expired while the cancellation runs its handlers. */
  g_assert_true (asgiref_timeout_get_expired (timeout));
}

static void
test_expired_is_set_before_the_cancellable_is_cancelled (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (0, NULL);
  GCancellable *cancellable = asgiref_timeout_get_cancellable (timeout);
  gulong id;

  id = g_cancellable_connect (cancellable, G_CALLBACK (check_expired_cb), timeout, NULL);
  g_assert_true (iterate_once (context));
  g_assert_true (g_cancellable_is_cancelled (cancellable));
  g_cancellable_disconnect (cancellable, id);

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
test_no_deadline_is_a_no_op (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new_infinite (NULL);
  WaitResult result = { 0, };

  g_assert_cmpint (asgiref_timeout_get_deadline (timeout), ==, -1);
  g_assert_cmpint (asgiref_timeout_get_remaining (timeout), ==, -1);
  /* It costs nothing on the context. */
  g_assert_cmpuint (count_timer_sources (context), ==, 0);

  wait_async (asgiref_timeout_get_cancellable (timeout), 10, wait_done_cb, &result);
  test_iterate_until ("the operation to complete", &result.done);

  g_assert_true (result.ok);
  g_assert_no_error (result.error);
  g_assert_false (asgiref_timeout_get_expired (timeout));
  g_assert_false (g_cancellable_is_cancelled (asgiref_timeout_get_cancellable (timeout)));
  g_assert_false (asgiref_timeout_translate_error (timeout, &result.error));
  g_assert_null (result.error);

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
test_operation_done_before_the_deadline_is_untouched (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (FAR_US, NULL);
  WaitResult result = { 0, };

  wait_async (asgiref_timeout_get_cancellable (timeout), 1, wait_done_cb, &result);
  test_iterate_until ("the operation to complete", &result.done);

  g_assert_true (result.ok);
  g_assert_false (asgiref_timeout_get_expired (timeout));
  g_assert_cmpint (asgiref_timeout_get_remaining (timeout), >, 0);

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
check_expires_at_next_iteration (AsgirefTimeout *timeout,
                                 GMainContext   *context)
{
  /* Never inside the call that created or moved it... */
  g_assert_false (asgiref_timeout_get_expired (timeout));
  g_assert_false (g_cancellable_is_cancelled (asgiref_timeout_get_cancellable (timeout)));
  g_assert_cmpint (asgiref_timeout_get_remaining (timeout), ==, 0);

  /* ...but at the very next iteration. */
  g_assert_true (iterate_once (context));
  g_assert_true (asgiref_timeout_get_expired (timeout));
  g_assert_true (g_cancellable_is_cancelled (asgiref_timeout_get_cancellable (timeout)));
  g_assert_false (iterate_once (context));
}

static void
test_delay_of_zero_or_less_expires_at_next_iteration (void)
{
  GMainContext *context = push_private_context ();
  gint64 delays[] = { 0, -1, -G_USEC_PER_SEC, G_MININT64 };

  for (gsize i = 0; i < G_N_ELEMENTS (delays); i++)
    {
      g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (delays[i], NULL);

      g_test_message ("delay %" G_GINT64_FORMAT, delays[i]);
      g_assert_cmpint (asgiref_timeout_get_deadline (timeout), >=, 0);
      check_expires_at_next_iteration (timeout, context);
    }

  pop_private_context (context);
}

static void
test_deadline_in_the_past_expires_at_next_iteration (void)
{
  GMainContext *context = push_private_context ();
  gint64 deadlines[] = { g_get_monotonic_time (), g_get_monotonic_time () - 1, 0, -1, G_MININT64 };

  for (gsize i = 0; i < G_N_ELEMENTS (deadlines); i++)
    {
      g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new_at (deadlines[i], NULL);

      g_test_message ("deadline %" G_GINT64_FORMAT, deadlines[i]);
      /* A deadline in the past is stored as given, negative ones as 0. */
      g_assert_cmpint (asgiref_timeout_get_deadline (timeout), ==, MAX (deadlines[i], 0));
      check_expires_at_next_iteration (timeout, context);
    }

  pop_private_context (context);
}

static void
test_expiry_notifies_once (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (0, NULL);
  gint expired_notifies = 0;
  gint deadline_notifies = 0;
  gboolean expired = FALSE;

  g_signal_connect (timeout, "notify::expired", G_CALLBACK (count_notify_cb), &expired_notifies);
  g_signal_connect (timeout, "notify::deadline", G_CALLBACK (count_notify_cb), &deadline_notifies);

  g_assert_true (iterate_once (context));
  g_assert_false (iterate_once (context));

  g_assert_cmpint (expired_notifies, ==, 1);
  g_assert_cmpint (deadline_notifies, ==, 0);
  g_object_get (timeout, "expired", &expired, NULL);
  g_assert_true (expired);

  /* Nothing after expiry notifies again. */
  g_assert_false (asgiref_timeout_reject (timeout));
  g_assert_false (asgiref_timeout_shift (timeout, 1, NULL));
  g_assert_cmpint (expired_notifies, ==, 1);
  g_assert_cmpint (deadline_notifies, ==, 0);

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
record_cancelled_cb (GCancellable *cancellable,
                     gpointer      data)
{
  test_thread_log_record (data, "cancelled");
}

static void
record_expired_cb (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    data)
{
  test_thread_log_record (data, "notify::expired");
}

static void
expired_flag_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    data)
{
  g_atomic_int_set ((gint *) data, 1);
}

static gpointer
expire_on_own_context_thread (gpointer data)
{
  TestThreadLog *log = data;
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (1000, NULL);
  gint expired = 0;

  test_thread_log_record (log, "creator");
  g_signal_connect (asgiref_timeout_get_cancellable (timeout), "cancelled",
                    G_CALLBACK (record_cancelled_cb), log);
  g_signal_connect (timeout, "notify::expired", G_CALLBACK (record_expired_cb), log);
  g_signal_connect (timeout, "notify::expired", G_CALLBACK (expired_flag_cb), &expired);

  test_iterate_until ("the timeout to expire", &expired);

  g_clear_object (&timeout);
  pop_private_context (context);
  return NULL;
}

static void
test_expiry_happens_on_the_creating_threads_context (void)
{
  TestThreadLog log = { 0, };
  gpointer data[] = { &log };

  test_run_threads ("timeout-owner", 1, expire_on_own_context_thread, data);

  g_assert_cmpint (log.n_records, ==, 3);
  g_assert_true (test_thread_log_lookup (&log, "cancelled") == test_thread_log_lookup (&log, "creator"));
  g_assert_true (test_thread_log_lookup (&log, "notify::expired") == test_thread_log_lookup (&log, "creator"));
  g_assert_true (test_thread_log_lookup (&log, "creator") != g_thread_self ());
}

/* }}} */

/* {{{ Deadline and remaining time */

static void
test_deadline_is_reported (void)
{
  GMainContext *context = push_private_context ();
  gint64 before = g_get_monotonic_time ();
  g_autoptr(AsgirefTimeout) relative = asgiref_timeout_new (FAR_US, NULL);
  gint64 after = g_get_monotonic_time ();
  g_autoptr(AsgirefTimeout) absolute = asgiref_timeout_new_at (after + FAR_US, NULL);
  g_autoptr(AsgirefTimeout) infinite = asgiref_timeout_new_infinite (NULL);
  g_autoptr(AsgirefTimeout) far = asgiref_timeout_new (G_MAXINT64, NULL);
  g_autoptr(AsgirefTimeout) constructed = NULL;
  gint64 deadline = 0;
  g_autoptr(GCancellable) cancellable = NULL;

  g_assert_cmpint (asgiref_timeout_get_deadline (relative), >=, before + FAR_US);
  g_assert_cmpint (asgiref_timeout_get_deadline (relative), <=, after + FAR_US);
  g_assert_cmpint (asgiref_timeout_get_deadline (absolute), ==, after + FAR_US);
  g_assert_cmpint (asgiref_timeout_get_deadline (infinite), ==, -1);
  /* A delay that overflows saturates: a deadline nobody will see. */
  g_assert_cmpint (asgiref_timeout_get_deadline (far), ==, G_MAXINT64);

  g_object_get (absolute, "deadline", &deadline, "cancellable", &cancellable, NULL);
  g_assert_cmpint (deadline, ==, after + FAR_US);
  g_assert_true (cancellable == asgiref_timeout_get_cancellable (absolute));

  /* Bindings construct through the properties. */
  constructed = g_object_new (ASGIREF_TYPE_TIMEOUT, "deadline", (gint64) 0, NULL);
  check_expires_at_next_iteration (constructed, context);

  /* None of the far ones fires. */
  g_assert_false (iterate_once (context));
  g_assert_false (asgiref_timeout_get_expired (far));

  g_clear_object (&relative);
  g_clear_object (&absolute);
  g_clear_object (&infinite);
  g_clear_object (&far);
  g_clear_object (&constructed);
  pop_private_context (context);
}

static void
test_remaining_is_reported_sensibly (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (FAR_US, NULL);
  g_autoptr(AsgirefTimeout) infinite = asgiref_timeout_new_infinite (NULL);
  gint64 first, second;

  first = asgiref_timeout_get_remaining (timeout);
  second = asgiref_timeout_get_remaining (timeout);
  g_assert_cmpint (first, >, 0);
  g_assert_cmpint (first, <=, FAR_US);
  g_assert_cmpint (second, <=, first);
  g_assert_cmpint (asgiref_timeout_get_remaining (infinite), ==, -1);

  /* Past deadline, not yet expired: 0. Expired: 0. */
  g_assert_true (asgiref_timeout_shift (timeout, -2 * FAR_US, NULL));
  g_assert_cmpint (asgiref_timeout_get_remaining (timeout), ==, 0);
  g_assert_true (iterate_once (context));
  g_assert_true (asgiref_timeout_get_expired (timeout));
  g_assert_cmpint (asgiref_timeout_get_remaining (timeout), ==, 0);

  /* Rejected: no deadline. */
  g_assert_true (asgiref_timeout_update (infinite, g_get_monotonic_time () + FAR_US, NULL));
  g_assert_cmpint (asgiref_timeout_get_remaining (infinite), >, 0);
  g_assert_true (asgiref_timeout_reject (infinite));
  g_assert_cmpint (asgiref_timeout_get_remaining (infinite), ==, -1);

  g_clear_object (&timeout);
  g_clear_object (&infinite);
  pop_private_context (context);
}

/* }}} */

/* {{{ Moving and dropping the deadline */

static void
test_shift_moves_expiry_earlier (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (FAR_US, NULL);
  gint64 deadline = asgiref_timeout_get_deadline (timeout);
  g_autoptr(GError) error = NULL;

  g_assert_false (iterate_once (context));
  g_assert_true (asgiref_timeout_shift (timeout, -2 * FAR_US, &error));
  g_assert_no_error (error);
  g_assert_cmpint (asgiref_timeout_get_deadline (timeout), ==, MAX (deadline - 2 * FAR_US, 0));
  check_expires_at_next_iteration (timeout, context);

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
test_shift_moves_expiry_later (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (0, NULL);
  gint64 deadline = asgiref_timeout_get_deadline (timeout);
  gint notifies = 0;

  g_signal_connect (timeout, "notify::deadline", G_CALLBACK (count_notify_cb), &notifies);
  g_assert_true (asgiref_timeout_shift (timeout, FAR_US, NULL));
  g_assert_cmpint (asgiref_timeout_get_deadline (timeout), ==, deadline + FAR_US);
  g_assert_cmpint (notifies, ==, 1);
  /* A shift by nothing changes nothing. */
  g_assert_true (asgiref_timeout_shift (timeout, 0, NULL));
  g_assert_cmpint (notifies, ==, 1);

  /* A timer of 20 ms fires first, with the timeout still running. */
  run_for_ms (20);
  g_assert_false (asgiref_timeout_get_expired (timeout));
  g_assert_cmpint (asgiref_timeout_get_remaining (timeout), >, FAR_US / 2);

  /* And it can still be brought back. */
  g_assert_true (asgiref_timeout_shift (timeout, -2 * FAR_US, NULL));
  check_expires_at_next_iteration (timeout, context);

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
test_update_moves_expiry (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (0, NULL);
  gint64 deadline = g_get_monotonic_time () + FAR_US;
  gint notifies = 0;

  g_signal_connect (timeout, "notify::deadline", G_CALLBACK (count_notify_cb), &notifies);

  /* Later: a timer of 20 ms comes first. */
  g_assert_true (asgiref_timeout_update (timeout, deadline, NULL));
  g_assert_cmpint (asgiref_timeout_get_deadline (timeout), ==, deadline);
  g_assert_cmpint (notifies, ==, 1);
  g_assert_true (asgiref_timeout_update (timeout, deadline, NULL));
  g_assert_cmpint (notifies, ==, 1);
  run_for_ms (20);
  g_assert_false (asgiref_timeout_get_expired (timeout));

  /* Earlier: into the past, so at the next iteration. */
  g_assert_true (asgiref_timeout_update (timeout, g_get_monotonic_time () - 1, NULL));
  g_assert_cmpint (notifies, ==, 2);
  check_expires_at_next_iteration (timeout, context);

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
test_update_gives_an_infinite_timeout_a_deadline (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new_infinite (NULL);
  gint expired = 0;

  g_signal_connect (timeout, "notify::expired", G_CALLBACK (expired_flag_cb), &expired);
  g_assert_true (asgiref_timeout_update (timeout, g_get_monotonic_time () + 1000, NULL));
  g_assert_cmpuint (count_timer_sources (context), ==, 1);

  /* Blocking iterations: the 1 ms deadline wakes the context up. */
  test_iterate_until ("the timeout to expire", &expired);
  g_assert_true (asgiref_timeout_get_expired (timeout));

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
test_shift_without_deadline_fails (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) infinite = asgiref_timeout_new_infinite (NULL);
  g_autoptr(AsgirefTimeout) rejected = asgiref_timeout_new (FAR_US, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (asgiref_timeout_shift (infinite, G_USEC_PER_SEC, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_cmpstr (error->message, ==, "Cannot shift a timeout that has no deadline");
  g_clear_error (&error);
  g_assert_cmpint (asgiref_timeout_get_deadline (infinite), ==, -1);

  g_assert_true (asgiref_timeout_reject (rejected));
  g_assert_false (asgiref_timeout_shift (rejected, -G_USEC_PER_SEC, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  g_assert_false (iterate_once (context));
  g_clear_object (&infinite);
  g_clear_object (&rejected);
  pop_private_context (context);
}

static void
test_rescheduling_after_expiry_fails (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (0, NULL);
  g_autoptr(GError) error = NULL;
  gint64 deadline;

  g_assert_true (iterate_once (context));
  g_assert_true (asgiref_timeout_get_expired (timeout));
  deadline = asgiref_timeout_get_deadline (timeout);

  g_assert_false (asgiref_timeout_shift (timeout, FAR_US, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpstr (error->message, ==, "Cannot reschedule a timeout that has expired");
  g_clear_error (&error);

  g_assert_false (asgiref_timeout_update (timeout, g_get_monotonic_time () + FAR_US, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);

  /* Failures change nothing. */
  g_assert_cmpint (asgiref_timeout_get_deadline (timeout), ==, deadline);
  g_assert_true (asgiref_timeout_get_expired (timeout));
  g_assert_cmpuint (count_timer_sources (context), ==, 0);

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
test_reject_prevents_expiry (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (0, NULL);
  WaitResult result = { 0, };
  gint notifies = 0;

  g_signal_connect (timeout, "notify::deadline", G_CALLBACK (count_notify_cb), &notifies);
  wait_async (asgiref_timeout_get_cancellable (timeout), 20, wait_done_cb, &result);

  g_assert_true (asgiref_timeout_reject (timeout));
  g_assert_cmpint (notifies, ==, 1);
  g_assert_cmpint (asgiref_timeout_get_deadline (timeout), ==, -1);
  g_assert_cmpuint (count_timer_sources (context), ==, 0);

  /* The deadline had passed: the operation completes all the same. */
  test_iterate_until ("the operation to complete", &result.done);
  g_assert_true (result.ok);
  g_assert_false (asgiref_timeout_get_expired (timeout));
  g_assert_false (g_cancellable_is_cancelled (asgiref_timeout_get_cancellable (timeout)));

  /* Rejecting again is harmless and does not notify. */
  g_assert_true (asgiref_timeout_reject (timeout));
  g_assert_cmpint (notifies, ==, 1);

  /* A new deadline arms it again, as in async_timeout. */
  g_assert_true (asgiref_timeout_update (timeout, 0, NULL));
  check_expires_at_next_iteration (timeout, context);

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
test_reject_after_expiry_changes_nothing (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (0, NULL);
  gint64 deadline = asgiref_timeout_get_deadline (timeout);

  g_assert_true (iterate_once (context));
  g_assert_false (asgiref_timeout_reject (timeout));
  g_assert_true (asgiref_timeout_get_expired (timeout));
  g_assert_cmpint (asgiref_timeout_get_deadline (timeout), ==, deadline);
  g_assert_cmpint (asgiref_timeout_get_remaining (timeout), ==, 0);

  g_clear_object (&timeout);
  pop_private_context (context);
}

/* }}} */

/* {{{ The parent cancellable */

static void
test_parent_cancellation_is_not_a_timeout (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(GCancellable) parent = g_cancellable_new ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (FAR_US, parent);
  g_autoptr(GCancellable) parent_property = NULL;
  g_autoptr(GError) error = NULL;
  WaitResult result = { 0, };

  g_object_get (timeout, "parent-cancellable", &parent_property, NULL);
  g_assert_true (parent_property == parent);

  wait_async (asgiref_timeout_get_cancellable (timeout), 0, wait_done_cb, &result);
  g_cancellable_cancel (parent);
  /* At once, on the thread that cancels the parent. */
  g_assert_true (g_cancellable_is_cancelled (asgiref_timeout_get_cancellable (timeout)));

  test_iterate_until ("the operation to be cancelled", &result.done);
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (asgiref_timeout_get_expired (timeout));
  g_assert_false (asgiref_timeout_translate_error (timeout, &result.error));
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (asgiref_timeout_set_error_if_expired (timeout, &error));
  g_assert_no_error (error);

  /* A deadline that passes afterwards does not make it a timeout. */
  g_assert_true (asgiref_timeout_shift (timeout, -2 * FAR_US, NULL));
  g_assert_true (iterate_once (context));
  g_assert_false (asgiref_timeout_get_expired (timeout));
  g_assert_false (asgiref_timeout_translate_error (timeout, &result.error));
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_clear_error (&result.error);
  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
test_cancelled_parent_cancels_at_once (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(GCancellable) parent = g_cancellable_new ();
  g_autoptr(AsgirefTimeout) timeout = NULL;

  g_cancellable_cancel (parent);
  timeout = asgiref_timeout_new (0, parent);
  g_assert_true (g_cancellable_is_cancelled (asgiref_timeout_get_cancellable (timeout)));

  g_assert_true (iterate_once (context));
  g_assert_false (asgiref_timeout_get_expired (timeout));

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
test_expiry_leaves_the_parent_alone (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(GCancellable) parent = g_cancellable_new ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (0, parent);

  g_assert_true (iterate_once (context));
  g_assert_true (asgiref_timeout_get_expired (timeout));
  g_assert_false (g_cancellable_is_cancelled (parent));

  /* Cancelling the parent afterwards keeps the timeout expired. */
  g_cancellable_cancel (parent);
  g_assert_true (asgiref_timeout_get_expired (timeout));

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
test_parent_outliving_the_timeout_no_longer_reaches_it (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(GCancellable) parent = g_cancellable_new ();
  AsgirefTimeout *timeout = asgiref_timeout_new (FAR_US, parent);
  g_autoptr(GCancellable) cancellable = g_object_ref (asgiref_timeout_get_cancellable (timeout));

  g_object_unref (timeout);
  g_cancellable_cancel (parent);
  g_assert_false (g_cancellable_is_cancelled (cancellable));

  pop_private_context (context);
}

static void
unref_timeout_cb (GCancellable *cancellable,
                  gpointer      data)
{
  AsgirefTimeout **timeout = data;

  g_clear_object (timeout);
}

/* Dropping the last reference from a handler run by the parent's
 * cancellation must not wait for that very handler. */
static void
test_unref_from_a_cancellation_handler (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(GCancellable) parent = g_cancellable_new ();
  AsgirefTimeout *timeout = asgiref_timeout_new (FAR_US, parent);

  g_signal_connect (asgiref_timeout_get_cancellable (timeout), "cancelled",
                    G_CALLBACK (unref_timeout_cb), &timeout);
  g_cancellable_cancel (parent);
  g_assert_null (timeout);
  g_assert_cmpuint (count_timer_sources (context), ==, 0);

  pop_private_context (context);
}

/* }}} */

/* {{{ Errors */

static void
test_translate_error_leaves_other_errors_alone (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (0, NULL);
  g_autoptr(GError) error = NULL;
  GError *none = NULL;

  g_assert_true (iterate_once (context));
  g_assert_true (asgiref_timeout_get_expired (timeout));

  g_assert_false (asgiref_timeout_translate_error (timeout, NULL));
  g_assert_false (asgiref_timeout_translate_error (timeout, &none));
  g_assert_null (none);

  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "failed");
  g_assert_false (asgiref_timeout_translate_error (timeout, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);

  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "not found");
  g_assert_false (asgiref_timeout_translate_error (timeout, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_clear_object (&timeout);
  pop_private_context (context);
}

static void
test_set_error_if_expired (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (0, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (asgiref_timeout_set_error_if_expired (timeout, &error));
  g_assert_no_error (error);

  g_assert_true (iterate_once (context));
  g_assert_true (asgiref_timeout_set_error_if_expired (timeout, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_true (asgiref_timeout_set_error_if_expired (timeout, NULL));

  g_clear_object (&timeout);
  pop_private_context (context);
}

/* }}} */

/* {{{ The timer source's lifetime */

static void
test_timer_source_lifetime (void)
{
  GMainContext *context = push_private_context ();
  AsgirefTimeout *timeout;
  GCancellable *cancellable;

  /* No deadline, no source. */
  timeout = asgiref_timeout_new_infinite (NULL);
  g_assert_cmpuint (count_timer_sources (context), ==, 0);
  g_object_unref (timeout);

  /* One per armed timeout, gone with the last reference. */
  timeout = asgiref_timeout_new (0, NULL);
  cancellable = g_object_ref (asgiref_timeout_get_cancellable (timeout));
  g_assert_cmpuint (count_timer_sources (context), ==, 1);
  g_object_unref (timeout);
  g_assert_cmpuint (count_timer_sources (context), ==, 0);
  /* The deadline had passed, but nothing is left to expire. */
  g_assert_false (iterate_once (context));
  g_assert_false (g_cancellable_is_cancelled (cancellable));
  g_object_unref (cancellable);

  /* Gone at expiry and at rejection. */
  timeout = asgiref_timeout_new (0, NULL);
  g_assert_true (iterate_once (context));
  g_assert_cmpuint (count_timer_sources (context), ==, 0);
  g_object_unref (timeout);

  timeout = asgiref_timeout_new (FAR_US, NULL);
  g_assert_true (asgiref_timeout_reject (timeout));
  g_assert_cmpuint (count_timer_sources (context), ==, 0);
  g_object_unref (timeout);

  /* The context is the creator's thread-default one, not the global
   * default. */
  g_assert_false (g_main_context_pending (g_main_context_default ()));

  pop_private_context (context);
}

static gpointer
unref_in_thread (gpointer data)
{
  g_object_unref (data);
  return NULL;
}

static void
test_unref_from_another_thread_removes_the_source (void)
{
  GMainContext *context = push_private_context ();
  AsgirefTimeout *timeout = asgiref_timeout_new (FAR_US, NULL);
  gpointer data[] = { timeout };

  g_assert_cmpuint (count_timer_sources (context), ==, 1);
  test_run_threads ("timeout-unref", 1, unref_in_thread, data);
  g_assert_cmpuint (count_timer_sources (context), ==, 0);
  g_assert_false (iterate_once (context));

  pop_private_context (context);
}

/* }}} */

/* {{{ Threads */

static guint
concurrent_iterations (void)
{
  const char *env = g_getenv ("ASGIREF_TEST_ITERATIONS");

  if (env != NULL)
    return (guint) g_ascii_strtoull (env, NULL, 10);
  return g_test_thorough () ? 200000 : 20000;
}

static gpointer
shift_into_the_past (gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (asgiref_timeout_shift (data, -2 * FAR_US, &error));
  g_assert_no_error (error);
  return NULL;
}

/* The owner's context wakes up for a deadline moved by another thread:
 * without that, the guard (30 s) would fail long before the original
 * deadline (60 s). */
static void
test_shift_from_another_thread_wakes_the_context (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (FAR_US, NULL);
  TestThreadLog log = { 0, };
  gint expired = 0;
  GThread *thread;

  g_signal_connect (timeout, "notify::expired", G_CALLBACK (expired_flag_cb), &expired);
  g_signal_connect (timeout, "notify::expired", G_CALLBACK (record_expired_cb), &log);

  thread = g_thread_new ("timeout-shift", shift_into_the_past, timeout);
  test_iterate_until ("the timeout to expire", &expired);
  g_thread_join (thread);

  g_assert_true (asgiref_timeout_get_expired (timeout));
  /* Expired on the owner's thread, not the one that moved it. */
  g_assert_true (test_thread_log_lookup (&log, "notify::expired") == g_thread_self ());

  g_clear_object (&timeout);
  pop_private_context (context);
}

typedef struct
{
  AsgirefTimeout *timeout;
  guint           iterations;
  TestGate        gate;
  gint            running;
} ShiftStress;

static gpointer
shift_back_and_forth (gpointer data)
{
  ShiftStress *stress = data;

  test_gate_wait (&stress->gate);
  for (guint i = 0; i < stress->iterations; i++)
    {
      g_assert_true (asgiref_timeout_shift (stress->timeout, 1000, NULL));
      g_assert_cmpint (asgiref_timeout_get_remaining (stress->timeout), >, 0);
      g_assert_true (asgiref_timeout_shift (stress->timeout, -1000, NULL));
      g_assert_false (asgiref_timeout_get_expired (stress->timeout));
    }
  g_atomic_int_add (&stress->running, -1);
  return NULL;
}

/* Concurrent shifts lose none of each other's moves, while the owner's
 * context dispatches the timer's wake-ups. */
static void
test_concurrent_shifts_add_up (void)
{
  GMainContext *context = push_private_context ();
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (FAR_US, NULL);
  gint64 deadline = asgiref_timeout_get_deadline (timeout);
  ShiftStress stress = { timeout, MAX (concurrent_iterations () / 20, 1), { 0, }, 4 };
  GThread *threads[4];

  test_gate_init (&stress.gate, G_N_ELEMENTS (threads));
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("timeout-shift", shift_back_and_forth, &stress);
  while (g_atomic_int_get (&stress.running) > 0)
    iterate_once (context);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  g_assert_cmpint (asgiref_timeout_get_deadline (timeout), ==, deadline);
  g_assert_false (asgiref_timeout_get_expired (timeout));
  g_assert_cmpuint (count_timer_sources (context), ==, 1);

  g_clear_object (&timeout);
  pop_private_context (context);
}

typedef struct
{
  AsgirefTimeout *timeout;           /* handed over with atomics */
  gint            round;             /* the round the owner published */
  gint            answered;          /* the round the rejecter answered */
  gint            rejected;          /* reject()'s result in that round */
  guint           rounds;
} RejectRace;

static gpointer
reject_each_round (gpointer data)
{
  RejectRace *race = data;
  gint64 deadline = g_get_monotonic_time () + TEST_GUARD_SECONDS * G_USEC_PER_SEC;

  for (guint round = 1; round <= race->rounds; round++)
    {
      AsgirefTimeout *timeout;

      while (g_atomic_int_get (&race->round) != (gint) round)
        {
          if (g_get_monotonic_time () > deadline)
            g_error ("timed out waiting for round %u", round);
          g_thread_yield ();
        }
      timeout = g_atomic_pointer_get (&race->timeout);
      g_atomic_int_set (&race->rejected, asgiref_timeout_reject (timeout));
      g_atomic_int_set (&race->answered, round);
    }
  return NULL;
}

/* Expiry on the owner's thread races with reject() on another: exactly one
 * wins, and the state agrees with whichever did. */
static void
test_reject_races_with_expiry (void)
{
  GMainContext *context = push_private_context ();
  RejectRace race = { NULL, 0, 0, 0, MAX (concurrent_iterations () / 20, 1) };
  GThread *thread = g_thread_new ("timeout-reject", reject_each_round, &race);
  guint expired_rounds = 0;

  for (guint round = 1; round <= race.rounds; round++)
    {
      AsgirefTimeout *timeout = asgiref_timeout_new (0, NULL);
      gboolean rejected, expired;

      g_atomic_pointer_set (&race.timeout, timeout);
      g_atomic_int_set (&race.round, round);
      while (g_atomic_int_get (&race.answered) != (gint) round)
        iterate_once (context);
      iterate_once (context);

      rejected = g_atomic_int_get (&race.rejected);
      expired = asgiref_timeout_get_expired (timeout);
      g_assert_true (rejected != expired);
      g_assert_true (g_cancellable_is_cancelled (asgiref_timeout_get_cancellable (timeout)) == expired);
      g_assert_cmpint (asgiref_timeout_get_deadline (timeout) == -1, ==, rejected);
      expired_rounds += expired;
      g_object_unref (timeout);
    }
  g_thread_join (thread);
  g_test_message ("%u of %u rounds expired before the reject", expired_rounds, race.rounds);

  g_assert_cmpuint (count_timer_sources (context), ==, 0);
  pop_private_context (context);
}

/* }}} */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Timeout/expiry-fails-an-operation-with-timed-out",
                   test_expiry_fails_an_operation_with_timed_out);
  g_test_add_func ("/Asgiref/Timeout/expiry-cuts-short-a-gio-operation",
                   test_expiry_cuts_short_a_gio_operation);
  g_test_add_func ("/Asgiref/Timeout/expired-is-set-before-the-cancellable-is-cancelled",
                   test_expired_is_set_before_the_cancellable_is_cancelled);
  g_test_add_func ("/Asgiref/Timeout/no-deadline-is-a-no-op", test_no_deadline_is_a_no_op);
  g_test_add_func ("/Asgiref/Timeout/operation-done-before-the-deadline-is-untouched",
                   test_operation_done_before_the_deadline_is_untouched);
  g_test_add_func ("/Asgiref/Timeout/delay-of-zero-or-less-expires-at-next-iteration",
                   test_delay_of_zero_or_less_expires_at_next_iteration);
  g_test_add_func ("/Asgiref/Timeout/deadline-in-the-past-expires-at-next-iteration",
                   test_deadline_in_the_past_expires_at_next_iteration);
  g_test_add_func ("/Asgiref/Timeout/expiry-notifies-once", test_expiry_notifies_once);
  g_test_add_func ("/Asgiref/Timeout/expiry-happens-on-the-creating-threads-context",
                   test_expiry_happens_on_the_creating_threads_context);

  g_test_add_func ("/Asgiref/Timeout/deadline-is-reported", test_deadline_is_reported);
  g_test_add_func ("/Asgiref/Timeout/remaining-is-reported-sensibly", test_remaining_is_reported_sensibly);

  g_test_add_func ("/Asgiref/Timeout/shift-moves-expiry-earlier", test_shift_moves_expiry_earlier);
  g_test_add_func ("/Asgiref/Timeout/shift-moves-expiry-later", test_shift_moves_expiry_later);
  g_test_add_func ("/Asgiref/Timeout/update-moves-expiry", test_update_moves_expiry);
  g_test_add_func ("/Asgiref/Timeout/update-gives-an-infinite-timeout-a-deadline",
                   test_update_gives_an_infinite_timeout_a_deadline);
  g_test_add_func ("/Asgiref/Timeout/shift-without-deadline-fails", test_shift_without_deadline_fails);
  g_test_add_func ("/Asgiref/Timeout/rescheduling-after-expiry-fails", test_rescheduling_after_expiry_fails);
  g_test_add_func ("/Asgiref/Timeout/reject-prevents-expiry", test_reject_prevents_expiry);
  g_test_add_func ("/Asgiref/Timeout/reject-after-expiry-changes-nothing",
                   test_reject_after_expiry_changes_nothing);

  g_test_add_func ("/Asgiref/Timeout/parent-cancellation-is-not-a-timeout",
                   test_parent_cancellation_is_not_a_timeout);
  g_test_add_func ("/Asgiref/Timeout/cancelled-parent-cancels-at-once", test_cancelled_parent_cancels_at_once);
  g_test_add_func ("/Asgiref/Timeout/expiry-leaves-the-parent-alone", test_expiry_leaves_the_parent_alone);
  g_test_add_func ("/Asgiref/Timeout/parent-outliving-the-timeout-no-longer-reaches-it",
                   test_parent_outliving_the_timeout_no_longer_reaches_it);
  g_test_add_func ("/Asgiref/Timeout/unref-from-a-cancellation-handler",
                   test_unref_from_a_cancellation_handler);

  g_test_add_func ("/Asgiref/Timeout/translate-error-leaves-other-errors-alone",
                   test_translate_error_leaves_other_errors_alone);
  g_test_add_func ("/Asgiref/Timeout/set-error-if-expired", test_set_error_if_expired);

  g_test_add_func ("/Asgiref/Timeout/timer-source-lifetime", test_timer_source_lifetime);
  g_test_add_func ("/Asgiref/Timeout/unref-from-another-thread-removes-the-source",
                   test_unref_from_another_thread_removes_the_source);

  g_test_add_func ("/Asgiref/Timeout/shift-from-another-thread-wakes-the-context",
                   test_shift_from_another_thread_wakes_the_context);
  g_test_add_func ("/Asgiref/Timeout/concurrent-shifts-add-up", test_concurrent_shifts_add_up);
  g_test_add_func ("/Asgiref/Timeout/reject-races-with-expiry", test_reject_races_with_expiry);

  return g_test_run ();
}
