/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefBridge: what flows through nested hops, and where each level of
 * a sync -> async -> sync -> ... chain runs.
 *
 * A Chain is a stack of alternating sync and async functions below an
 * outermost caller, which is either the test's plain thread (calling
 * async_to_sync) or the main loop (calling sync_to_async). Every level
 * records its thread, its main context, its cancellable and the Local
 * values it sees, sets a value of its own, and passes the innermost
 * level's result or error back up unchanged. Recordings cross threads as
 * atomics.
 */

#include <string.h>

#include <asgiref.h>

#include "test-util.h"

#define TEST_ERROR (test_error_quark ())
static G_DEFINE_QUARK (asgiref-test-bridge-error-quark, test_error)
#define TEST_ERROR_CODE 7

#define MAX_LEVELS 6

static GThread *
load_thread (GThread **where)
{
  return g_atomic_pointer_get (where);
}

/* {{{ Chains */

typedef enum
{
  INNER_VALUE,
  INNER_ERROR,
  INNER_WAITS_FOR_CANCEL,
} InnerKind;

typedef struct
{
  AsgirefBridge  *bridge;
  AsgirefLocal   *local;
  AsgirefLocal   *critical;      /* thread-critical */
  TestLoop       *loop;          /* the outermost caller's, if a loop */
  guint           n_levels;
  gboolean        loop_outermost;
  InnerKind       inner;
  GCancellable   *cancellable;   /* given by the outermost caller */

  /* What each level saw, published with atomics. */
  GThread        *threads[MAX_LEVELS];
  GMainContext   *contexts[MAX_LEVELS];     /* ref held */
  GCancellable   *cancellables[MAX_LEVELS];
  char           *saw_top[MAX_LEVELS];
  char           *saw_critical[MAX_LEVELS];
  gint            deeper_visible[MAX_LEVELS];  /* -1 until known */
  gint            cancelled_after[MAX_LEVELS];
  GError         *errors[MAX_LEVELS];         /* copies */
  gpointer        results[MAX_LEVELS];

  gint            waiting_for_cancel;        /* atomic */
  gpointer        outer_result;
  GError         *outer_error;
  gint            done;                      /* atomic */
} Chain;

typedef struct
{
  Chain *chain;
  guint  level;
} Hop;

/* The innermost level's result, passed through by identity. */
static const char chain_marker[] = "the innermost result";

static Hop *
hop_new (Chain *chain,
         guint  level)
{
  Hop *hop = g_new (Hop, 1);

  hop->chain = chain;
  hop->level = level;
  return hop;
}

static gboolean
level_is_sync (Chain *chain,
               guint  level)
{
  /* A loop calls sync code first; a plain thread async code. */
  return chain->loop_outermost ? level % 2 == 0 : level % 2 == 1;
}

static char *
level_name (guint level)
{
  return g_strdup_printf ("level-%u", level);
}

static void
chain_enter_level (Chain        *chain,
                   guint         level,
                   GCancellable *cancellable)
{
  g_autofree char *name = level_name (level);

  g_atomic_pointer_set (&chain->threads[level], g_thread_self ());
  g_atomic_pointer_set (&chain->contexts[level], g_main_context_ref_thread_default ());
  g_atomic_pointer_set (&chain->cancellables[level], cancellable);
  g_atomic_pointer_set (&chain->saw_top[level],
                        g_strdup (test_get_string (chain->local, "top")));
  g_atomic_pointer_set (&chain->saw_critical[level],
                        g_strdup (test_get_string (chain->critical, "who")));
  test_set_string (chain->local, name, "set");
  test_set_string (chain->critical, "who", name);
}

/* After the level below returned: how many deeper levels' values are
 * visible here, and what came back. */
static void
chain_leave_level (Chain        *chain,
                   guint         level,
                   GCancellable *cancellable,
                   gpointer      result,
                   const GError *error)
{
  gint visible = 0;

  for (guint i = level + 1; i < chain->n_levels; i++)
    {
      g_autofree char *name = level_name (i);

      if (g_strcmp0 (test_get_string (chain->local, name), "set") == 0)
        visible++;
    }
  g_atomic_int_set (&chain->deeper_visible[level], visible);
  g_atomic_int_set (&chain->cancelled_after[level],
                    cancellable != NULL && g_cancellable_is_cancelled (cancellable));
  g_atomic_pointer_set (&chain->results[level], result);
  if (error != NULL)
    g_atomic_pointer_set (&chain->errors[level], g_error_copy (error));
}

