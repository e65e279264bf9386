/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefBridge and AsgirefThreadSensitiveContext: where each hop runs.
 *
 * Every test records the GThread of each function it runs and asserts the
 * thread rules on them: thread-sensitive sync code on the outermost sync
 * caller's thread, else on one shared thread that is not the loop's (or a
 * ThreadSensitiveContext's own); async code on the loop it came from, or
 * on the waiting thread's private context; DEADLOCK instead of a hang.
 *
 * Cross-thread recordings are atomics: the test reads them on its own
 * thread once the hop that made them completed. Deadlock tests run in a
 * subprocess with a time limit. Each test makes its own bridge and waits
 * for it to be finalized, which only happens once every call it served
 * has been freed.
 *
 * The flow of values, errors and cancellation through nested hops is in
 * test-bridge-flow.c.
 */

#include <string.h>

#include <asgiref.h>

#include "asgiref-lock-private.h"

#include "test-util.h"

/* How long a deadlock test's subprocess may take before it counts as a
 * hang; a normal run takes milliseconds. */
#define SUBPROCESS_TIMEOUT (10 * G_USEC_PER_SEC)

static GThread *
load_thread (GThread **where)
{
  return g_atomic_pointer_get (where);
}

static void
store_thread (GThread **where)
{
  g_atomic_pointer_set (where, g_thread_self ());
}

/* Whether the calling thread runs its thread-default main context and
 * that is the global default one (the test's main loop). */
static gboolean
on_default_main_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  return context == g_main_context_default ();
}

/* {{{ 1. sync-to-async returns the value while the loop keeps running */

typedef struct
{
  AsgirefBridge *bridge;
  TestLoop      *loop;
  GThread       *sync_thread;
  GThread       *idle_thread;
  GThread       *callback_thread;
  gint           idle_ran;
  gssize         value;
} ReturnState;

static gboolean
return_idle_cb (gpointer data)
{
  ReturnState *state = data;

  store_thread (&state->idle_thread);
  g_atomic_int_set (&state->idle_ran, 1);
  return G_SOURCE_REMOVE;
}

static void
return_blocks_until_idle_func (GTask        *task,
                               gpointer      source_object,
                               gpointer      task_data,
                               GCancellable *cancellable)
{
  ReturnState *state = task_data;
  GSource *idle;

  store_thread (&state->sync_thread);
  g_assert_true (source_object == state->bridge);

  /* The loop must dispatch this while the function is still blocked. */
  idle = g_idle_source_new ();
  g_source_set_callback (idle, return_idle_cb, state, NULL);
  g_source_attach (idle, g_main_context_default ());
  g_source_unref (idle);
  test_spin_until ("the loop to dispatch an idle", &state->idle_ran);

  g_task_return_int (task, 42);
}

static void
return_done_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  ReturnState *state = user_data;
  g_autoptr(GError) error = NULL;

  store_thread (&state->callback_thread);
  g_assert_true (source_object == G_OBJECT (state->bridge));
  g_assert_true (g_task_is_valid (result, state->bridge));
  state->value = g_task_propagate_int (G_TASK (result), &error);
  g_assert_no_error (error);
  test_loop_release (state->loop);
}

static void
return_body (TestLoop *loop,
             gpointer  data)
{
  ReturnState *state = data;

  state->loop = loop;
  test_loop_hold (loop);
  asgiref_bridge_sync_to_async (state->bridge, return_blocks_until_idle_func, state, NULL,
                                ASGIREF_SYNC_FLAGS_NONE, NULL, return_done_cb, state);
}

static void
test_sync_to_async_returns_value_while_the_loop_runs (void)
{
  ReturnState state = { 0, };

  state.bridge = asgiref_bridge_new (4);
  test_loop_run ("a sync_to_async call", return_body, &state);

  g_assert_cmpint (state.value, ==, 42);
  g_assert_nonnull (load_thread (&state.sync_thread));
  g_assert_true (load_thread (&state.sync_thread) != g_thread_self ());
  g_assert_true (load_thread (&state.idle_thread) == g_thread_self ());
  g_assert_true (load_thread (&state.callback_thread) == g_thread_self ());

  test_unref_and_wait_finalized ("the bridge", state.bridge);
}

/* }}} */

/* {{{ 2. async-to-sync from plain threads */

typedef struct
{
  AsgirefBridge *bridge;
  gint           value;
  GThread       *caller_thread;
  GThread       *func_thread;
  GThread       *completion_thread;
  gboolean       func_on_default_context;
  gboolean       func_on_caller_private_context;
  gint           data_frees;
} PlainCall;

static gboolean
plain_complete_cb (gpointer data)
{
  GTask *task = data;
  PlainCall *call = g_task_get_task_data (task);

  store_thread (&call->completion_thread);
  g_task_return_int (task, call->value * 10);
  return G_SOURCE_REMOVE;
}

static void
plain_call_data_free (gpointer data)
{
  PlainCall *call = data;

  g_atomic_int_inc (&call->data_frees);
}

/* Completes later, from an idle on the main context it runs on: a real
 * asynchronous operation, which needs that context iterated. */
static void
plain_async_func (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  PlainCall *call = task_data;
  GSource *idle;

  store_thread (&call->func_thread);
  g_assert_true (source_object == call->bridge);
  g_assert_true (g_task_get_task_data (task) == call);
  call->func_on_default_context = on_default_main_context ();
  call->func_on_caller_private_context =
    g_main_context_get_thread_default () != NULL && g_main_context_is_owner (g_main_context_get_thread_default ());

  idle = g_idle_source_new ();
  g_source_set_callback (idle, plain_complete_cb, g_object_ref (task), g_object_unref);
  g_source_attach (idle, g_main_context_get_thread_default ());
  g_source_unref (idle);
}

