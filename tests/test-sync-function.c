/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefSyncFunction: a C function object run through the bridge.
 *
 * TestFunc, defined here, implements the interface: it records the thread
 * it ran on, can meet other calls at a gate, set a Local value, wait for
 * its cancellable, and return a string, an int, an object or an error.
 * Recordings made on the bridge's threads are atomics read once the call
 * completed.
 */

#include <string.h>

#include <asgiref.h>

#include "test-util.h"

#define SUBPROCESS_TIMEOUT (10 * G_USEC_PER_SEC)

/* {{{ TestFunc */

typedef enum
{
  RESULT_STRING,        /* "ran" */
  RESULT_INT,           /* 42 */
  RESULT_OBJECT,        /* the object in `object` */
  RESULT_ERROR,         /* the error in `error` */
  RESULT_FALSE_NO_ERROR,
  RESULT_TRUE_NO_VALUE,
} ResultKind;

#define TEST_TYPE_FUNC (test_func_get_type ())
G_DECLARE_FINAL_TYPE (TestFunc, test_func, TEST, FUNC, GObject)

struct _TestFunc
{
  GObject parent_instance;

  /* Set before the call, read on the bridge's thread. */
  ResultKind kind;
  GObject *object;
  GError *error;
  TestGate *gate;
  AsgirefLocal *local;
  gboolean wait_for_cancel;

  /* Atomics, written on the bridge's thread. */
  GThread *thread;
  gint n_calls;
  gint saw_cancelled;
  gint started;

  /* Written by finalize, on whichever thread drops the last reference. */
  GThread **finalized_on;
};

static void test_func_sync_function_init (AsgirefSyncFunctionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestFunc, test_func, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (ASGIREF_TYPE_SYNC_FUNCTION,
                                                      test_func_sync_function_init))