static gboolean
inner_complete_cb (gpointer data)
{
  GTask *task = data;
  Hop *hop = g_task_get_task_data (task);
  Chain *chain = hop->chain;

  if (chain->inner == INNER_ERROR)
    g_task_return_new_error (task, TEST_ERROR, TEST_ERROR_CODE,
                             "failed at level %u", hop->level);
  else
    g_task_return_pointer (task, (gpointer) chain_marker, NULL);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GTask *task;  /* released when the cancellation returns it */
} PendingTask;

static void
pending_task_free (gpointer data)
{
  PendingTask *pending = data;

  g_clear_object (&pending->task);
  g_free (pending);
}

static void
inner_cancelled_cb (GCancellable *cancellable,
                    gpointer      data)
{
  PendingTask *pending = data;
  g_autoptr(GTask) task = g_steal_pointer (&pending->task);

  /* On whichever thread cancelled: GTask takes the result home. The
   * handler stays connected until the cancellable goes, so it must not
   * keep the task (and with it the bridge) alive. */
  g_assert_true (g_task_return_error_if_cancelled (task));
}

static gboolean
cancel_outermost_cb (gpointer data)
{
  Chain *chain = data;

  g_cancellable_cancel (chain->cancellable);
  return G_SOURCE_REMOVE;
}

static void
chain_innermost_async (Chain        *chain,
                       GTask        *task,
                       GCancellable *cancellable)
{
  PendingTask *pending;
  GSource *source;

  if (chain->inner != INNER_WAITS_FOR_CANCEL)
    {
      /* Completes from the main context it runs on. */
      source = g_idle_source_new ();
      g_source_set_callback (source, inner_complete_cb, g_object_ref (task), g_object_unref);
      g_source_attach (source, g_main_context_get_thread_default ());
      g_source_unref (source);
      return;
    }

  /* Waits for its (inherited) cancellable, which the outermost caller
   * cancels: the loop from one of its sources, a plain caller from
   * another thread. */
  g_assert_nonnull (cancellable);
  /* Not a GCancellableSource: GLib 2.74 can leak one that is cancelled
   * from another thread while it dispatches. */
  pending = g_new (PendingTask, 1);
  pending->task = g_object_ref (task);
  g_cancellable_connect (cancellable, G_CALLBACK (inner_cancelled_cb),
                         pending, pending_task_free);

  if (chain->loop_outermost)
    g_idle_add (cancel_outermost_cb, chain);
  else
    g_atomic_int_set (&chain->waiting_for_cancel, 1);
}

static void chain_async_func (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable);

static void
chain_sync_func (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Hop *hop = task_data;
  Chain *chain = hop->chain;
  g_autoptr(GAsyncResult) result = NULL;
  GError *error = NULL;
  gpointer value;

  chain_enter_level (chain, hop->level, cancellable);

  if (hop->level + 1 == chain->n_levels)
    {
      if (chain->inner == INNER_ERROR)
        g_task_return_new_error (task, TEST_ERROR, TEST_ERROR_CODE,
                                 "failed at level %u", hop->level);
      else
        g_task_return_pointer (task, (gpointer) chain_marker, NULL);
      return;
    }

  /* NULL: the hop's cancellable flows on by itself. */
  result = asgiref_bridge_async_to_sync (chain->bridge, chain_async_func,
                                         hop_new (chain, hop->level + 1), g_free, NULL);
  value = g_task_propagate_pointer (G_TASK (result), &error);
  chain_leave_level (chain, hop->level, cancellable, value, error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, value, NULL);
}

static void
chain_async_done_cb (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  Hop *hop = g_task_get_task_data (task);
  GError *error = NULL;
  gpointer value;

  value = asgiref_bridge_sync_to_async_finish (hop->chain->bridge, result, &error);
  chain_leave_level (hop->chain, hop->level, g_task_get_cancellable (task), value, error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, value, NULL);
  g_object_unref (task);
}

static void
chain_async_func (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  Hop *hop = task_data;
  Chain *chain = hop->chain;

  chain_enter_level (chain, hop->level, cancellable);
  g_assert_true (g_task_get_cancellable (task) == cancellable);

  if (hop->level + 1 == chain->n_levels)
    {
      chain_innermost_async (chain, task, cancellable);
      return;
    }

  asgiref_bridge_sync_to_async (chain->bridge, chain_sync_func,
                                hop_new (chain, hop->level + 1), g_free,
                                ASGIREF_SYNC_FLAGS_NONE, NULL,
                                chain_async_done_cb, g_object_ref (task));
}