static gpointer
plain_caller_thread (gpointer data)
{
  PlainCall *call = data;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gssize value;

  store_thread (&call->caller_thread);
  g_assert_cmpint (g_main_depth (), ==, 0);
  result = asgiref_bridge_async_to_sync (call->bridge, plain_async_func, call,
                                         plain_call_data_free, NULL);
  g_assert_true (G_IS_TASK (result));
  g_assert_true (g_task_get_completed (G_TASK (result)));
  value = g_task_propagate_int (G_TASK (result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, call->value * 10);
  g_clear_object (&result);
  /* The task owned the data, and is gone. */
  g_assert_cmpint (g_atomic_int_get (&call->data_frees), ==, 1);
  return NULL;
}

static void
assert_plain_call (PlainCall *call)
{
  GThread *caller = load_thread (&call->caller_thread);

  /* The operation ran and completed on the calling thread, on a private
   * main context it iterated, not on the global default one. */
  g_assert_nonnull (caller);
  g_assert_true (load_thread (&call->func_thread) == caller);
  g_assert_true (load_thread (&call->completion_thread) == caller);
  g_assert_false (call->func_on_default_context);
  g_assert_true (call->func_on_caller_private_context);
}

static void
test_async_to_sync_from_a_thread_without_a_loop (void)
{
  AsgirefBridge *bridge = asgiref_bridge_new (4);
  PlainCall call = { bridge, 4, };

  /* The test's own thread: no main loop runs anywhere. */
  plain_caller_thread (&call);
  assert_plain_call (&call);
  g_assert_true (call.caller_thread == g_thread_self ());

  test_unref_and_wait_finalized ("the bridge", bridge);
}

static void
test_async_to_sync_from_several_threads (void)
{
  AsgirefBridge *bridge = asgiref_bridge_new (4);
  PlainCall calls[6];
  gpointer data[G_N_ELEMENTS (calls)];

  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      calls[i] = (PlainCall) { bridge, (gint) i + 1, };
      data[i] = &calls[i];
    }
  test_run_threads ("caller", G_N_ELEMENTS (calls), plain_caller_thread, data);

  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      assert_plain_call (&calls[i]);
      for (guint j = 0; j < i; j++)
        g_assert_true (calls[i].caller_thread != calls[j].caller_thread);
    }

  test_unref_and_wait_finalized ("the bridge", bridge);
}

/* }}} */

/* {{{ 3. async-to-sync from a main-loop dispatch is a DEADLOCK at once */

typedef struct
{
  AsgirefBridge *bridge;
  gint           func_calls;
  gint           data_frees;
} DeadlockFromLoop;

static void
never_called_async_func (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  DeadlockFromLoop *state = task_data;

  g_atomic_int_inc (&state->func_calls);
  g_task_return_boolean (task, TRUE);
}

static void
deadlock_data_free (gpointer data)
{
  DeadlockFromLoop *state = data;

  g_atomic_int_inc (&state->data_frees);
}

static void
async_to_sync_in_loop_body (TestLoop *loop,
                            gpointer  data)
{
  DeadlockFromLoop *state = data;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* A GLib idle callback on the running main loop. */
  g_assert_cmpint (g_main_depth (), >, 0);
  result = asgiref_bridge_async_to_sync (state->bridge, never_called_async_func, state,
                                         deadlock_data_free, NULL);
  g_assert_true (G_IS_TASK (result));
  g_assert_false (g_task_propagate_boolean (G_TASK (result), &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_DEADLOCK);
  g_assert_nonnull (strstr (error->message, "call the async function directly"));
  g_assert_cmpint (g_atomic_int_get (&state->func_calls), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&state->data_frees), ==, 1);
}

static void
test_async_to_sync_from_a_loop_callback_is_a_deadlock (void)
{
  if (g_test_subprocess ())
    {
      DeadlockFromLoop state = { asgiref_bridge_new (2), 0, 0 };

      test_loop_run ("async_to_sync on the loop", async_to_sync_in_loop_body, &state);
      /* Nothing was left pending on the loop's context. */
      g_assert_false (g_main_context_pending (NULL));
      g_assert_cmpint (g_atomic_int_get (&state.func_calls), ==, 0);
      test_unref_and_wait_finalized ("the bridge", state.bridge);
      return;
    }

  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* }}} */

/* {{{ 5. outermost sync caller: every thread-sensitive call runs on it */

#define N_SPAWNED_CALLS 3

typedef struct
{
  AsgirefBridge *bridge;
  GTask         *operation;
  GThread       *async_thread;
  GThread       *sync_threads[N_SPAWNED_CALLS];
  GThread       *callback_threads[N_SPAWNED_CALLS];
  GThread       *spawned_callback_threads[2];
  gint           done;
} Outermost;

static const char *outermost_labels[N_SPAWNED_CALLS] = {
  "direct", "from-create-task", "from-async-ready",
};

typedef struct
{
  Outermost *state;
  guint      index;
} OutermostCall;

static void
outermost_sync_func (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  OutermostCall *call = task_data;

  store_thread (&call->state->sync_threads[call->index]);
  g_task_return_pointer (task, (gpointer) outermost_labels[call->index], NULL);
}

static void
outermost_sync_done_cb (GObject      *source_object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Outermost *state = user_data;
  g_autoptr(GError) error = NULL;
  const char *label;
  guint index = N_SPAWNED_CALLS;

  label = asgiref_bridge_sync_to_async_finish (state->bridge, result, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < N_SPAWNED_CALLS; i++)
    if (label == outermost_labels[i])
      index = i;
  g_assert_cmpuint (index, <, N_SPAWNED_CALLS);
  store_thread (&state->callback_threads[index]);

  if (++state->done == N_SPAWNED_CALLS)
    {
      g_task_return_int (state->operation, 7);
      g_clear_object (&state->operation);
    }
}

static void
outermost_call (Outermost *state,
                guint      index)
{
  OutermostCall *call = g_new (OutermostCall, 1);

  call->state = state;
  call->index = index;
  asgiref_bridge_sync_to_async (state->bridge, outermost_sync_func, call, g_free,
                                ASGIREF_SYNC_FLAGS_NONE, NULL, outermost_sync_done_cb, state);
}

static void
noop_thread_func (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  g_task_return_boolean (task, TRUE);
}

/* Spawned work: GIO operations completing on GTask's pool, whose
 * callbacks were bound to the operation's context. */