static gboolean
test_func_call (AsgirefSyncFunction  *function,
                GCancellable         *cancellable,
                GValue               *result,
                GError              **error)
{
  TestFunc *self = TEST_FUNC (function);

  g_atomic_pointer_set (&self->thread, g_thread_self ());
  g_atomic_int_inc (&self->n_calls);

  if (self->gate != NULL)
    test_gate_wait (self->gate);

  if (self->local != NULL)
    test_set_string (self->local, "from-function", "set by the function");

  if (self->wait_for_cancel)
    {
      g_atomic_int_set (&self->started, 1);
      while (!g_cancellable_is_cancelled (cancellable))
        g_thread_yield ();
      g_atomic_int_set (&self->saw_cancelled, 1);
      return !g_cancellable_set_error_if_cancelled (cancellable, error);
    }

  switch (self->kind)
    {
    case RESULT_STRING:
      g_value_init (result, G_TYPE_STRING);
      g_value_set_string (result, "ran");
      return TRUE;
    case RESULT_INT:
      g_value_init (result, G_TYPE_INT);
      g_value_set_int (result, 42);
      return TRUE;
    case RESULT_OBJECT:
      g_value_init (result, G_TYPE_OBJECT);
      g_value_set_object (result, self->object);
      return TRUE;
    case RESULT_ERROR:
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    case RESULT_FALSE_NO_ERROR:
      return FALSE;
    case RESULT_TRUE_NO_VALUE:
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static void
test_func_sync_function_init (AsgirefSyncFunctionInterface *iface)
{
  iface->call = test_func_call;
}

static void
test_func_finalize (GObject *object)
{
  TestFunc *self = TEST_FUNC (object);

  if (self->finalized_on != NULL)
    g_atomic_pointer_set (self->finalized_on, g_thread_self ());
  g_clear_object (&self->object);
  g_clear_error (&self->error);
  g_clear_object (&self->local);

  G_OBJECT_CLASS (test_func_parent_class)->finalize (object);
}

static void
test_func_class_init (TestFuncClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_func_finalize;
}

static void
test_func_init (TestFunc *self)
{
}

static TestFunc *
test_func_new (ResultKind kind)
{
  TestFunc *self = g_object_new (TEST_TYPE_FUNC, NULL);

  self->kind = kind;
  return self;
}

/* }}} */

/* {{{ Calling from a main loop */

typedef struct
{
  TestLoop *loop;
  AsgirefSyncFunction *function;
  GObject *source_object;
  GValue *value;
  GError *error;
  GThread *callback_thread;
  char *local_in_callback;
  AsgirefLocal *local;
  AsgirefContext *context;            /* to start the call in, if set */
  AsgirefContext *context_in_callback;
} Call;

static void
call_clear (Call *call)
{
  if (call->value != NULL)
    g_boxed_free (G_TYPE_VALUE, g_steal_pointer (&call->value));
  g_clear_error (&call->error);
  g_clear_pointer (&call->local_in_callback, g_free);
  g_clear_pointer (&call->context, asgiref_context_unref);
  g_clear_pointer (&call->context_in_callback, asgiref_context_unref);
}

static void
call_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Call *call = user_data;
  const GValue *value;

  call->callback_thread = g_thread_self ();
  call->source_object = source_object;
  value = asgiref_sync_function_call_finish (ASGIREF_SYNC_FUNCTION (source_object),
                                             result, &call->error);
  g_assert_true ((value == NULL) != (call->error == NULL));
  if (value != NULL)
    {
      /* It belongs to the result: keep a copy. */
      call->value = g_new0 (GValue, 1);
      g_value_init (call->value, G_VALUE_TYPE (value));
      g_value_copy (value, call->value);
    }
  if (call->local != NULL)
    call->local_in_callback = g_strdup (test_get_string (call->local, "from-function"));
  call->context_in_callback = asgiref_context_ref (asgiref_context_get_current ());
  test_loop_release (call->loop);
}

typedef struct
{
  Call *calls;
  guint n_calls;
  AsgirefBridge *bridge;
  AsgirefSyncFlags flags;
  GCancellable *cancellable;
} Batch;

static void
batch_start (TestLoop *loop,
             gpointer  user_data)
{
  Batch *batch = user_data;

  for (guint i = 0; i < batch->n_calls; i++)
    {
      batch->calls[i].loop = loop;
      test_loop_hold (loop);
      if (batch->calls[i].context != NULL)
        asgiref_context_enter (batch->calls[i].context);
      asgiref_sync_function_call_async (batch->calls[i].function, batch->bridge,
                                        batch->flags, batch->cancellable,
                                        call_done, &batch->calls[i]);
      if (batch->calls[i].context != NULL)
        asgiref_context_leave (batch->calls[i].context);
    }
}

/* Calls each of @calls from a main loop on this thread and returns when
 * all completed. */
static void
run_calls (Call             *calls,
           guint             n_calls,
           AsgirefBridge    *bridge,
           AsgirefSyncFlags  flags,
           GCancellable     *cancellable)
{
  Batch batch = { calls, n_calls, bridge, flags, cancellable };

  test_loop_run ("sync function calls", batch_start, &batch);
}

static void
run_one (AsgirefSyncFunction *function,
         AsgirefBridge       *bridge,
         AsgirefSyncFlags     flags,
         GCancellable        *cancellable,
         Call                *call)
{
  call->function = function;
  run_calls (call, 1, bridge, flags, cancellable);
}

/* }}} */

static void
test_call_runs_on_the_calling_thread (void)
{
  g_autoptr(TestFunc) func = test_func_new (RESULT_STRING);
  g_autoptr(GError) error = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  g_assert_true (asgiref_sync_function_call (ASGIREF_SYNC_FUNCTION (func), NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS_STRING (&value));
  g_assert_cmpstr (g_value_get_string (&value), ==, "ran");
  g_assert_true (g_atomic_pointer_get (&func->thread) == g_thread_self ());
  g_value_unset (&value);

  func->kind = RESULT_ERROR;
  func->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");
  g_assert_false (asgiref_sync_function_call (ASGIREF_SYNC_FUNCTION (func), NULL, &value, &error));
  g_assert_false (G_IS_VALUE (&value));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "gone");
}

static void
test_thread_sensitive_calls_run_on_the_shared_sync_thread (void)
{
  g_autoptr(TestFunc) first = test_func_new (RESULT_STRING);
  g_autoptr(TestFunc) second = test_func_new (RESULT_STRING);
  Call calls[2] = {
    { .function = ASGIREF_SYNC_FUNCTION (first) },
    { .function = ASGIREF_SYNC_FUNCTION (second) },
  };
  GThread *thread;

  /* NULL: the default bridge. */
  run_calls (calls, G_N_ELEMENTS (calls), NULL, ASGIREF_SYNC_FLAGS_NONE, NULL);

  thread = g_atomic_pointer_get (&first->thread);
  g_assert_nonnull (thread);
  g_assert_true (thread != g_thread_self ());
  g_assert_true (g_atomic_pointer_get (&second->thread) == thread);

  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      g_assert_no_error (calls[i].error);
      g_assert_cmpstr (g_value_get_string (calls[i].value), ==, "ran");
      /* GIO's convention: the callback's source object is the function,
       * and it runs on the caller's thread. */
      g_assert_true (calls[i].source_object == G_OBJECT (calls[i].function));
      g_assert_true (calls[i].callback_thread == g_thread_self ());
      call_clear (&calls[i]);
    }

  /* The same thread as a plain thread-sensitive sync_to_async call:
   * a later call goes there too. */
  run_calls (calls, 1, asgiref_bridge_get_default (), ASGIREF_SYNC_FLAGS_NONE, NULL);
  g_assert_true (g_atomic_pointer_get (&first->thread) == thread);
  call_clear (&calls[0]);
}