static void
chain_outer_done_cb (GObject      *source_object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Chain *chain = user_data;

  chain->outer_result = asgiref_bridge_sync_to_async_finish (chain->bridge, result,
                                                             &chain->outer_error);
  g_atomic_int_set (&chain->done, 1);
  test_loop_release (chain->loop);
}

static void
chain_loop_body (TestLoop *loop,
                 gpointer  data)
{
  Chain *chain = data;

  chain->loop = loop;
  test_loop_hold (loop);
  asgiref_bridge_sync_to_async (chain->bridge, chain_sync_func, hop_new (chain, 0), g_free,
                                ASGIREF_SYNC_FLAGS_NONE, chain->cancellable,
                                chain_outer_done_cb, chain);
}

static gpointer
cancel_when_waiting_thread (gpointer data)
{
  Chain *chain = data;

  test_spin_until ("the innermost operation to wait", &chain->waiting_for_cancel);
  g_cancellable_cancel (chain->cancellable);
  return NULL;
}

static void
chain_init (Chain     *chain,
            guint      n_levels,
            gboolean   loop_outermost,
            InnerKind  inner)
{
  memset (chain, 0, sizeof (Chain));
  g_assert_cmpuint (n_levels, <=, MAX_LEVELS);
  chain->bridge = asgiref_bridge_new (4);
  chain->local = asgiref_local_new ();
  chain->critical = asgiref_local_new_thread_critical ();
  chain->n_levels = n_levels;
  chain->loop_outermost = loop_outermost;
  chain->inner = inner;
  for (guint i = 0; i < MAX_LEVELS; i++)
    chain->deeper_visible[i] = -1;
}

/* Runs the chain from its outermost caller, which has set "top" and its
 * own thread-critical "who". */
static void
chain_run (Chain *chain)
{
  GThread *canceller = NULL;

  test_set_string (chain->local, "top", "top");
  test_set_string (chain->critical, "who", "outermost");

  if (chain->loop_outermost)
    {
      test_loop_run ("a chain of hops", chain_loop_body, chain);
      return;
    }

  if (chain->inner == INNER_WAITS_FOR_CANCEL)
    canceller = g_thread_new ("canceller", cancel_when_waiting_thread, chain);

  {
    g_autoptr(GAsyncResult) result = NULL;

    result = asgiref_bridge_async_to_sync (chain->bridge, chain_async_func,
                                           hop_new (chain, 0), g_free, chain->cancellable);
    chain->outer_result = g_task_propagate_pointer (G_TASK (result), &chain->outer_error);
    g_atomic_int_set (&chain->done, 1);
  }

  if (canceller != NULL)
    g_thread_join (canceller);
}

static void
chain_clear (Chain *chain)
{
  for (guint i = 0; i < MAX_LEVELS; i++)
    {
      g_clear_pointer (&chain->contexts[i], g_main_context_unref);
      g_clear_pointer (&chain->saw_top[i], g_free);
      g_clear_pointer (&chain->saw_critical[i], g_free);
      g_clear_error (&chain->errors[i]);
    }
  g_clear_error (&chain->outer_error);
  g_clear_object (&chain->local);
  g_clear_object (&chain->critical);
  g_clear_object (&chain->cancellable);
  test_unref_and_wait_finalized ("the bridge", chain->bridge);
}

/* The thread rules, for either kind of outermost caller. */
static void
assert_chain_threads (Chain *chain)
{
  GThread *me = g_thread_self ();
  GThread *sync_thread = NULL;

  for (guint i = 0; i < chain->n_levels; i++)
    {
      GThread *thread = load_thread (&chain->threads[i]);
      GMainContext *context = g_atomic_pointer_get (&chain->contexts[i]);

      g_test_message ("level %u: %s", i, level_is_sync (chain, i) ? "sync" : "async");
      g_assert_nonnull (thread);

      if (!chain->loop_outermost)
        {
          /* Outermost sync: everything on the caller's thread. */
          g_assert_true (thread == me);
          if (!level_is_sync (chain, i))
            g_assert_true (context != g_main_context_default ());
          continue;
        }

      if (level_is_sync (chain, i))
        {
          /* One shared thread, not the loop's, at every depth. */
          g_assert_true (thread != me);
          if (sync_thread == NULL)
            sync_thread = thread;
          g_assert_true (thread == sync_thread);
        }
      else
        {
          /* Async code on the outermost loop, at every depth. */
          g_assert_true (thread == me);
          g_assert_true (context == g_main_context_default ());
        }
    }
}