static void
spawned_by_create_task_cb (GObject      *source_object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  Outermost *state = user_data;

  store_thread (&state->spawned_callback_threads[0]);
  g_assert_true (g_task_propagate_boolean (G_TASK (result), NULL));
  outermost_call (state, 1);
}

static void
spawned_by_async_ready_cb (GObject      *source_object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  Outermost *state = user_data;

  store_thread (&state->spawned_callback_threads[1]);
  g_assert_true (g_task_propagate_boolean (G_TASK (result), NULL));
  outermost_call (state, 2);
}

static void
outermost_async_func (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  Outermost *state = task_data;
  GTask *spawned;

  store_thread (&state->async_thread);
  state->operation = g_object_ref (task);

  /* Directly from the async code... */
  outermost_call (state, 0);

  /* ...and from callbacks of work it spawned. */
  spawned = asgiref_context_create_task (NULL, NULL, spawned_by_create_task_cb, state);
  g_task_run_in_thread (spawned, noop_thread_func);
  g_object_unref (spawned);

  spawned = g_task_new (NULL, NULL, ASGIREF_CONTEXT_ASYNC_READY (spawned_by_async_ready_cb, state));
  g_task_run_in_thread (spawned, noop_thread_func);
  g_object_unref (spawned);
}

static void
test_thread_sensitive_calls_run_on_the_outermost_sync_thread (void)
{
  Outermost state = { 0, };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  state.bridge = asgiref_bridge_new (4);
  result = asgiref_bridge_async_to_sync (state.bridge, outermost_async_func, &state, NULL, NULL);
  g_assert_cmpint (g_task_propagate_int (G_TASK (result), &error), ==, 7);
  g_assert_no_error (error);

  g_assert_true (load_thread (&state.async_thread) == g_thread_self ());
  for (guint i = 0; i < N_SPAWNED_CALLS; i++)
    {
      g_test_message ("call %s", outermost_labels[i]);
      g_assert_true (load_thread (&state.sync_threads[i]) == g_thread_self ());
      g_assert_true (load_thread (&state.callback_threads[i]) == g_thread_self ());
    }
  for (guint i = 0; i < 2; i++)
    g_assert_true (load_thread (&state.spawned_callback_threads[i]) == g_thread_self ());

  g_clear_object (&result);
  test_unref_and_wait_finalized ("the bridge", state.bridge);
}

/* }}} */

/* {{{ 6. outermost main loop: one shared thread, one call at a time */

#define N_CONCURRENT 8

typedef struct
{
  AsgirefBridge *bridge;
  TestLoop      *loop;
  AsgirefSyncFlags flags;
  GThread       *threads[N_CONCURRENT];
  gint           submitted;
  gint           in_flight;
  gint           max_in_flight;
  gint           arrived;       /* for the overlap barrier */
  gint           completed;
} Concurrent;

typedef struct
{
  Concurrent *state;
  guint       index;
} ConcurrentCall;

static void
note_in_flight (Concurrent *state)
{
  gint now = g_atomic_int_add (&state->in_flight, 1) + 1;
  gint max;

  do
    max = g_atomic_int_get (&state->max_in_flight);
  while (now > max && !g_atomic_int_compare_and_exchange (&state->max_in_flight, max, now));
}

static void
one_at_a_time_func (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  ConcurrentCall *call = task_data;
  Concurrent *state = call->state;

  note_in_flight (state);
  store_thread (&state->threads[call->index]);

  /* Every call was made before this one goes on: were they allowed to run
   * together, they would all be in flight here at once. The yields give
   * them every chance to show up. */
  while (g_atomic_int_get (&state->submitted) < N_CONCURRENT)
    g_thread_yield ();
  for (guint i = 0; i < 200 && g_atomic_int_get (&state->in_flight) == 1; i++)
    g_thread_yield ();

  g_atomic_int_add (&state->in_flight, -1);
  g_task_return_int (task, (gssize) call->index);
}