static void
test_not_thread_sensitive_calls_run_together_on_pool_threads (void)
{
  g_autoptr(AsgirefBridge) bridge = asgiref_bridge_new (2);
  g_autoptr(TestFunc) first = test_func_new (RESULT_STRING);
  g_autoptr(TestFunc) second = test_func_new (RESULT_INT);
  g_autoptr(TestFunc) sensitive = test_func_new (RESULT_STRING);
  Call calls[2] = {
    { .function = ASGIREF_SYNC_FUNCTION (first) },
    { .function = ASGIREF_SYNC_FUNCTION (second) },
  };
  Call ts_call = { 0, };
  TestGate gate;
  GThread *shared;

  /* Both calls must be inside the function at once to pass the gate. */
  test_gate_init (&gate, 2);
  first->gate = second->gate = &gate;
  run_calls (calls, G_N_ELEMENTS (calls), bridge, ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE, NULL);

  run_one (ASGIREF_SYNC_FUNCTION (sensitive), bridge, ASGIREF_SYNC_FLAGS_NONE, NULL, &ts_call);
  shared = g_atomic_pointer_get (&sensitive->thread);

  g_assert_true (g_atomic_pointer_get (&first->thread) != g_atomic_pointer_get (&second->thread));
  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      TestFunc *func = TEST_FUNC (calls[i].function);

      g_assert_no_error (calls[i].error);
      g_assert_true (g_atomic_pointer_get (&func->thread) != g_thread_self ());
      g_assert_true (g_atomic_pointer_get (&func->thread) != shared);
    }
  g_assert_cmpstr (g_value_get_string (calls[0].value), ==, "ran");
  g_assert_cmpint (g_value_get_int (calls[1].value), ==, 42);

  call_clear (&calls[0]);
  call_clear (&calls[1]);
  call_clear (&ts_call);
  g_clear_object (&first);
  g_clear_object (&second);
  g_clear_object (&sensitive);
  test_unref_and_wait_finalized ("the bridge", g_steal_pointer (&bridge));
}

static void
test_values_round_trip (void)
{
  g_autoptr(TestFunc) func = test_func_new (RESULT_OBJECT);
  g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);
  Call call = { 0, };

  func->object = g_object_ref (object);
  run_one (ASGIREF_SYNC_FUNCTION (func), NULL, ASGIREF_SYNC_FLAGS_NONE, NULL, &call);
  g_assert_no_error (call.error);
  g_assert_true (G_VALUE_HOLDS_OBJECT (call.value));
  g_assert_true (g_value_get_object (call.value) == object);
  call_clear (&call);

  func->kind = RESULT_INT;
  run_one (ASGIREF_SYNC_FUNCTION (func), NULL, ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE, NULL, &call);
  g_assert_true (G_VALUE_HOLDS_INT (call.value));
  g_assert_cmpint (g_value_get_int (call.value), ==, 42);
  call_clear (&call);

  /* The object is the caller's again: only ours and the function's
   * references are left. */
  g_clear_object (&func);
  g_assert_cmpuint (G_OBJECT (object)->ref_count, ==, 1);
}