/* }}} */

/* {{{ 7, 8. where each level runs */

static void
test_chain_from_a_plain_thread_stays_on_it (void)
{
  Chain chain;

  /* sync (this thread) -> async -> sync -> async -> sync */
  chain_init (&chain, 4, FALSE, INNER_VALUE);
  chain_run (&chain);
  g_assert_no_error (chain.outer_error);
  g_assert_true (chain.outer_result == chain_marker);
  assert_chain_threads (&chain);
  chain_clear (&chain);
}

static void
test_chain_from_a_loop_keeps_async_on_the_loop (void)
{
  Chain chain;

  /* loop -> sync -> async -> sync -> async -> sync */
  chain_init (&chain, 5, TRUE, INNER_VALUE);
  chain_run (&chain);
  g_assert_no_error (chain.outer_error);
  g_assert_true (chain.outer_result == chain_marker);
  assert_chain_threads (&chain);
  chain_clear (&chain);
}

static void
test_async_to_sync_in_sync_code_runs_on_the_loop (void)
{
  Chain chain;

  /* loop -> sync -> async (on the loop's thread and context) -> sync (on
   * the thread waiting in async_to_sync). */
  chain_init (&chain, 3, TRUE, INNER_VALUE);
  chain_run (&chain);
  g_assert_no_error (chain.outer_error);
  assert_chain_threads (&chain);
  g_assert_true (chain.threads[1] == g_thread_self ());
  g_assert_true (chain.threads[2] == chain.threads[0]);
  chain_clear (&chain);
}

/* }}} */

/* {{{ 4. errors and results pass through unchanged */

static void
assert_chain_error (Chain *chain)
{
  g_autofree char *message = g_strdup_printf ("failed at level %u", chain->n_levels - 1);

  /* Every level on the way back saw the innermost error as it was... */
  for (guint i = 0; i + 1 < chain->n_levels; i++)
    {
      GError *error = g_atomic_pointer_get (&chain->errors[i]);

      g_assert_error (error, TEST_ERROR, TEST_ERROR_CODE);
      g_assert_cmpstr (error->message, ==, message);
      g_assert_null (g_atomic_pointer_get (&chain->results[i]));
    }
  /* ...and so does the outermost caller. */
  g_assert_error (chain->outer_error, TEST_ERROR, TEST_ERROR_CODE);
  g_assert_cmpstr (chain->outer_error->message, ==, message);
  g_assert_null (chain->outer_result);
}

static void
assert_chain_value (Chain *chain)
{
  for (guint i = 0; i + 1 < chain->n_levels; i++)
    {
      g_assert_null (g_atomic_pointer_get (&chain->errors[i]));
      g_assert_true (g_atomic_pointer_get (&chain->results[i]) == chain_marker);
    }
  g_assert_no_error (chain->outer_error);
  g_assert_true (chain->outer_result == chain_marker);
}

static void
test_errors_pass_through_from_a_plain_thread (void)
{
  /* Innermost async, then innermost sync. */
  for (guint n = 3; n <= 4; n++)
    {
      Chain chain;

      chain_init (&chain, n, FALSE, INNER_ERROR);
      chain_run (&chain);
      assert_chain_error (&chain);
      chain_clear (&chain);
    }
}

static void
test_errors_pass_through_from_a_loop (void)
{
  for (guint n = 4; n <= 5; n++)
    {
      Chain chain;

      chain_init (&chain, n, TRUE, INNER_ERROR);
      chain_run (&chain);
      assert_chain_error (&chain);
      chain_clear (&chain);
    }
}

static void
test_results_pass_through_unchanged (void)
{
  for (guint n = 4; n <= 5; n++)
    {
      Chain chain;

      chain_init (&chain, n, n % 2 == 1, INNER_VALUE);
      chain_run (&chain);
      assert_chain_value (&chain);
      chain_clear (&chain);
    }
}

/* }}} */

/* {{{ 13. Context values flow both ways through every layer */

static void
assert_chain_values_flowed (Chain *chain)
{
  /* Every level saw the outermost caller's value... */
  for (guint i = 0; i < chain->n_levels; i++)
    g_assert_cmpstr (g_atomic_pointer_get (&chain->saw_top[i]), ==, "top");

  /* ...every level saw what all levels below it set, once they
   * returned... */
  for (guint i = 0; i + 1 < chain->n_levels; i++)
    g_assert_cmpint (g_atomic_int_get (&chain->deeper_visible[i]), ==,
                     (gint) (chain->n_levels - 1 - i));

  /* ...and so does the outermost caller, in its own context. */
  for (guint i = 0; i < chain->n_levels; i++)
    {
      g_autofree char *name = level_name (i);

      g_assert_cmpstr (test_get_string (chain->local, name), ==, "set");
    }
  g_assert_cmpstr (test_get_string (chain->local, "top"), ==, "top");
}