static void
concurrent_done_cb (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Concurrent *state = user_data;
  g_autoptr(GError) error = NULL;
  gssize index;

  index = g_task_propagate_int (G_TASK (result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (index, >=, 0);
  g_assert_cmpint (index, <, N_CONCURRENT);
  state->completed++;
  test_loop_release (state->loop);
}

static void
one_at_a_time_body (TestLoop *loop,
                    gpointer  data)
{
  Concurrent *state = data;

  state->loop = loop;
  for (guint i = 0; i < N_CONCURRENT; i++)
    {
      ConcurrentCall *call = g_new (ConcurrentCall, 1);

      call->state = state;
      call->index = i;
      test_loop_hold (loop);
      asgiref_bridge_sync_to_async (state->bridge, one_at_a_time_func, call, g_free,
                                    ASGIREF_SYNC_FLAGS_NONE, NULL, concurrent_done_cb, state);
      g_atomic_int_inc (&state->submitted);
    }
}

static void
test_thread_sensitive_calls_from_a_loop_share_one_thread (void)
{
  Concurrent state = { 0, };

  state.bridge = asgiref_bridge_new (8);
  test_loop_run ("concurrent thread-sensitive calls", one_at_a_time_body, &state);

  g_assert_cmpint (state.completed, ==, N_CONCURRENT);
  g_assert_cmpint (g_atomic_int_get (&state.max_in_flight), ==, 1);
  g_assert_nonnull (state.threads[0]);
  g_assert_true (state.threads[0] != g_thread_self ());
  for (guint i = 1; i < N_CONCURRENT; i++)
    g_assert_true (load_thread (&state.threads[i]) == state.threads[0]);

  test_unref_and_wait_finalized ("the bridge", state.bridge);
}

/* The shared thread of one bridge is the same for every loop iteration and
 * every later call: it is the process's one thread of sensitive code. */
static void
test_shared_thread_persists_across_calls (void)
{
  Concurrent first = { 0, };
  Concurrent second = { 0, };
  AsgirefBridge *bridge = asgiref_bridge_new (2);

  first.bridge = second.bridge = bridge;
  test_loop_run ("a first batch", one_at_a_time_body, &first);
  test_loop_run ("a second batch", one_at_a_time_body, &second);
  g_assert_true (load_thread (&first.threads[0]) == load_thread (&second.threads[N_CONCURRENT - 1]));

  test_unref_and_wait_finalized ("the bridge", bridge);
}

/* }}} */

/* {{{ 9. not thread-sensitive: pool threads, running together */

static void
overlap_func (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ConcurrentCall *call = task_data;
  Concurrent *state = call->state;
  gint64 deadline = g_get_monotonic_time () + TEST_GUARD_SECONDS * G_USEC_PER_SEC;

  note_in_flight (state);
  store_thread (&state->threads[call->index]);

  /* A barrier: neither returns before both are running. Run one after the
   * other, the first would never see the second and time out. */
  g_atomic_int_inc (&state->arrived);
  while (g_atomic_int_get (&state->arrived) < 2)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the two calls never ran at the same time");
      g_thread_yield ();
    }

  g_atomic_int_add (&state->in_flight, -1);
  g_task_return_int (task, (gssize) call->index);
}

static void
overlap_body (TestLoop *loop,
              gpointer  data)
{
  Concurrent *state = data;

  state->loop = loop;
  for (guint i = 0; i < 2; i++)
    {
      ConcurrentCall *call = g_new (ConcurrentCall, 1);

      call->state = state;
      call->index = i;
      test_loop_hold (loop);
      asgiref_bridge_sync_to_async (state->bridge, overlap_func, call, g_free,
                                    ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE, NULL,
                                    concurrent_done_cb, state);
    }

  /* And a thread-sensitive one, to know the shared thread. */
  {
    ConcurrentCall *call = g_new (ConcurrentCall, 1);

    call->state = state;
    call->index = 2;
    test_loop_hold (loop);
    g_atomic_int_set (&state->submitted, N_CONCURRENT);
    asgiref_bridge_sync_to_async (state->bridge, one_at_a_time_func, call, g_free,
                                  ASGIREF_SYNC_FLAGS_NONE, NULL, concurrent_done_cb, state);
  }
}

static void
test_not_thread_sensitive_calls_run_together_on_pool_threads (void)
{
  Concurrent state = { 0, };

  state.bridge = asgiref_bridge_new (4);
  g_assert_cmpuint (asgiref_bridge_get_max_threads (state.bridge), ==, 4);
  test_loop_run ("two calls at once", overlap_body, &state);

  g_assert_cmpint (state.completed, ==, 3);
  g_assert_cmpint (g_atomic_int_get (&state.max_in_flight), >=, 2);
  /* Two pool threads, neither the loop's nor the shared one. */
  g_assert_nonnull (state.threads[0]);
  g_assert_nonnull (state.threads[1]);
  g_assert_true (state.threads[0] != state.threads[1]);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (state.threads[i] != g_thread_self ());
      g_assert_true (state.threads[i] != state.threads[2]);
    }

  test_unref_and_wait_finalized ("the bridge", state.bridge);
}

static void
test_default_bridge_is_shared (void)
{
  AsgirefBridge *bridge = asgiref_bridge_get_default ();

  g_assert_true (ASGIREF_IS_BRIDGE (bridge));
  g_assert_true (asgiref_bridge_get_default () == bridge);
  g_assert_cmpuint (asgiref_bridge_get_max_threads (bridge), ==, 16);
}

/* }}} */

/* {{{ 10. ThreadSensitiveContext */

#define N_TSC_CALLS 6

typedef struct
{
  AsgirefBridge *bridge;
  TestLoop      *loop;
  GThread       *threads[N_TSC_CALLS];
  gint           released;
  gint           completed;
} TscState;

typedef struct
{
  TscState *state;
  guint     index;
  gboolean  block;
} TscCall;

static void
tsc_func (GTask        *task,
          gpointer      source_object,
          gpointer      task_data,
          GCancellable *cancellable)
{
  TscCall *call = task_data;

  store_thread (&call->state->threads[call->index]);
  if (call->block)
    test_spin_until ("the loop to go on after leaving", &call->state->released);
  g_task_return_int (task, (gssize) call->index);
}

static void
tsc_done_cb (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  TscState *state = user_data;
  g_autoptr(GError) error = NULL;

  g_task_propagate_int (G_TASK (result), &error);
  g_assert_no_error (error);
  state->completed++;
  test_loop_release (state->loop);
}

static void
tsc_call (TscState *state,
          guint     index,
          gboolean  block)
{
  TscCall *call = g_new (TscCall, 1);

  call->state = state;
  call->index = index;
  call->block = block;
  test_loop_hold (state->loop);
  asgiref_bridge_sync_to_async (state->bridge, tsc_func, call, g_free,
                                ASGIREF_SYNC_FLAGS_NONE, NULL, tsc_done_cb, state);
}

static void
tsc_body (TestLoop *loop,
          gpointer  data)
{
  TscState *state = data;
  AsgirefThreadSensitiveContext *one = asgiref_thread_sensitive_context_new ();
  AsgirefThreadSensitiveContext *two = asgiref_thread_sensitive_context_new ();
  AsgirefThreadSensitiveContext *inner = asgiref_thread_sensitive_context_new ();

  state->loop = loop;

  /* 0, 1: within one; 2: within another; 3: within one nested in two;
   * 4: outside any, on the shared thread. */
  asgiref_thread_sensitive_context_enter (one);
  tsc_call (state, 0, FALSE);
  tsc_call (state, 1, FALSE);
  asgiref_thread_sensitive_context_leave (one);

  asgiref_thread_sensitive_context_enter (two);
  tsc_call (state, 2, FALSE);
  asgiref_thread_sensitive_context_enter (inner);
  tsc_call (state, 3, FALSE);
  asgiref_thread_sensitive_context_leave (inner);
  asgiref_thread_sensitive_context_leave (two);

  tsc_call (state, 4, FALSE);

  /* The objects go while their calls are still queued or running. */
  g_object_unref (one);
  g_object_unref (two);
  g_object_unref (inner);
}