static void
test_errors_arrive_unchanged (void)
{
  g_autoptr(TestFunc) func = test_func_new (RESULT_ERROR);
  Call call = { 0, };

  func->error = g_error_new_literal (ASGIREF_ERROR, ASGIREF_ERROR_DEADLOCK, "a message");
  run_one (ASGIREF_SYNC_FUNCTION (func), NULL, ASGIREF_SYNC_FLAGS_NONE, NULL, &call);
  g_assert_null (call.value);
  g_assert_error (call.error, ASGIREF_ERROR, ASGIREF_ERROR_DEADLOCK);
  g_assert_cmpstr (call.error->message, ==, "a message");
  call_clear (&call);

  g_clear_error (&func->error);
  func->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "no");
  run_one (ASGIREF_SYNC_FUNCTION (func), NULL, ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE, NULL, &call);
  g_assert_error (call.error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr (call.error->message, ==, "no");
  call_clear (&call);
}

static void
test_failing_without_an_error_is_an_error (void)
{
  /* What PyGObject does with a Python exception it cannot turn into a
   * GError: FALSE and no error. The caller still gets an answer. */
  g_autoptr(TestFunc) func = test_func_new (RESULT_FALSE_NO_ERROR);
  Call call = { 0, };

  run_one (ASGIREF_SYNC_FUNCTION (func), NULL, ASGIREF_SYNC_FLAGS_NONE, NULL, &call);
  g_assert_null (call.value);
  g_assert_error (call.error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (call.error->message, "TestFunc"));
  call_clear (&call);
}

static void
test_returning_no_value_is_a_critical_and_an_error (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(TestFunc) func = test_func_new (RESULT_TRUE_NO_VALUE);
      Call call = { 0, };

      test_allow_criticals ();
      run_one (ASGIREF_SYNC_FUNCTION (func), NULL, ASGIREF_SYNC_FLAGS_NONE, NULL, &call);
      g_assert_null (call.value);
      g_assert_error (call.error, G_IO_ERROR, G_IO_ERROR_FAILED);
      call_clear (&call);
      return;
    }

  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*TestFunc.call() returned TRUE without setting its result*");
}

static void
test_cancelled_before_it_runs_is_not_run (void)
{
  g_autoptr(TestFunc) func = test_func_new (RESULT_STRING);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Call call = { 0, };

  g_cancellable_cancel (cancellable);
  run_one (ASGIREF_SYNC_FUNCTION (func), NULL, ASGIREF_SYNC_FLAGS_NONE, cancellable, &call);
  g_assert_null (call.value);
  g_assert_error (call.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_atomic_int_get (&func->n_calls), ==, 0);
  call_clear (&call);

  run_one (ASGIREF_SYNC_FUNCTION (func), NULL, ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE, cancellable, &call);
  g_assert_error (call.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_atomic_int_get (&func->n_calls), ==, 0);
  call_clear (&call);
}

typedef struct
{
  TestFunc *func;
  GCancellable *cancellable;
  Call call;
} CancelWhileRunning;

static gboolean
cancel_when_started_cb (gpointer data)
{
  CancelWhileRunning *state = data;

  if (!g_atomic_int_get (&state->func->started))
    return G_SOURCE_CONTINUE;
  g_cancellable_cancel (state->cancellable);
  return G_SOURCE_REMOVE;
}

static void
cancel_while_running_start (TestLoop *loop,
                            gpointer  user_data)
{
  CancelWhileRunning *state = user_data;

  state->call.loop = loop;
  test_loop_hold (loop);
  asgiref_sync_function_call_async (ASGIREF_SYNC_FUNCTION (state->func), NULL,
                                    ASGIREF_SYNC_FLAGS_NONE, state->cancellable,
                                    call_done, &state->call);
  g_timeout_add (1, cancel_when_started_cb, state);
}