static void
test_context_values_flow_both_ways_from_a_plain_thread (void)
{
  Chain chain;

  chain_init (&chain, 4, FALSE, INNER_VALUE);
  chain_run (&chain);
  g_assert_no_error (chain.outer_error);
  assert_chain_values_flowed (&chain);
  chain_clear (&chain);
}

static void
test_context_values_flow_both_ways_from_a_loop (void)
{
  Chain chain;

  chain_init (&chain, 5, TRUE, INNER_VALUE);
  chain_run (&chain);
  g_assert_no_error (chain.outer_error);
  assert_chain_values_flowed (&chain);
  chain_clear (&chain);
}

/* The caller changes a value while the callee runs; the callee, which
 * does not write it, must not put its stale copy back. And a call made in
 * an explicit context applies the callee's changes to that context. */
typedef struct
{
  AsgirefBridge  *bridge;
  AsgirefLocal   *local;
  TestLoop       *loop;
  AsgirefContext *explicit_context;
  gint            caller_changed;   /* atomic */
  char           *callee_saw;
  gboolean        callback_in_explicit;
} Concurrent;

static void
stale_copy_func (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Concurrent *state = task_data;

  test_spin_until ("the caller's change", &state->caller_changed);
  /* A copy, taken at the call. */
  g_atomic_pointer_set (&state->callee_saw, g_strdup (test_get_string (state->local, "shared")));
  test_set_string (state->local, "callee", "wrote");
  g_task_return_boolean (task, TRUE);
}

static void
stale_copy_done_cb (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Concurrent *state = user_data;

  g_assert_true (g_task_propagate_boolean (G_TASK (result), NULL));
  state->callback_in_explicit = asgiref_context_get_current () == state->explicit_context;
  /* The caller's later write stands; the callee's own write arrived. */
  g_assert_cmpstr (test_get_string (state->local, "shared"), ==, "changed by the caller");
  g_assert_cmpstr (test_get_string (state->local, "callee"), ==, "wrote");
  test_loop_release (state->loop);
}

static void
start_stale_copy_call (gpointer data)
{
  Concurrent *state = data;

  test_set_string (state->local, "shared", "before the call");
  asgiref_bridge_sync_to_async (state->bridge, stale_copy_func, state, NULL,
                                ASGIREF_SYNC_FLAGS_NONE, NULL, stale_copy_done_cb, state);
  test_set_string (state->local, "shared", "changed by the caller");
  g_atomic_int_set (&state->caller_changed, 1);
}

static void
stale_copy_body (TestLoop *loop,
                 gpointer  data)
{
  Concurrent *state = data;

  state->loop = loop;
  test_loop_hold (loop);
  asgiref_context_run (state->explicit_context, start_stale_copy_call, state);
}

static void
test_callee_changes_reach_an_explicit_context_only (void)
{
  g_autoptr(AsgirefContext) outer = asgiref_context_new ();
  Concurrent state = { 0, };

  state.bridge = asgiref_bridge_new (2);
  state.local = asgiref_local_new ();

  asgiref_context_enter (outer);
  test_set_string (state.local, "shared", "outer");
  state.explicit_context = asgiref_context_capture ();
  test_loop_run ("a call in an explicit context", stale_copy_body, &state);

  g_assert_cmpstr (g_atomic_pointer_get (&state.callee_saw), ==, "before the call");
  g_assert_true (state.callback_in_explicit);
  /* The context around the explicit one is untouched. */
  g_assert_cmpstr (test_get_string (state.local, "shared"), ==, "outer");
  g_assert_false (asgiref_local_contains (state.local, "callee"));
  asgiref_context_leave (outer);

  g_free (state.callee_saw);
  asgiref_context_unref (state.explicit_context);
  g_object_unref (state.local);
  test_unref_and_wait_finalized ("the bridge", state.bridge);
}

/* Values set by async code in a callback it chained (bound to its
 * context) before completing are visible after async_to_sync returns. */
typedef struct
{
  AsgirefLocal *local;
  GTask        *operation;
} Chained;