static void
test_thread_sensitive_contexts_have_their_own_threads (void)
{
  TscState state = { 0, };

  state.bridge = asgiref_bridge_new (2);
  test_loop_run ("calls in thread-sensitive contexts", tsc_body, &state);
  g_assert_cmpint (state.completed, ==, 5);

  /* Same thread within one context, not the loop's. */
  g_assert_true (state.threads[0] == state.threads[1]);
  g_assert_true (state.threads[0] != g_thread_self ());
  /* Another context, another thread; and not the shared one. */
  g_assert_true (state.threads[2] != state.threads[0]);
  g_assert_true (state.threads[2] != g_thread_self ());
  g_assert_true (state.threads[4] != state.threads[0]);
  g_assert_true (state.threads[4] != state.threads[2]);
  g_assert_true (state.threads[4] != g_thread_self ());
  /* Nested: the outer one's thread. */
  g_assert_true (state.threads[3] == state.threads[2]);

  test_unref_and_wait_finalized ("the bridge", state.bridge);
}

static void
test_empty_thread_sensitive_context_is_fine (void)
{
  AsgirefThreadSensitiveContext *tsc = asgiref_thread_sensitive_context_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();

  asgiref_context_enter (ctx);
  asgiref_thread_sensitive_context_enter (tsc);
  asgiref_thread_sensitive_context_leave (tsc);
  /* Entered twice in a row, too. */
  asgiref_thread_sensitive_context_enter (tsc);
  asgiref_thread_sensitive_context_leave (tsc);
  asgiref_context_leave (ctx);

  test_unref_and_wait_finalized ("the thread-sensitive context", tsc);
}

static gboolean
tsc_release_cb (gpointer data)
{
  TscState *state = data;

  g_atomic_int_set (&state->released, 1);
  return G_SOURCE_REMOVE;
}

static void
tsc_leave_body (TestLoop *loop,
                gpointer  data)
{
  TscState *state = data;
  AsgirefThreadSensitiveContext *tsc = asgiref_thread_sensitive_context_new ();

  state->loop = loop;
  asgiref_thread_sensitive_context_enter (tsc);
  /* Blocks its thread until the loop, having left, runs the idle. */
  tsc_call (state, 0, TRUE);
  asgiref_thread_sensitive_context_leave (tsc);
  g_object_unref (tsc);
  g_idle_add (tsc_release_cb, state);
}

static void
test_leaving_a_thread_sensitive_context_does_not_block (void)
{
  TscState state = { 0, };

  state.bridge = asgiref_bridge_new (2);
  test_loop_run ("a call in a context left at once", tsc_leave_body, &state);
  g_assert_cmpint (state.completed, ==, 1);
  g_assert_true (state.threads[0] != g_thread_self ());

  test_unref_and_wait_finalized ("the bridge", state.bridge);
}

/* }}} */

/* {{{ 11. a thread-sensitive call that would wait on itself: DEADLOCK */

typedef enum
{
  VIA_INVOKE,
  VIA_CONTEXT_SOURCE,
} DeadlockVia;

typedef struct
{
  AsgirefBridge *bridge;
  TestLoop      *loop;
  DeadlockVia    via;
  GThread       *outer_thread;
  GThread       *inner_start_thread;
  gint           inner_ran;     /* atomic: the inner sync function ran */
  gint           outcome;       /* atomic: 1 DEADLOCK, 2 anything else */
  GError        *inner_error;   /* published by outcome */
  GThread       *again_thread;
  gboolean       again_ok;
} SelfWait;

static void
inner_sync_func (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  SelfWait *state = task_data;

  g_atomic_int_set (&state->inner_ran, 1);
  g_task_return_boolean (task, TRUE);
}

static void
inner_done_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  SelfWait *state = user_data;
  GError *error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  state->inner_error = error;
  g_atomic_int_set (&state->outcome,
                    g_error_matches (error, ASGIREF_ERROR, ASGIREF_ERROR_DEADLOCK) ? 1 : 2);
}

static void
start_inner_call (gpointer data)
{
  SelfWait *state = data;

  store_thread (&state->inner_start_thread);
  asgiref_bridge_sync_to_async (state->bridge, inner_sync_func, state, NULL,
                                ASGIREF_SYNC_FLAGS_NONE, NULL, inner_done_cb, state);
}

typedef struct
{
  SelfWait       *state;
  AsgirefContext *context;
} Captured;

static gboolean
invoke_in_captured_cb (gpointer data)
{
  Captured *captured = data;

  /* Handed over through GLib's main context, which TSan cannot see. */
  _asgiref_tsan_acquire (captured);
  asgiref_context_run (captured->context, start_inner_call, captured->state);
  return G_SOURCE_REMOVE;
}

static void
captured_free (gpointer data)
{
  Captured *captured = data;

  asgiref_context_unref (captured->context);
  g_free (captured);
}

static gboolean
source_in_copy_cb (gpointer data)
{
  start_inner_call (data);
  return G_SOURCE_REMOVE;
}

/* A sync function on the shared thread that waits, without async_to_sync,
 * for async work it started on the main loop by other means. */
static void
waits_on_itself_func (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  SelfWait *state = task_data;

  store_thread (&state->outer_thread);

  if (state->via == VIA_INVOKE)
    {
      Captured *captured = g_new (Captured, 1);

      captured->state = state;
      captured->context = asgiref_context_capture ();
      _asgiref_tsan_release (captured);
      g_main_context_invoke_full (g_main_context_default (), G_PRIORITY_DEFAULT,
                                  invoke_in_captured_cb, captured, captured_free);
    }
  else
    {
      GSource *idle = g_idle_source_new ();

      asgiref_context_source_set_callback (idle, source_in_copy_cb, state, NULL);
      g_source_attach (idle, g_main_context_default ());
      g_source_unref (idle);
    }

  /* Were the inner call queued behind us, this would time out. */
  test_spin_until ("the inner call's outcome", &state->outcome);
  g_task_return_boolean (task, TRUE);
}

static void
again_func (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  SelfWait *state = task_data;

  store_thread (&state->again_thread);
  g_task_return_boolean (task, TRUE);
}

static void
again_done_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  SelfWait *state = user_data;
  g_autoptr(GError) error = NULL;

  state->again_ok = g_task_propagate_boolean (G_TASK (result), &error);
  g_assert_no_error (error);
  test_loop_release (state->loop);
}