static void
test_cancelling_while_it_runs_reaches_the_function (void)
{
  g_autoptr(TestFunc) func = test_func_new (RESULT_STRING);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  CancelWhileRunning state = { func, cancellable, { 0, } };

  func->wait_for_cancel = TRUE;
  test_loop_run ("a cancelled call", cancel_while_running_start, &state);
  g_assert_true (g_atomic_int_get (&func->saw_cancelled));
  g_assert_error (state.call.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  call_clear (&state.call);
}

static void
test_values_the_function_sets_reach_the_callback (void)
{
  g_autoptr(TestFunc) func = test_func_new (RESULT_STRING);
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AsgirefContext *context = asgiref_context_new ();
  Call call = { .local = local, .context = asgiref_context_ref (context) };

  /* The callback runs in the context the call was started in (not the
   * loop's), with what the function set there. */
  func->local = g_object_ref (local);
  run_one (ASGIREF_SYNC_FUNCTION (func), NULL, ASGIREF_SYNC_FLAGS_NONE, NULL, &call);
  g_assert_true (call.context_in_callback == context);
  g_assert_cmpstr (call.local_in_callback, ==, "set by the function");
  g_assert_null (test_get_string (local, "from-function"));
  call_clear (&call);

  /* Also when GTask defers the callback to an idle, as it does for a
   * cancelled task. */
  call.context = asgiref_context_ref (context);
  g_cancellable_cancel (cancellable);
  run_one (ASGIREF_SYNC_FUNCTION (func), NULL, ASGIREF_SYNC_FLAGS_NONE, cancellable, &call);
  g_assert_error (call.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (call.context_in_callback == context);
  call_clear (&call);
  asgiref_context_unref (context);
}

static void
test_function_is_released_on_the_caller_thread (void)
{
  GThread *finalized_on = NULL;
  TestFunc *func = test_func_new (RESULT_STRING);
  Call call = { 0, };

  func->finalized_on = &finalized_on;
  run_one (ASGIREF_SYNC_FUNCTION (func), NULL, ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE, NULL, &call);
  call_clear (&call);
  test_unref_and_wait_finalized ("the function", func);
  g_assert_true (g_atomic_pointer_get (&finalized_on) == g_thread_self ());
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/SyncFunction/call-runs-on-the-calling-thread",
                   test_call_runs_on_the_calling_thread);
  g_test_add_func ("/Asgiref/SyncFunction/thread-sensitive-calls-run-on-the-shared-sync-thread",
                   test_thread_sensitive_calls_run_on_the_shared_sync_thread);
  g_test_add_func ("/Asgiref/SyncFunction/not-thread-sensitive-calls-run-together-on-pool-threads",
                   test_not_thread_sensitive_calls_run_together_on_pool_threads);
  g_test_add_func ("/Asgiref/SyncFunction/values-round-trip",
                   test_values_round_trip);
  g_test_add_func ("/Asgiref/SyncFunction/errors-arrive-unchanged",
                   test_errors_arrive_unchanged);
  g_test_add_func ("/Asgiref/SyncFunction/failing-without-an-error-is-an-error",
                   test_failing_without_an_error_is_an_error);
  g_test_add_func ("/Asgiref/SyncFunction/returning-no-value-is-a-critical-and-an-error",
                   test_returning_no_value_is_a_critical_and_an_error);
  g_test_add_func ("/Asgiref/SyncFunction/cancelled-before-it-runs-is-not-run",
                   test_cancelled_before_it_runs_is_not_run);
  g_test_add_func ("/Asgiref/SyncFunction/cancelling-while-it-runs-reaches-the-function",
                   test_cancelling_while_it_runs_reaches_the_function);
  g_test_add_func ("/Asgiref/SyncFunction/values-the-function-sets-reach-the-callback",
                   test_values_the_function_sets_reach_the_callback);
  g_test_add_func ("/Asgiref/SyncFunction/function-is-released-on-the-caller-thread",
                   test_function_is_released_on_the_caller_thread);

  return g_test_run ();
}