static void
chained_step_cb (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Chained *state = user_data;

  g_assert_true (g_task_propagate_boolean (G_TASK (result), NULL));
  g_assert_cmpstr (test_get_string (state->local, "direct"), ==, "set");
  test_set_string (state->local, "chained", "set");
  g_task_return_boolean (state->operation, TRUE);
  g_clear_object (&state->operation);
}

static void
noop_thread_func (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  g_task_return_boolean (task, TRUE);
}

static void
chained_async_func (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  Chained *state = task_data;
  GTask *step;

  g_assert_cmpstr (test_get_string (state->local, "top"), ==, "top");
  test_set_string (state->local, "direct", "set");
  state->operation = g_object_ref (task);

  step = asgiref_context_create_task (NULL, NULL, chained_step_cb, state);
  g_task_run_in_thread (step, noop_thread_func);
  g_object_unref (step);
}

static void
test_values_set_by_chained_async_callbacks_come_back (void)
{
  AsgirefBridge *bridge = asgiref_bridge_new (2);
  Chained state = { asgiref_local_new (), NULL };
  g_autoptr(GAsyncResult) result = NULL;

  test_set_string (state.local, "top", "top");
  result = asgiref_bridge_async_to_sync (bridge, chained_async_func, &state, NULL, NULL);
  g_assert_true (g_task_propagate_boolean (G_TASK (result), NULL));
  g_assert_cmpstr (test_get_string (state.local, "direct"), ==, "set");
  g_assert_cmpstr (test_get_string (state.local, "chained"), ==, "set");

  g_clear_object (&result);
  g_object_unref (state.local);
  test_unref_and_wait_finalized ("the bridge", bridge);
}

/* }}} */

/* {{{ 14. thread-critical values never cross a hop */

static void
test_thread_critical_values_do_not_cross_hops_from_a_loop (void)
{
  Chain chain;

  chain_init (&chain, 3, TRUE, INNER_VALUE);
  chain_run (&chain);
  g_assert_no_error (chain.outer_error);

  /* The loop's value reached neither the sync functions (another
   * thread) nor the async code (another task on the loop's thread)... */
  g_assert_cmpstr (g_atomic_pointer_get (&chain.saw_critical[0]), ==, NULL);
  g_assert_cmpstr (g_atomic_pointer_get (&chain.saw_critical[1]), ==, NULL);
  /* ...the nested sync function, back on the first one's thread, sees
   * that thread's value: one value per plain thread... */
  g_assert_cmpstr (g_atomic_pointer_get (&chain.saw_critical[2]), ==, "level-0");
  /* ...and nothing they set came back. */
  g_assert_cmpstr (test_get_string (chain.critical, "who"), ==, "outermost");

  chain_clear (&chain);
}

static void
test_thread_critical_values_do_not_cross_hops_from_a_plain_thread (void)
{
  Chain chain;

  chain_init (&chain, 2, FALSE, INNER_VALUE);
  chain_run (&chain);
  g_assert_no_error (chain.outer_error);

  /* The async code, a task dispatched on this thread's private main
   * context, has its own value... */
  g_assert_cmpstr (g_atomic_pointer_get (&chain.saw_critical[0]), ==, NULL);
  /* ...while the sync function, run on this plain thread, shares the
   * thread's one value, as threading.local would. */
  g_assert_cmpstr (g_atomic_pointer_get (&chain.saw_critical[1]), ==, "outermost");

  chain_clear (&chain);
}

typedef struct
{
  AsgirefLocal *critical;
  const char   *name;
  char         *saw_in_other_context;
} PerThread;

static gpointer
per_thread_func (gpointer data)
{
  PerThread *self = data;
  g_autoptr(AsgirefContext) a = asgiref_context_new ();
  g_autoptr(AsgirefContext) b = asgiref_context_new ();

  asgiref_context_enter (a);
  test_set_string (self->critical, "who", self->name);
  asgiref_context_leave (a);

  asgiref_context_enter (b);
  self->saw_in_other_context = g_strdup (test_get_string (self->critical, "who"));
  asgiref_context_leave (b);
  return NULL;
}

static void
test_thread_critical_values_are_per_plain_thread (void)
{
  AsgirefLocal *critical = asgiref_local_new_thread_critical ();
  PerThread threads[3] = {
    { critical, "first", NULL }, { critical, "second", NULL }, { critical, "third", NULL },
  };
  gpointer data[3] = { &threads[0], &threads[1], &threads[2] };

  test_run_threads ("plain", 3, per_thread_func, data);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpstr (threads[i].saw_in_other_context, ==, threads[i].name);
      g_free (threads[i].saw_in_other_context);
    }
  g_assert_null (test_get_string (critical, "who"));
  g_object_unref (critical);
}