static void
waits_on_itself_done_cb (GObject      *source_object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  SelfWait *state = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_task_propagate_boolean (G_TASK (result), &error));
  g_assert_no_error (error);

  /* The same caller makes a new call, which works. */
  asgiref_bridge_sync_to_async (state->bridge, again_func, state, NULL,
                                ASGIREF_SYNC_FLAGS_NONE, NULL, again_done_cb, state);
}

static void
waits_on_itself_body (TestLoop *loop,
                      gpointer  data)
{
  SelfWait *state = data;

  state->loop = loop;
  test_loop_hold (loop);
  asgiref_bridge_sync_to_async (state->bridge, waits_on_itself_func, state, NULL,
                                ASGIREF_SYNC_FLAGS_NONE, NULL, waits_on_itself_done_cb, state);
}

static void
run_waits_on_itself (DeadlockVia via)
{
  SelfWait state = { 0, };

  state.bridge = asgiref_bridge_new (2);
  state.via = via;
  test_loop_run ("a call that would wait on itself", waits_on_itself_body, &state);

  g_assert_cmpint (g_atomic_int_get (&state.outcome), ==, 1);
  g_assert_error (state.inner_error, ASGIREF_ERROR, ASGIREF_ERROR_DEADLOCK);
  g_assert_cmpint (g_atomic_int_get (&state.inner_ran), ==, 0);
  g_assert_true (load_thread (&state.inner_start_thread) == g_thread_self ());
  g_assert_true (load_thread (&state.outer_thread) != g_thread_self ());
  g_assert_true (state.again_ok);
  g_assert_true (load_thread (&state.again_thread) == load_thread (&state.outer_thread));
  g_clear_error (&state.inner_error);

  test_unref_and_wait_finalized ("the bridge", state.bridge);
}

static void
test_call_waiting_on_itself_via_invoke_is_a_deadlock (void)
{
  if (g_test_subprocess ())
    {
      run_waits_on_itself (VIA_INVOKE);
      return;
    }

  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_call_waiting_on_itself_via_context_source_is_a_deadlock (void)
{
  if (g_test_subprocess ())
    {
      run_waits_on_itself (VIA_CONTEXT_SOURCE);
      return;
    }

  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* }}} */

/* {{{ 12. work outliving an async-to-sync frame */

typedef struct
{
  AsgirefBridge *bridge;
  TestLoop      *loop;
  GSource       *late;          /* made inside the frame, fired after */
  GThread       *outer_thread;
  GThread       *async_thread;
  GThread       *late_thread;
  GThread       *late_sync_thread;
  gint           frame_returned;
  gboolean       late_saw_frame_returned;
  gboolean       late_ok;
  gint           late_done;     /* atomic */
} Outlive;

static void
late_sync_func (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Outlive *state = task_data;

  store_thread (&state->late_sync_thread);
  g_task_return_int (task, 99);
}

static void
late_done_cb (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Outlive *state = user_data;
  g_autoptr(GError) error = NULL;

  state->late_ok = g_task_propagate_int (G_TASK (result), &error) == 99;
  g_assert_no_error (error);
  g_atomic_int_set (&state->late_done, 1);
  if (state->loop != NULL)
    test_loop_release (state->loop);
}

static gboolean
late_source_cb (gpointer data)
{
  Outlive *state = data;

  store_thread (&state->late_thread);
  state->late_saw_frame_returned = g_atomic_int_get (&state->frame_returned);
  asgiref_bridge_sync_to_async (state->bridge, late_sync_func, state, NULL,
                                ASGIREF_SYNC_FLAGS_NONE, NULL, late_done_cb, state);
  return G_SOURCE_REMOVE;
}

static void
outlive_async_func (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  Outlive *state = task_data;

  store_thread (&state->async_thread);
  /* Made in the frame's context, attached only once the frame is gone. */
  state->late = g_idle_source_new ();
  asgiref_context_source_set_callback (state->late, late_source_cb, state, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
run_outliving_frame (Outlive *state)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  result = asgiref_bridge_async_to_sync (state->bridge, outlive_async_func, state, NULL, NULL);
  g_assert_true (g_task_propagate_boolean (G_TASK (result), &error));
  g_assert_no_error (error);
  g_atomic_int_set (&state->frame_returned, 1);
}

static void
test_work_outliving_a_plain_frame_can_still_call (void)
{
  Outlive state = { 0, };

  /* The test's thread waits in async_to_sync; the late work is fired
   * afterwards from its main context. */
  state.bridge = asgiref_bridge_new (2);
  run_outliving_frame (&state);
  g_assert_nonnull (state.late);
  g_source_attach (state.late, NULL);
  test_iterate_until ("the late call", &state.late_done);
  g_source_unref (state.late);

  g_assert_true (state.late_saw_frame_returned);
  g_assert_true (state.late_ok);
  g_assert_true (load_thread (&state.late_thread) == g_thread_self ());
  /* Nobody waits in an async_to_sync any more: the shared thread. */
  g_assert_nonnull (load_thread (&state.late_sync_thread));
  g_assert_true (load_thread (&state.late_sync_thread) != g_thread_self ());

  test_unref_and_wait_finalized ("the bridge", state.bridge);
}

static void
outlive_sync_func (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Outlive *state = task_data;

  store_thread (&state->outer_thread);
  run_outliving_frame (state);
  /* Fire the late work on the loop while this function still runs. */
  g_source_attach (state->late, g_main_context_default ());
  g_task_return_boolean (task, TRUE);
}

static void
outlive_sync_done_cb (GObject      *source_object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Outlive *state = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_task_propagate_boolean (G_TASK (result), &error));
  g_assert_no_error (error);
  test_loop_release (state->loop);
}

static void
outlive_body (TestLoop *loop,
              gpointer  data)
{
  Outlive *state = data;

  state->loop = loop;
  test_loop_hold (loop);   /* the late call's */
  test_loop_hold (loop);
  asgiref_bridge_sync_to_async (state->bridge, outlive_sync_func, state, NULL,
                                ASGIREF_SYNC_FLAGS_NONE, NULL, outlive_sync_done_cb, state);
}

static void
test_work_outliving_a_frame_on_the_loop_can_still_call (void)
{
  if (g_test_subprocess ())
    {
      Outlive state = { 0, };

      /* loop -> sync (shared thread) -> async_to_sync -> async on the
       * loop, which makes the late source; it fires on the loop once
       * the frame returned. */
      state.bridge = asgiref_bridge_new (2);
      test_loop_run ("the late call", outlive_body, &state);
      g_source_unref (state.late);

      g_assert_true (state.late_saw_frame_returned);
      g_assert_true (state.late_ok);
      g_assert_true (load_thread (&state.async_thread) == g_thread_self ());
      g_assert_true (load_thread (&state.late_thread) == g_thread_self ());
      g_assert_true (load_thread (&state.outer_thread) != g_thread_self ());
      g_assert_true (load_thread (&state.late_sync_thread) == load_thread (&state.outer_thread));

      test_unref_and_wait_finalized ("the bridge", state.bridge);
      return;
    }

  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* }}} */

/* {{{ The caller's task data is freed on the caller's thread */

typedef struct
{
  AsgirefBridge *bridge;
  TestLoop      *loop;
  AsgirefSyncFlags flags;
  GThread       *func_thread;
  GThread       *destroy_thread;
  gint           func_returned; /* atomic */
  gint           callback_ran;  /* atomic */
  gint           destroyed;     /* atomic */
} Destroy;

static void
destroy_func (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Destroy *state = task_data;

  store_thread (&state->func_thread);
  g_task_return_boolean (task, TRUE);
  /* Still using task_data after returning: the caller's callback, and the
   * freeing of task_data, must wait for this. */
  g_thread_yield ();
  g_atomic_int_set (&state->func_returned, 1);
}

static void
destroy_notify (gpointer data)
{
  Destroy *state = data;

  store_thread (&state->destroy_thread);
  g_atomic_int_set (&state->destroyed, 1);
}

static void
destroy_done_cb (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Destroy *state = user_data;

  g_assert_true (g_task_propagate_boolean (G_TASK (result), NULL));
  g_assert_true (g_atomic_int_get (&state->func_returned));
  g_assert_false (g_atomic_int_get (&state->destroyed));
  g_atomic_int_set (&state->callback_ran, 1);
  test_loop_release (state->loop);
}

static void
destroy_body (TestLoop *loop,
              gpointer  data)
{
  Destroy *state = data;

  state->loop = loop;
  test_loop_hold (loop);
  asgiref_bridge_sync_to_async (state->bridge, destroy_func, state, destroy_notify,
                                state->flags, NULL, destroy_done_cb, state);
}

static void
run_task_data_freed_on_the_caller_thread (AsgirefSyncFlags flags)
{
  Destroy state = { 0, };

  state.bridge = asgiref_bridge_new (2);
  state.flags = flags;
  test_loop_run ("a call", destroy_body, &state);

  /* The callback ran after the function returned, and task_data went
   * right after it, on this thread. */
  test_unref_and_wait_finalized ("the bridge", state.bridge);

  g_assert_true (g_atomic_int_get (&state.destroyed));
  g_assert_true (load_thread (&state.func_thread) != g_thread_self ());
  g_assert_true (load_thread (&state.destroy_thread) == g_thread_self ());
}

static void
test_task_data_is_freed_on_the_caller_thread (void)
{
  run_task_data_freed_on_the_caller_thread (ASGIREF_SYNC_FLAGS_NONE);
}

static void
test_task_data_is_freed_on_the_caller_thread_not_sensitive (void)
{
  run_task_data_freed_on_the_caller_thread (ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE);
}

/* }}} */

/* {{{ The bridge's bookkeeping stays out of the caller's context */

typedef struct
{
  AsgirefBridge *bridge;
  TestLoop      *loop;
  GCancellable  *cancellable;
  GCancellable  *second_saw;
  gint           second_saw_set;
} Leak;

static void
leak_first_func (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  g_task_return_boolean (task, TRUE);
}

static void
leak_second_func (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  Leak *state = task_data;

  g_atomic_pointer_set (&state->second_saw, cancellable);
  g_task_return_boolean (task, TRUE);
}

static void
leak_second_done_cb (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Leak *state = user_data;

  g_assert_true (g_task_propagate_boolean (G_TASK (result), NULL));
  test_loop_release (state->loop);
}

static void
leak_first_done_cb (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Leak *state = user_data;

  g_assert_true (g_task_propagate_boolean (G_TASK (result), NULL));
  /* A second call from the same caller, given no cancellable: it has
   * none, the first call's was that call's alone. */
  asgiref_bridge_sync_to_async (state->bridge, leak_second_func, state, NULL,
                                ASGIREF_SYNC_FLAGS_NONE, NULL, leak_second_done_cb, state);
}

static void
leak_body (TestLoop *loop,
           gpointer  data)
{
  Leak *state = data;

  state->loop = loop;
  test_loop_hold (loop);
  asgiref_bridge_sync_to_async (state->bridge, leak_first_func, state, NULL,
                                ASGIREF_SYNC_FLAGS_NONE, state->cancellable,
                                leak_first_done_cb, state);
}

static void
test_a_call_leaves_no_bridge_state_in_the_caller_context (void)
{
  if (g_test_subprocess ())
    {
      Leak state = { 0, };
      PlainCall call = { NULL, 3, };

      state.bridge = asgiref_bridge_new (2);
      state.cancellable = g_cancellable_new ();
      test_loop_run ("two calls", leak_body, &state);
      g_assert_null (g_atomic_pointer_get (&state.second_saw));

      /* And, the loop gone, this thread's async_to_sync runs on its own
       * private context rather than on the loop's context, where nothing
       * would ever run it. */
      call.bridge = state.bridge;
      plain_caller_thread (&call);
      assert_plain_call (&call);

      g_object_unref (state.cancellable);
      test_unref_and_wait_finalized ("the bridge", state.bridge);
      return;
    }

  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* }}} */



/* {{{ A timeout reaches through nested hops */

typedef struct
{
  TestLoop       *loop;
  AsgirefTimeout *timeout;
  GError         *inner_error;
  gboolean        sync_saw_cancelled;
  GError         *outer_error;
} NestedTimeout;