/* }}} */

/* {{{ 15. cancellation reaches the innermost operation */

static void
assert_chain_cancelled (Chain *chain)
{
  /* Every level was handed the outermost cancellable, though only the
   * outermost caller passed one... */
  for (guint i = 0; i < chain->n_levels; i++)
    g_assert_true (g_atomic_pointer_get (&chain->cancellables[i]) == chain->cancellable);
  /* ...the innermost operation failed with CANCELLED, every sync level
   * saw its cancellable cancelled... */
  for (guint i = 0; i + 1 < chain->n_levels; i++)
    {
      g_assert_error (g_atomic_pointer_get (&chain->errors[i]), G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_true (g_atomic_int_get (&chain->cancelled_after[i]));
    }
  /* ...and the outermost caller got CANCELLED. */
  g_assert_error (chain->outer_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_cancelling_a_loop_call_reaches_the_innermost_operation (void)
{
  for (guint n = 2; n <= 4; n += 2)
    {
      Chain chain;

      /* loop -> sync -> async (waits) ; and one layer deeper. */
      chain_init (&chain, n, TRUE, INNER_WAITS_FOR_CANCEL);
      chain.cancellable = g_cancellable_new ();
      chain_run (&chain);
      assert_chain_cancelled (&chain);
      assert_chain_threads (&chain);
      chain_clear (&chain);
    }
}

static void
test_cancelling_a_plain_call_reaches_the_innermost_operation (void)
{
  Chain chain;

  /* thread -> async -> sync -> async (waits) */
  chain_init (&chain, 3, FALSE, INNER_WAITS_FOR_CANCEL);
  chain.cancellable = g_cancellable_new ();
  chain_run (&chain);
  assert_chain_cancelled (&chain);
  chain_clear (&chain);
}

/* }}} */

/* {{{ 10,000 mixed calls from 8 concurrent callers */

#define N_CALLERS 8
#define CALLS_IN_FLIGHT 16

typedef struct
{
  AsgirefBridge *bridge;
  guint          index;
  guint          n_calls;
  GThread       *thread;
  GTask         *operation;
  guint          started;
  guint          finished;
  guint          correct;
  gint           sensitive_elsewhere;  /* atomic: ts calls off the caller */
} Stress;

typedef struct
{
  Stress  *stress;
  guint    n;
  gboolean sensitive;
} StressCall;

static void
stress_func (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  StressCall *call = task_data;

  if (call->sensitive && g_thread_self () != call->stress->thread)
    g_atomic_int_inc (&call->stress->sensitive_elsewhere);
  g_task_return_int (task, (gssize) (call->stress->index * 1000000 + call->n * 3));
}

static void stress_start_one (Stress *stress);

static void
stress_done_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Stress *stress = user_data;
  g_autoptr(GError) error = NULL;
  StressCall *call = g_task_get_task_data (G_TASK (result));
  gssize value;

  value = g_task_propagate_int (G_TASK (result), &error);
  g_assert_no_error (error);
  if (value == (gssize) (stress->index * 1000000 + call->n * 3))
    stress->correct++;
  stress->finished++;

  if (stress->started < stress->n_calls)
    stress_start_one (stress);
  else if (stress->finished == stress->n_calls)
    {
      g_task_return_boolean (stress->operation, TRUE);
      g_clear_object (&stress->operation);
    }
}

static void
stress_start_one (Stress *stress)
{
  StressCall *call = g_new (StressCall, 1);

  call->stress = stress;
  call->n = stress->started++;
  call->sensitive = call->n % 3 != 0;
  asgiref_bridge_sync_to_async (stress->bridge, stress_func, call, g_free,
                                call->sensitive ? ASGIREF_SYNC_FLAGS_NONE
                                                : ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE,
                                NULL, stress_done_cb, stress);
}

static void
stress_async_func (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Stress *stress = task_data;

  stress->operation = g_object_ref (task);
  for (guint i = 0; i < CALLS_IN_FLIGHT && stress->started < stress->n_calls; i++)
    stress_start_one (stress);
}

static gpointer
stress_caller_thread (gpointer data)
{
  Stress *stress = data;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_atomic_pointer_set (&stress->thread, g_thread_self ());
  result = asgiref_bridge_async_to_sync (stress->bridge, stress_async_func, stress, NULL, NULL);
  g_assert_true (g_task_propagate_boolean (G_TASK (result), &error));
  g_assert_no_error (error);
  return NULL;
}

static guint
stress_total_calls (void)
{
  const char *env = g_getenv ("ASGIREF_TEST_BRIDGE_CALLS");

  if (env != NULL)
    return (guint) g_ascii_strtoull (env, NULL, 10);
  return g_test_thorough () ? 100000 : 10000;
}

static void
test_mixed_calls_from_concurrent_callers (void)
{
  AsgirefBridge *bridge = asgiref_bridge_new (8);
  Stress stress[N_CALLERS];
  gpointer data[N_CALLERS];
  guint total = stress_total_calls ();
  guint correct = 0;

  for (guint i = 0; i < N_CALLERS; i++)
    {
      stress[i] = (Stress) { bridge, i, total / N_CALLERS + (i < total % N_CALLERS), };
      data[i] = &stress[i];
    }
  test_run_threads ("caller", N_CALLERS, stress_caller_thread, data);

  for (guint i = 0; i < N_CALLERS; i++)
    {
      g_assert_cmpuint (stress[i].finished, ==, stress[i].n_calls);
      g_assert_cmpuint (stress[i].correct, ==, stress[i].n_calls);
      /* Each caller's thread-sensitive calls ran on the caller itself. */
      g_assert_cmpint (g_atomic_int_get (&stress[i].sensitive_elsewhere), ==, 0);
      correct += stress[i].correct;
    }
  g_assert_cmpuint (correct, ==, total);

  test_unref_and_wait_finalized ("the bridge", bridge);
}

/* }}} */


int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  test_add_in_own_context ("/Asgiref/Bridge/chain-from-a-plain-thread-stays-on-it",
                           test_chain_from_a_plain_thread_stays_on_it);
  test_add_in_own_context ("/Asgiref/Bridge/chain-from-a-loop-keeps-async-on-the-loop",
                           test_chain_from_a_loop_keeps_async_on_the_loop);
  test_add_in_own_context ("/Asgiref/Bridge/async-to-sync-in-sync-code-runs-on-the-loop",
                           test_async_to_sync_in_sync_code_runs_on_the_loop);
  test_add_in_own_context ("/Asgiref/Bridge/errors-pass-through-from-a-plain-thread",
                           test_errors_pass_through_from_a_plain_thread);
  test_add_in_own_context ("/Asgiref/Bridge/errors-pass-through-from-a-loop",
                           test_errors_pass_through_from_a_loop);
  test_add_in_own_context ("/Asgiref/Bridge/results-pass-through-unchanged",
                           test_results_pass_through_unchanged);
  test_add_in_own_context ("/Asgiref/Bridge/context-values-flow-both-ways-from-a-plain-thread",
                           test_context_values_flow_both_ways_from_a_plain_thread);
  test_add_in_own_context ("/Asgiref/Bridge/context-values-flow-both-ways-from-a-loop",
                           test_context_values_flow_both_ways_from_a_loop);
  test_add_in_own_context ("/Asgiref/Bridge/callee-changes-reach-an-explicit-context-only",
                           test_callee_changes_reach_an_explicit_context_only);
  test_add_in_own_context ("/Asgiref/Bridge/values-set-by-chained-async-callbacks-come-back",
                           test_values_set_by_chained_async_callbacks_come_back);
  test_add_in_own_context ("/Asgiref/Bridge/thread-critical-values-do-not-cross-hops-from-a-loop",
                           test_thread_critical_values_do_not_cross_hops_from_a_loop);
  test_add_in_own_context ("/Asgiref/Bridge/thread-critical-values-do-not-cross-hops-from-a-plain-thread",
                           test_thread_critical_values_do_not_cross_hops_from_a_plain_thread);
  test_add_in_own_context ("/Asgiref/Bridge/thread-critical-values-are-per-plain-thread",
                           test_thread_critical_values_are_per_plain_thread);
  test_add_in_own_context ("/Asgiref/Bridge/cancelling-a-loop-call-reaches-the-innermost-operation",
                           test_cancelling_a_loop_call_reaches_the_innermost_operation);
  test_add_in_own_context ("/Asgiref/Bridge/cancelling-a-plain-call-reaches-the-innermost-operation",
                           test_cancelling_a_plain_call_reaches_the_innermost_operation);
  test_add_in_own_context ("/Asgiref/Bridge/mixed-calls-from-concurrent-callers-complete",
                           test_mixed_calls_from_concurrent_callers);

  return g_test_run ();
}