static void
on_cancelled_return (GCancellable *cancellable,
                     gpointer      data)
{
  GTask *task = data;

  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cut short");
}

/* Async code that completes only when its cancellable is cancelled. */
static void
waits_for_cancellation (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  g_assert_nonnull (cancellable);
  g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled_return),
                         g_object_ref (task), g_object_unref);
}

static void
sync_waits_on_async (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  NestedTimeout *state = task_data;
  g_autoptr(GAsyncResult) result = NULL;

  /* No cancellable given: the hop's flows in. */
  result = asgiref_bridge_async_to_sync (source_object, waits_for_cancellation, NULL, NULL, NULL);
  g_task_propagate_boolean (G_TASK (result), &state->inner_error);
  state->sync_saw_cancelled = g_cancellable_is_cancelled (cancellable);
  g_task_return_error (task, g_error_copy (state->inner_error));
}

static void
nested_timeout_done (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      data)
{
  NestedTimeout *state = data;

  g_assert_false (g_task_propagate_boolean (G_TASK (result), &state->outer_error));
  asgiref_timeout_translate_error (state->timeout, &state->outer_error);
  test_loop_release (state->loop);
}

static void
nested_timeout_body (TestLoop *loop,
                     gpointer  data)
{
  NestedTimeout *state = data;

  state->loop = loop;
  test_loop_hold (loop);
  /* The deadline is what the test is about, not a synchronisation. */
  state->timeout = asgiref_timeout_new (20 * G_TIME_SPAN_MILLISECOND, NULL);
  asgiref_bridge_sync_to_async (asgiref_bridge_get_default (), sync_waits_on_async,
                                state, NULL, ASGIREF_SYNC_FLAGS_NONE,
                                asgiref_timeout_get_cancellable (state->timeout),
                                nested_timeout_done, state);
}

static void
test_timeout_cuts_short_the_innermost_operation (void)
{
  NestedTimeout state = { 0, };

  test_loop_run ("the timeout", nested_timeout_body, &state);

  g_assert_true (asgiref_timeout_get_expired (state.timeout));
  g_assert_error (state.inner_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (state.sync_saw_cancelled);
  g_assert_error (state.outer_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  g_clear_error (&state.inner_error);
  g_clear_error (&state.outer_error);
  g_clear_object (&state.timeout);
}

/* }}} */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  test_add_in_own_context ("/Asgiref/Bridge/timeout-cuts-short-the-innermost-operation",
                           test_timeout_cuts_short_the_innermost_operation);
  test_add_in_own_context ("/Asgiref/Bridge/sync-to-async-returns-the-value-while-the-loop-runs",
                           test_sync_to_async_returns_value_while_the_loop_runs);
  test_add_in_own_context ("/Asgiref/Bridge/async-to-sync-works-from-a-thread-without-a-loop",
                           test_async_to_sync_from_a_thread_without_a_loop);
  test_add_in_own_context ("/Asgiref/Bridge/async-to-sync-works-from-several-threads",
                           test_async_to_sync_from_several_threads);
  test_add_in_own_context ("/Asgiref/Bridge/async-to-sync-from-a-loop-callback-is-a-deadlock",
                           test_async_to_sync_from_a_loop_callback_is_a_deadlock);
  test_add_in_own_context ("/Asgiref/Bridge/thread-sensitive-calls-run-on-the-outermost-sync-thread",
                           test_thread_sensitive_calls_run_on_the_outermost_sync_thread);
  test_add_in_own_context ("/Asgiref/Bridge/thread-sensitive-calls-from-a-loop-share-one-thread",
                           test_thread_sensitive_calls_from_a_loop_share_one_thread);
  test_add_in_own_context ("/Asgiref/Bridge/shared-thread-persists-across-calls",
                           test_shared_thread_persists_across_calls);
  test_add_in_own_context ("/Asgiref/Bridge/not-thread-sensitive-calls-run-together-on-pool-threads",
                           test_not_thread_sensitive_calls_run_together_on_pool_threads);
  test_add_in_own_context ("/Asgiref/Bridge/default-bridge-is-shared",
                           test_default_bridge_is_shared);
  test_add_in_own_context ("/Asgiref/ThreadSensitiveContext/each-context-has-its-own-thread",
                           test_thread_sensitive_contexts_have_their_own_threads);
  test_add_in_own_context ("/Asgiref/ThreadSensitiveContext/an-empty-one-is-fine",
                           test_empty_thread_sensitive_context_is_fine);
  test_add_in_own_context ("/Asgiref/ThreadSensitiveContext/leaving-does-not-block",
                           test_leaving_a_thread_sensitive_context_does_not_block);
  test_add_in_own_context ("/Asgiref/Bridge/call-waiting-on-itself-via-invoke-is-a-deadlock",
                           test_call_waiting_on_itself_via_invoke_is_a_deadlock);
  test_add_in_own_context ("/Asgiref/Bridge/call-waiting-on-itself-via-context-source-is-a-deadlock",
                           test_call_waiting_on_itself_via_context_source_is_a_deadlock);
  test_add_in_own_context ("/Asgiref/Bridge/work-outliving-a-plain-frame-can-still-call",
                           test_work_outliving_a_plain_frame_can_still_call);
  test_add_in_own_context ("/Asgiref/Bridge/work-outliving-a-frame-on-the-loop-can-still-call",
                           test_work_outliving_a_frame_on_the_loop_can_still_call);
  test_add_in_own_context ("/Asgiref/Bridge/callback-and-task-data-free-follow-the-function-return",
                           test_task_data_is_freed_on_the_caller_thread);
  test_add_in_own_context ("/Asgiref/Bridge/callback-and-task-data-free-follow-the-function-return-when-not-thread-sensitive",
                           test_task_data_is_freed_on_the_caller_thread_not_sensitive);

  test_add_in_own_context ("/Asgiref/Bridge/a-call-leaves-no-bridge-state-in-the-caller-context",
                           test_a_call_leaves_no_bridge_state_in_the_caller_context);

  return g_test_run ();
}
