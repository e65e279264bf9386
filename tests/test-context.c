/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefContext: which context is current, what run/enter/leave do to it,
 * copies and captures, and the helpers that carry the creator's context to
 * callbacks: GIO callbacks run in the creating context itself (or a copy
 * of it while another thread is inside it), GSources in a copy taken when
 * their callback is set.
 *
 * Values are observed through a CONTEXT-scoped AsgirefLocal. Every test
 * works in contexts of its own (never in the main thread's root context),
 * so no value outlives the test that set it.
 */

#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include <asgiref.h>

#include "test-util.h"

/* {{{ Plain context API */

static void
test_new_context_is_empty (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  g_auto(GStrv) names = NULL;

  g_assert_nonnull (ctx);
  g_assert_cmpuint (asgiref_context_get_size (ctx), ==, 0);

  asgiref_context_enter (ctx);
  g_assert_false (asgiref_local_contains (local, "anything"));
  g_assert_null (asgiref_local_get_pointer (local, "anything"));
  names = asgiref_local_list_names (local);
  g_assert_nonnull (names);
  g_assert_null (names[0]);
  asgiref_context_leave (ctx);
}

static void
test_new_contexts_are_distinct (void)
{
  g_autoptr(AsgirefContext) a = asgiref_context_new ();
  g_autoptr(AsgirefContext) b = asgiref_context_new ();

  g_assert_true (a != b);
}

typedef struct
{
  AsgirefContext *expected;
  AsgirefLocal   *local;
  guint           calls;
} RunState;

static void
run_checks_current_cb (gpointer data)
{
  RunState *state = data;

  state->calls++;
  g_assert_true (asgiref_context_get_current () == state->expected);
}

static void
test_run_makes_context_current_and_restores_previous (void)
{
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  AsgirefContext *before = asgiref_context_get_current ();
  RunState state = { ctx, NULL, 0 };

  g_assert_nonnull (before);
  g_assert_true (before != ctx);

  asgiref_context_run (ctx, run_checks_current_cb, &state);

  g_assert_cmpuint (state.calls, ==, 1);
  g_assert_true (asgiref_context_get_current () == before);
}

static void
run_sets_inner_cb (gpointer data)
{
  RunState *state = data;

  state->calls++;
  g_assert_cmpstr (test_get_string (state->local, "x"), ==, "outer");
  test_set_string (state->local, "x", "inner");
  test_set_string (state->local, "only-inner", "yes");
  g_assert_cmpstr (test_get_string (state->local, "x"), ==, "inner");
}

static void
run_reads_inner_cb (gpointer data)
{
  RunState *state = data;

  state->calls++;
  g_assert_cmpstr (test_get_string (state->local, "x"), ==, "inner");
  g_assert_cmpstr (test_get_string (state->local, "only-inner"), ==, "yes");
}

static void
test_values_set_inside_run_stay_in_that_context (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) outer = asgiref_context_new ();
  g_autoptr(AsgirefContext) inner = NULL;
  RunState state = { NULL, local, 0 };

  asgiref_context_enter (outer);
  test_set_string (local, "x", "outer");
  inner = asgiref_context_capture ();

  asgiref_context_run (inner, run_sets_inner_cb, &state);

  /* Nothing set inside leaked out into the context around the run... */
  g_assert_cmpstr (test_get_string (local, "x"), ==, "outer");
  g_assert_false (asgiref_local_contains (local, "only-inner"));
  asgiref_context_leave (outer);

  /* ...but it stayed in the context that was run. */
  asgiref_context_run (inner, run_reads_inner_cb, &state);
  g_assert_cmpuint (state.calls, ==, 2);
}

static void
test_enter_and_leave_pair_like_run (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) outer = asgiref_context_new ();
  g_autoptr(AsgirefContext) inner = asgiref_context_new ();

  asgiref_context_enter (outer);
  test_set_string (local, "x", "outer");

  asgiref_context_enter (inner);
  g_assert_true (asgiref_context_get_current () == inner);
  g_assert_false (asgiref_local_contains (local, "x"));
  test_set_string (local, "x", "inner");
  asgiref_context_leave (inner);

  g_assert_true (asgiref_context_get_current () == outer);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "outer");

  asgiref_context_enter (inner);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "inner");
  asgiref_context_leave (inner);

  asgiref_context_leave (outer);
}

static void
test_nested_enter_leave_restores_in_order (void)
{
  g_autoptr(AsgirefContext) a = asgiref_context_new ();
  g_autoptr(AsgirefContext) b = asgiref_context_new ();
  g_autoptr(AsgirefContext) c = asgiref_context_new ();
  AsgirefContext *root = asgiref_context_get_current ();

  asgiref_context_enter (a);
  asgiref_context_enter (b);
  asgiref_context_enter (c);
  g_assert_true (asgiref_context_get_current () == c);
  asgiref_context_leave (c);
  g_assert_true (asgiref_context_get_current () == b);
  asgiref_context_leave (b);
  g_assert_true (asgiref_context_get_current () == a);
  asgiref_context_leave (a);
  g_assert_true (asgiref_context_get_current () == root);
}

static void
run_recursive_cb (gpointer data)
{
  RunState *state = data;

  state->calls++;
  g_assert_true (asgiref_context_get_current () == state->expected);

  if (state->calls == 1)
    {
      test_set_string (state->local, "depth", "1");
      asgiref_context_run (state->expected, run_recursive_cb, state);
      /* A write made by the recursive run is a write to this context. */
      g_assert_cmpstr (test_get_string (state->local, "depth"), ==, "2");
      g_assert_true (asgiref_context_get_current () == state->expected);
    }
  else
    {
      g_assert_cmpstr (test_get_string (state->local, "depth"), ==, "1");
      test_set_string (state->local, "depth", "2");
    }
}

static void
test_same_context_may_be_entered_recursively_on_one_thread (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  RunState state = { ctx, local, 0 };

  asgiref_context_run (ctx, run_recursive_cb, &state);
  g_assert_cmpuint (state.calls, ==, 2);
}

static void
test_reentering_a_context_below_another_shares_its_writes (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) a = asgiref_context_new ();
  g_autoptr(AsgirefContext) b = asgiref_context_new ();

  asgiref_context_enter (a);
  test_set_string (local, "x", "a-outer");
  asgiref_context_enter (b);
  test_set_string (local, "x", "b");
  asgiref_context_enter (a);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "a-outer");
  test_set_string (local, "x", "a-inner");
  asgiref_context_leave (a);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "b");
  asgiref_context_leave (b);
  /* Both entries of a are the same context. */
  g_assert_cmpstr (test_get_string (local, "x"), ==, "a-inner");
  asgiref_context_leave (a);
}

static void
test_copy_shares_values_but_not_later_writes (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) original = asgiref_context_new ();
  g_autoptr(AsgirefContext) copy = NULL;

  asgiref_context_enter (original);
  test_set_string (local, "x", "before-copy");
  asgiref_context_leave (original);

  copy = asgiref_context_copy (original);
  g_assert_true (copy != original);
  g_assert_cmpuint (asgiref_context_get_size (copy), ==, asgiref_context_get_size (original));

  asgiref_context_enter (original);
  test_set_string (local, "x", "after-copy");
  test_set_string (local, "y", "after-copy");
  asgiref_context_leave (original);

  asgiref_context_enter (copy);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "before-copy");
  g_assert_false (asgiref_local_contains (local, "y"));
  test_set_string (local, "z", "in-copy");
  asgiref_context_leave (copy);

  asgiref_context_enter (original);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "after-copy");
  g_assert_false (asgiref_local_contains (local, "z"));
  asgiref_context_leave (original);
}

static void
test_capture_copies_the_current_context (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  g_autoptr(AsgirefContext) captured = NULL;

  asgiref_context_enter (ctx);
  test_set_string (local, "x", "at-capture");
  captured = asgiref_context_capture ();
  g_assert_true (captured != ctx);
  test_set_string (local, "x", "after-capture");
  asgiref_context_leave (ctx);

  asgiref_context_enter (captured);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "at-capture");
  asgiref_context_leave (captured);
}

static void
test_context_is_a_boxed_type (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  AsgirefContext *boxed;

  g_assert_true (G_TYPE_IS_BOXED (ASGIREF_TYPE_CONTEXT));

  asgiref_context_enter (ctx);
  test_set_string (local, "x", "boxed");
  asgiref_context_leave (ctx);

  boxed = g_boxed_copy (ASGIREF_TYPE_CONTEXT, ctx);
  asgiref_context_enter (boxed);
  g_assert_cmpstr (test_get_string (local, "x"), ==, "boxed");
  asgiref_context_leave (boxed);
  g_boxed_free (ASGIREF_TYPE_CONTEXT, boxed);
}

static void
test_size_counts_entries (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  g_autoptr(AsgirefContext) copy = NULL;
  guint one;

  g_assert_cmpuint (asgiref_context_get_size (ctx), ==, 0);

  asgiref_context_enter (ctx);
  test_set_string (local, "a", "1");
  one = asgiref_context_get_size (ctx);
  g_assert_cmpuint (one, >, 0);

  test_set_string (local, "b", "2");
  g_assert_cmpuint (asgiref_context_get_size (ctx), ==, one + 1);

  /* Overwriting does not add an entry. */
  test_set_string (local, "b", "3");
  g_assert_cmpuint (asgiref_context_get_size (ctx), ==, one + 1);
  asgiref_context_leave (ctx);

  copy = asgiref_context_copy (ctx);
  g_assert_cmpuint (asgiref_context_get_size (copy), ==, one + 1);

  asgiref_context_enter (ctx);
  g_assert_true (asgiref_local_remove (local, "b"));
  g_assert_cmpuint (asgiref_context_get_size (ctx), ==, one);
  g_assert_true (asgiref_local_remove (local, "a"));
  g_assert_cmpuint (asgiref_context_get_size (ctx), ==, one - 1);
  asgiref_context_leave (ctx);

  /* The copy's snapshot is untouched by removals in the original. */
  g_assert_cmpuint (asgiref_context_get_size (copy), ==, one + 1);
}

/* }}} */

/* {{{ Contexts and threads */

typedef struct
{
  AsgirefLocal   *local;
  AsgirefContext *ctx;
  AsgirefContext *main_root;
  TestThreadLog   log;
  gint            frees;
  gint            ran;
} ThreadState;

static gpointer
root_context_thread (gpointer data)
{
  ThreadState *state = data;
  AsgirefContext *root = asgiref_context_get_current ();

  g_assert_nonnull (root);
  g_assert_true (root != state->main_root);
  g_assert_cmpuint (asgiref_context_get_size (root), ==, 0);
  g_assert_false (asgiref_local_contains (state->local, "x"));

  /* Stored in this thread's root context, which dies with the thread. */
  test_set_counted (state->local, "x", "thread-root", &state->frees);
  g_assert_cmpstr (test_get_counted (state->local, "x"), ==, "thread-root");
  g_assert_true (asgiref_context_get_current () == root);
  return NULL;
}

static void
test_each_thread_starts_in_its_own_empty_root_context (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  ThreadState state = { 0, };

  state.local = local;
  state.main_root = asgiref_context_get_current ();

  /* Whatever the main thread has entered, a new thread starts at its root. */
  asgiref_context_enter (ctx);
  test_set_string (local, "x", "main");
  g_thread_join (g_thread_new ("root", root_context_thread, &state));
  asgiref_context_leave (ctx);
}

static void
test_thread_root_context_values_freed_at_thread_exit (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  ThreadState state = { 0, };

  state.local = local;
  state.main_root = asgiref_context_get_current ();

  g_thread_join (g_thread_new ("root", root_context_thread, &state));
  g_assert_cmpint (g_atomic_int_get (&state.frees), ==, 1);
}

static void
follow_cb (gpointer data)
{
  ThreadState *state = data;

  test_thread_log_record (&state->log, "in-context");
  g_assert_true (asgiref_context_get_current () == state->ctx);
  g_assert_cmpstr (test_get_string (state->local, "x"), ==, "set-on-main");
  test_set_string (state->local, "y", "set-on-worker");
}

static gpointer
follow_thread (gpointer data)
{
  ThreadState *state = data;

  test_thread_log_record (&state->log, "worker");
  asgiref_context_run (state->ctx, follow_cb, state);
  g_assert_false (asgiref_local_contains (state->local, "x"));
  return NULL;
}

static void
test_context_follows_work_to_another_thread (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
  ThreadState state = { 0, };

  state.local = local;
  state.ctx = ctx;
  test_thread_log_record (&state.log, "main");

  asgiref_context_enter (ctx);
  test_set_string (local, "x", "set-on-main");
  asgiref_context_leave (ctx);

  g_thread_join (g_thread_new ("worker", follow_thread, &state));

  g_assert_true (test_thread_log_lookup (&state.log, "in-context") ==
                 test_thread_log_lookup (&state.log, "worker"));
  g_assert_true (test_thread_log_lookup (&state.log, "worker") !=
                 test_thread_log_lookup (&state.log, "main"));

  asgiref_context_enter (ctx);
  g_assert_cmpstr (test_get_string (local, "y"), ==, "set-on-worker");
  asgiref_context_leave (ctx);
}

static void
mark_ran_cb (gpointer data)
{
  ThreadState *state = data;

  g_atomic_int_inc (&state->ran);
}

static gpointer
intruder_thread (gpointer data)
{
  ThreadState *state = data;
  AsgirefContext *root = asgiref_context_get_current ();

  /* Both are refused with a critical while the main thread is inside. */
  asgiref_context_run (state->ctx, mark_ran_cb, state);
  asgiref_context_enter (state->ctx);
  g_assert_true (asgiref_context_get_current () == root);
  return NULL;
}

static gpointer
late_visitor_thread (gpointer data)
{
  ThreadState *state = data;

  asgiref_context_run (state->ctx, mark_ran_cb, state);
  return NULL;
}

static void
test_entering_a_context_entered_by_another_thread_is_refused (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(AsgirefContext) ctx = asgiref_context_new ();
      ThreadState state = { 0, };

      test_allow_criticals ();
      state.ctx = ctx;

      asgiref_context_enter (ctx);
      g_thread_join (g_thread_new ("intruder", intruder_thread, &state));
      g_assert_cmpint (g_atomic_int_get (&state.ran), ==, 0);
      g_assert_true (asgiref_context_get_current () == ctx);
      asgiref_context_leave (ctx);

      /* Once left, another thread may enter it. */
      g_thread_join (g_thread_new ("visitor", late_visitor_thread, &state));
      g_assert_cmpint (g_atomic_int_get (&state.ran), ==, 1);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Asgiref-CRITICAL*");
}

static void
test_leaving_a_context_that_is_not_current_is_refused (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(AsgirefContext) a = asgiref_context_new ();
      g_autoptr(AsgirefContext) b = asgiref_context_new ();
      AsgirefContext *root = asgiref_context_get_current ();

      test_allow_criticals ();

      asgiref_context_enter (a);
      asgiref_context_leave (b);
      g_assert_true (asgiref_context_get_current () == a);
      asgiref_context_leave (a);
      g_assert_true (asgiref_context_get_current () == root);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Asgiref-CRITICAL*");
}

/* }}} */

/* {{{ Helpers that run callbacks in the creating context
 *
 * The fixture has a "creator" context, where the helper is called, and a
 * "loop" context, in which the main loop is iterated; both hold a "who"
 * value whose frees are counted.
 *
 * The two GIO helpers (ASGIREF_CONTEXT_ASYNC_READY and
 * asgiref_context_create_task) run the callback in the creator context
 * itself, by reference: a callback continues the work that started the
 * operation, like the code after an `await` in a Python task. So it sees
 * what the creator set after the call, and what it sets stays in the
 * creator. Should another thread have the creator entered when the
 * callback runs, the callback runs in a copy of it instead.
 *
 * asgiref_context_source_set_callback runs a source's dispatches in a copy
 * captured at the call (new work of its own, like loop.call_soon): they
 * see the creator's values as they were at the call, and their writes stay
 * in the copy.
 *
 * Every callback writes a counted "written-by-callback" value, and the
 * teardown checks that every counted value was freed, so a helper that
 * leaks its context (or a copy of it) fails.
 */

typedef struct
{
  AsgirefLocal   *local;
  AsgirefContext *creator;
  AsgirefContext *loop_ctx;
  gint            frees;
  gint            sets;
  gint            done;
  guint           calls;
  guint           notified;
  GCancellable   *cancellable;
  GIOChannel     *channel;

  /* Only for the tests where another thread holds the creator entered. */
  gint            holder_entered;
  gint            holder_may_leave;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->local = asgiref_local_new ();
  f->creator = asgiref_context_new ();
  f->loop_ctx = asgiref_context_new ();

  asgiref_context_enter (f->creator);
  test_set_counted (f->local, "who", "creator", &f->frees);
  asgiref_context_leave (f->creator);

  asgiref_context_enter (f->loop_ctx);
  test_set_counted (f->local, "who", "loop", &f->frees);
  asgiref_context_leave (f->loop_ctx);

  f->sets = 2;
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  /* Let any pending source finalisation happen. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_clear_pointer (&f->creator, asgiref_context_unref);
  g_clear_pointer (&f->loop_ctx, asgiref_context_unref);
  g_clear_object (&f->local);
  g_clear_object (&f->cancellable);
  g_clear_pointer (&f->channel, g_io_channel_unref);

  g_assert_cmpint (g_atomic_int_get (&f->frees), ==, f->sets);
}

/* What a GIO callback checks: it runs in the creator context itself, and
 * sees what was set there after the helper call. */
static void
fixture_assert_in_creator_itself (Fixture *f)
{
  g_assert_cmpint (g_main_depth (), >, 0);
  g_assert_true (asgiref_context_get_current () == f->creator);
  g_assert_cmpstr (test_get_counted (f->local, "who"), ==, "creator");
  g_assert_cmpstr (test_get_counted (f->local, "after-helper-call"), ==, "late");
}

/* What a source callback checks: it runs in a copy of the creator's
 * context as it was at the helper call, not in the creator itself nor in
 * the context that iterates the main loop. */
static void
fixture_assert_in_creator_copy (Fixture *f)
{
  AsgirefContext *current = asgiref_context_get_current ();

  g_assert_cmpint (g_main_depth (), >, 0);
  g_assert_cmpstr (test_get_counted (f->local, "who"), ==, "creator");
  g_assert_false (asgiref_local_contains (f->local, "after-helper-call"));
  g_assert_true (current != f->loop_ctx);
  g_assert_true (current != f->creator);
}

/* Every callback leaves a counted mark in the context it runs in. */
static void
fixture_callback_writes (Fixture *f)
{
  test_set_counted (f->local, "written-by-callback", "yes", &f->frees);
  f->sets++;
}

static void
fixture_iterate_cb (gpointer data)
{
  Fixture *f = data;

  test_iterate_until ("the wrapped callback", &f->done);
}

/* Iterates the main loop from inside the "loop" context, then checks that
 * the callback's writes did not reach that context. */
static void
fixture_iterate_until_done (Fixture *f)
{
  asgiref_context_run (f->loop_ctx, fixture_iterate_cb, f);

  asgiref_context_enter (f->loop_ctx);
  g_assert_cmpstr (test_get_counted (f->local, "who"), ==, "loop");
  g_assert_false (asgiref_local_contains (f->local, "written-by-callback"));
  asgiref_context_leave (f->loop_ctx);
}

/* Whether the callback's write is visible in the creator context now. */
static void
fixture_assert_creator_has_callback_write (Fixture  *f,
                                           gboolean  expected)
{
  asgiref_context_enter (f->creator);
  g_assert_cmpstr (test_get_counted (f->local, "who"), ==, "creator");
  if (expected)
    g_assert_cmpstr (test_get_counted (f->local, "written-by-callback"), ==, "yes");
  else
    g_assert_false (asgiref_local_contains (f->local, "written-by-callback"));
  asgiref_context_leave (f->creator);
}

/* Called in the creator context right after the helper call. */
static void
fixture_write_after_helper_call (Fixture *f)
{
  g_assert_true (asgiref_context_get_current () == f->creator);
  test_set_counted (f->local, "after-helper-call", "late", &f->frees);
  f->sets++;
}

static void
query_info_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Fixture *f = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInfo) info = NULL;

  info = g_file_query_info_finish (G_FILE (source), result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_file_info_get_size (info), >, 0);

  fixture_assert_in_creator_itself (f);
  fixture_callback_writes (f);
  f->calls++;
  f->done = TRUE;
}

static void
test_async_ready_runs_callback_in_creating_context (Fixture       *f,
                                                    gconstpointer  data)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_test_get_filename (G_TEST_DIST, "test-context.c", NULL));

  asgiref_context_enter (f->creator);
  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, NULL,
                           ASGIREF_CONTEXT_ASYNC_READY (query_info_done, f));
  fixture_write_after_helper_call (f);
  asgiref_context_leave (f->creator);

  fixture_iterate_until_done (f);
  g_assert_cmpuint (f->calls, ==, 1);
  fixture_assert_creator_has_callback_write (f, TRUE);
}

static void
gtask_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Fixture *f = data;
  g_autoptr(GError) error = NULL;

  g_assert_null (source);
  g_assert_cmpint (g_task_propagate_int (G_TASK (result), &error), ==, 42);
  g_assert_no_error (error);

  fixture_assert_in_creator_itself (f);
  fixture_callback_writes (f);
  f->calls++;
  f->done = TRUE;
}

static gboolean
return_task_idle_cb (gpointer data)
{
  g_task_return_int (G_TASK (data), 42);
  return G_SOURCE_REMOVE;
}

/* The test data says which helper binds the callback of a GTask. */
typedef enum
{
  BIND_ASYNC_READY,
  BIND_CREATE_TASK,
} BindHow;

static GTask *
fixture_new_bound_task (gconstpointer       data,
                        GAsyncReadyCallback callback,
                        gpointer            user_data)
{
  GTask *task;

  if (GPOINTER_TO_INT (data) == BIND_CREATE_TASK)
    task = asgiref_context_create_task (NULL, NULL, callback, user_data);
  else
    task = g_task_new (NULL, NULL, ASGIREF_CONTEXT_ASYNC_READY (callback, user_data));

  g_assert_true (G_IS_TASK (task));
  return task;
}

static void
test_task_callback_runs_in_creating_context (Fixture       *f,
                                             gconstpointer  data)
{
  GTask *task;

  asgiref_context_enter (f->creator);
  task = fixture_new_bound_task (data, gtask_done, f);
  fixture_write_after_helper_call (f);
  asgiref_context_leave (f->creator);

  /* Completed from an idle that runs in the loop context. */
  g_idle_add_full (G_PRIORITY_DEFAULT, return_task_idle_cb, task, g_object_unref);

  fixture_iterate_until_done (f);
  g_assert_cmpuint (f->calls, ==, 1);
  fixture_assert_creator_has_callback_write (f, TRUE);
}

static gpointer
return_task_thread (gpointer data)
{
  g_task_return_int (G_TASK (data), 42);
  return NULL;
}

static void
test_task_returned_from_another_thread_runs_in_creating_context (Fixture       *f,
                                                                 gconstpointer  data)
{
  g_autoptr(GTask) task = NULL;

  asgiref_context_enter (f->creator);
  task = fixture_new_bound_task (data, gtask_done, f);
  fixture_write_after_helper_call (f);
  asgiref_context_leave (f->creator);

  /* The main thread keeps its reference, so the task (and whatever it
   * holds) is released here and not on the other thread. The callback is
   * dispatched by the task's main context, on this thread. */
  g_thread_join (g_thread_new ("returner", return_task_thread, task));

  fixture_iterate_until_done (f);
  g_assert_cmpuint (f->calls, ==, 1);
  fixture_assert_creator_has_callback_write (f, TRUE);
}

static void
iterate_in_creator_cb (gpointer data)
{
  Fixture *f = data;

  g_assert_true (asgiref_context_get_current () == f->creator);
  test_iterate_until ("the bound callback", &f->done);

  /* Still in the creator, which now holds what the callback wrote. */
  g_assert_true (asgiref_context_get_current () == f->creator);
  g_assert_cmpstr (test_get_counted (f->local, "written-by-callback"), ==, "yes");
}

static void
test_task_callback_dispatched_inside_its_context_runs_in_it (Fixture       *f,
                                                             gconstpointer  data)
{
  AsgirefContext *before = asgiref_context_get_current ();
  GTask *task;

  asgiref_context_enter (f->creator);
  task = fixture_new_bound_task (data, gtask_done, f);
  fixture_write_after_helper_call (f);
  g_idle_add_full (G_PRIORITY_DEFAULT, return_task_idle_cb, task, g_object_unref);

  /* The thread that started the operation waits for it from inside the
   * same context: the callback re-enters it on this thread. */
  asgiref_context_run (f->creator, iterate_in_creator_cb, f);
  g_assert_true (asgiref_context_get_current () == f->creator);
  asgiref_context_leave (f->creator);

  g_assert_true (asgiref_context_get_current () == before);
  g_assert_cmpuint (f->calls, ==, 1);
  fixture_assert_creator_has_callback_write (f, TRUE);
}

static void
first_of_two_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  Fixture *f = data;

  g_assert_cmpint (g_task_propagate_int (G_TASK (result), NULL), ==, 42);
  fixture_assert_in_creator_itself (f);
  g_assert_cmpuint (f->calls, ==, 0);
  g_assert_false (asgiref_local_contains (f->local, "written-by-callback"));
  fixture_callback_writes (f);
  f->calls++;
}

static void
second_of_two_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  Fixture *f = data;

  g_assert_cmpint (g_task_propagate_int (G_TASK (result), NULL), ==, 42);
  fixture_assert_in_creator_itself (f);
  g_assert_cmpuint (f->calls, ==, 1);

  /* The first callback's write is a write to the shared context. */
  g_assert_cmpstr (test_get_counted (f->local, "written-by-callback"), ==, "yes");
  test_set_counted (f->local, "written-by-second", "yes", &f->frees);
  f->sets++;
  f->calls++;
  f->done = TRUE;
}

static void
test_task_callbacks_of_one_context_see_each_others_writes (Fixture       *f,
                                                           gconstpointer  data)
{
  GTask *first;
  GTask *second;

  /* Both started before either completes; the second one bound with the
   * other helper, so the two helpers share the context too. */
  asgiref_context_enter (f->creator);
  first = fixture_new_bound_task (data, first_of_two_done, f);
  second = fixture_new_bound_task (GINT_TO_POINTER (GPOINTER_TO_INT (data) == BIND_CREATE_TASK ?
                                                    BIND_ASYNC_READY : BIND_CREATE_TASK),
                                   second_of_two_done, f);
  fixture_write_after_helper_call (f);
  asgiref_context_leave (f->creator);

  /* Idles of one priority dispatch in the order they were added. */
  g_idle_add_full (G_PRIORITY_DEFAULT, return_task_idle_cb, first, g_object_unref);
  g_idle_add_full (G_PRIORITY_DEFAULT, return_task_idle_cb, second, g_object_unref);

  fixture_iterate_until_done (f);
  g_assert_cmpuint (f->calls, ==, 2);
  fixture_assert_creator_has_callback_write (f, TRUE);

  asgiref_context_enter (f->creator);
  g_assert_cmpstr (test_get_counted (f->local, "written-by-second"), ==, "yes");
  asgiref_context_leave (f->creator);
}

/* Enters the creator, sets a value there, says so, and stays inside
 * until told to leave. */
static gpointer
holder_thread (gpointer data)
{
  Fixture *f = data;
  gint64 deadline = g_get_monotonic_time () + TEST_GUARD_SECONDS * G_USEC_PER_SEC;

  asgiref_context_enter (f->creator);
  g_assert_true (asgiref_context_get_current () == f->creator);
  test_set_counted (f->local, "set-by-holder", "yes", &f->frees);
  g_atomic_int_set (&f->holder_entered, 1);

  while (!g_atomic_int_get (&f->holder_may_leave))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting to be told to leave the context");
      g_thread_yield ();
    }

  /* The callback that ran meanwhile wrote to a copy, not to this
   * context, which keeps this thread's value. */
  g_assert_false (asgiref_local_contains (f->local, "written-by-callback"));
  g_assert_cmpstr (test_get_counted (f->local, "set-by-holder"), ==, "yes");
  asgiref_context_leave (f->creator);
  return NULL;
}

static void
gtask_done_in_copy (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  Fixture *f = data;
  AsgirefContext *current = asgiref_context_get_current ();

  g_assert_cmpint (g_task_propagate_int (G_TASK (result), NULL), ==, 42);

  /* The other thread has the creator entered: a copy of it, taken now,
   * with every value the creator holds now. */
  g_assert_cmpint (g_main_depth (), >, 0);
  g_assert_true (current != f->creator);
  g_assert_true (current != f->loop_ctx);
  g_assert_cmpstr (test_get_counted (f->local, "who"), ==, "creator");
  g_assert_cmpstr (test_get_counted (f->local, "after-helper-call"), ==, "late");
  g_assert_cmpstr (test_get_counted (f->local, "set-by-holder"), ==, "yes");

  fixture_callback_writes (f);
  g_assert_cmpstr (test_get_counted (f->local, "written-by-callback"), ==, "yes");
  f->calls++;
  f->done = TRUE;
}

static void
test_task_callback_runs_in_a_copy_while_another_thread_is_inside (Fixture       *f,
                                                                  gconstpointer  data)
{
  gint64 deadline = g_get_monotonic_time () + TEST_GUARD_SECONDS * G_USEC_PER_SEC;
  AsgirefContext *before = asgiref_context_get_current ();
  GThread *holder;
  GTask *task;

  asgiref_context_enter (f->creator);
  task = fixture_new_bound_task (data, gtask_done_in_copy, f);
  fixture_write_after_helper_call (f);
  asgiref_context_leave (f->creator);

  /* Counted here: the holder's value is freed with the creator. */
  f->sets++;
  holder = g_thread_new ("holder", holder_thread, f);
  while (!g_atomic_int_get (&f->holder_entered))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for the holder to enter the context");
      g_thread_yield ();
    }

  /* Dispatched while the holder is inside. No critical is logged (the
   * tests run with G_DEBUG=fatal-warnings). */
  g_idle_add_full (G_PRIORITY_DEFAULT, return_task_idle_cb, task, g_object_unref);
  fixture_iterate_until_done (f);
  g_assert_cmpuint (f->calls, ==, 1);
  g_assert_true (asgiref_context_get_current () == before);

  g_atomic_int_set (&f->holder_may_leave, 1);
  g_thread_join (holder);

  /* The creator has the holder's value and not the callback's, whose copy
   * is gone (the teardown counts the frees). */
  fixture_assert_creator_has_callback_write (f, FALSE);
  asgiref_context_enter (f->creator);
  g_assert_cmpstr (test_get_counted (f->local, "set-by-holder"), ==, "yes");
  asgiref_context_leave (f->creator);
}

static void
count_notify (gpointer data)
{
  Fixture *f = data;

  f->notified++;
}

static gboolean
idle_source_cb (gpointer data)
{
  Fixture *f = data;

  fixture_assert_in_creator_copy (f);
  fixture_callback_writes (f);
  f->calls++;
  f->done = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_source_callback_idle_runs_in_captured_context (Fixture       *f,
                                                    gconstpointer  data)
{
  GSource *source = g_idle_source_new ();

  asgiref_context_enter (f->creator);
  asgiref_context_source_set_callback (source, idle_source_cb, f, count_notify);
  fixture_write_after_helper_call (f);
  asgiref_context_leave (f->creator);

  g_source_attach (source, NULL);
  fixture_iterate_until_done (f);
  g_assert_cmpuint (f->calls, ==, 1);
  fixture_assert_creator_has_callback_write (f, FALSE);

  g_assert_true (g_source_is_destroyed (source));
  g_source_unref (source);
  g_assert_cmpuint (f->notified, ==, 1);
}

static gboolean
timeout_source_cb (gpointer data)
{
  Fixture *f = data;

  fixture_assert_in_creator_copy (f);
  f->calls++;

  /* Each dispatch sees what the one before it wrote. */
  g_assert_cmpuint (GPOINTER_TO_UINT (asgiref_local_get_pointer (f->local, "dispatches")), ==, f->calls - 1);
  asgiref_local_set_pointer (f->local, "dispatches", GUINT_TO_POINTER (f->calls), NULL);
  fixture_callback_writes (f);

  if (f->calls < 4)
    return G_SOURCE_CONTINUE;

  f->done = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_source_callback_timeout_keeps_one_context_across_dispatches (Fixture       *f,
                                                                  gconstpointer  data)
{
  GSource *source = g_timeout_source_new (1);

  asgiref_context_enter (f->creator);
  asgiref_context_source_set_callback (source, timeout_source_cb, f, count_notify);
  fixture_write_after_helper_call (f);
  asgiref_context_leave (f->creator);

  g_source_attach (source, NULL);
  fixture_iterate_until_done (f);
  g_assert_cmpuint (f->calls, ==, 4);
  fixture_assert_creator_has_callback_write (f, FALSE);

  asgiref_context_enter (f->creator);
  g_assert_false (asgiref_local_contains (f->local, "dispatches"));
  asgiref_context_leave (f->creator);

  g_assert_true (g_source_is_destroyed (source));
  g_source_unref (source);
  g_assert_cmpuint (f->notified, ==, 1);
}

static gboolean
cancellable_source_cb (GCancellable *cancellable,
                       gpointer      data)
{
  Fixture *f = data;

  g_assert_true (cancellable == f->cancellable);
  g_assert_true (g_cancellable_is_cancelled (cancellable));
  fixture_assert_in_creator_copy (f);
  fixture_callback_writes (f);
  f->calls++;
  f->done = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
cancel_idle_cb (gpointer data)
{
  Fixture *f = data;

  g_assert_cmpstr (test_get_counted (f->local, "who"), ==, "loop");
  g_cancellable_cancel (f->cancellable);
  return G_SOURCE_REMOVE;
}

static void
test_source_callback_cancellable_source_gets_its_arguments (Fixture       *f,
                                                            gconstpointer  data)
{
  GSource *source;

  f->cancellable = g_cancellable_new ();
  source = g_cancellable_source_new (f->cancellable);

  asgiref_context_enter (f->creator);
  asgiref_context_source_set_callback (source, G_SOURCE_FUNC (cancellable_source_cb), f, count_notify);
  fixture_write_after_helper_call (f);
  asgiref_context_leave (f->creator);

  g_source_attach (source, NULL);
  g_idle_add (cancel_idle_cb, f);
  fixture_iterate_until_done (f);
  g_assert_cmpuint (f->calls, ==, 1);
  fixture_assert_creator_has_callback_write (f, FALSE);

  g_source_unref (source);
  g_assert_cmpuint (f->notified, ==, 1);
}

static gboolean
io_watch_cb (GIOChannel   *channel,
             GIOCondition  condition,
             gpointer      data)
{
  Fixture *f = data;

  g_assert_true (channel == f->channel);
  g_assert_true (condition & G_IO_IN);
  fixture_assert_in_creator_copy (f);
  fixture_callback_writes (f);
  f->calls++;
  f->done = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_source_callback_io_watch_gets_its_arguments (Fixture       *f,
                                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GSource *source;
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
  g_assert_no_error (error);
  f->channel = g_io_channel_unix_new (fds[0]);
  g_io_channel_set_close_on_unref (f->channel, TRUE);
  source = g_io_create_watch (f->channel, G_IO_IN);

  asgiref_context_enter (f->creator);
  asgiref_context_source_set_callback (source, G_SOURCE_FUNC (io_watch_cb), f, count_notify);
  fixture_write_after_helper_call (f);
  asgiref_context_leave (f->creator);

  g_source_attach (source, NULL);
  g_assert_cmpint (write (fds[1], "x", 1), ==, 1);
  close (fds[1]);

  fixture_iterate_until_done (f);
  g_assert_cmpuint (f->calls, ==, 1);
  fixture_assert_creator_has_callback_write (f, FALSE);

  g_source_unref (source);
  g_assert_cmpuint (f->notified, ==, 1);
}

static gboolean
source_while_creator_entered_cb (gpointer data)
{
  Fixture *f = data;

  /* Even when dispatched inside the creator itself, a source runs in
   * its copy: it does not see the creator's later writes. */
  fixture_assert_in_creator_copy (f);
  fixture_callback_writes (f);
  f->calls++;
  f->done = TRUE;
  return G_SOURCE_REMOVE;
}

static void
iterate_in_creator_for_source_cb (gpointer data)
{
  Fixture *f = data;

  test_iterate_until ("the source callback", &f->done);
  g_assert_true (asgiref_context_get_current () == f->creator);
  g_assert_false (asgiref_local_contains (f->local, "written-by-callback"));
}

static void
test_source_callback_dispatched_inside_creator_still_runs_in_copy (Fixture       *f,
                                                                   gconstpointer  data)
{
  GSource *source = g_idle_source_new ();

  asgiref_context_enter (f->creator);
  asgiref_context_source_set_callback (source, source_while_creator_entered_cb, f, count_notify);
  fixture_write_after_helper_call (f);
  g_source_attach (source, NULL);
  asgiref_context_run (f->creator, iterate_in_creator_for_source_cb, f);
  asgiref_context_leave (f->creator);

  g_assert_cmpuint (f->calls, ==, 1);
  fixture_assert_creator_has_callback_write (f, FALSE);
  g_source_unref (source);
  g_assert_cmpuint (f->notified, ==, 1);
}

static gboolean
never_dispatched_cb (gpointer data)
{
  g_assert_not_reached ();
  return G_SOURCE_REMOVE;
}

static void
test_source_callback_destroyed_before_dispatch_frees_everything (Fixture       *f,
                                                                 gconstpointer  data)
{
  GSource *source = g_timeout_source_new_seconds (3600);

  asgiref_context_enter (f->creator);
  asgiref_context_source_set_callback (source, never_dispatched_cb, f, count_notify);
  asgiref_context_leave (f->creator);

  g_source_attach (source, NULL);
  g_source_destroy (source);
  g_source_unref (source);
  g_assert_cmpuint (f->notified, ==, 1);
  /* The teardown checks that the captured context went with it. */
}

/* }}} */

/* {{{ Two interleaved chains of async steps on one main loop */

#define CHAIN_STEPS 8

typedef struct
{
  Fixture        *f;
  TestLoop       *loop;
  GString        *order;
  const char     *name;
  AsgirefContext *ctx;
  guint           completed;
} Chain;

static void chain_step_done (GObject      *source,
                             GAsyncResult *result,
                             gpointer      data);

static gboolean
complete_chain_task_cb (gpointer data)
{
  g_task_return_int (G_TASK (data), 7);
  return G_SOURCE_REMOVE;
}

/* Starts one async step, completed later from an idle, alternating the two
 * ways of making its callback run in the current context. */
static void
chain_start_step (Chain *chain)
{
  GTask *task;

  if (chain->completed % 2 == 0)
    task = asgiref_context_create_task (NULL, NULL, chain_step_done, chain);
  else
    task = g_task_new (NULL, NULL, ASGIREF_CONTEXT_ASYNC_READY (chain_step_done, chain));

  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, complete_chain_task_cb, task, g_object_unref);
}

static const char *
chain_own_key (Chain *chain)
{
  return g_str_equal (chain->name, "A") ? "only-A" : "only-B";
}

static const char *
chain_other_key (Chain *chain)
{
  return g_str_equal (chain->name, "A") ? "only-B" : "only-A";
}

/* Records that @chain has completed its steps so far. Called after the
 * next step was started, so that step sees a value set after its start. */
static void
chain_record_progress (Chain *chain)
{
  AsgirefLocal *local = chain->f->local;

  /* "steps" holds the number of completed steps plus one (never NULL). */
  asgiref_local_set_pointer (local, "steps", GUINT_TO_POINTER (chain->completed + 1), NULL);
}

static void
chain_step_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Chain *chain = data;
  AsgirefLocal *local = chain->f->local;

  g_assert_cmpint (g_task_propagate_int (G_TASK (result), NULL), ==, 7);

  /* Each step continues its chain in the chain's own context... */
  g_assert_true (asgiref_context_get_current () == chain->ctx);
  g_assert_cmpstr (test_get_counted (local, "chain"), ==, chain->name);
  g_assert_true (asgiref_local_get_pointer (local, chain_own_key (chain)) == chain);
  /* ...where the previous step recorded its progress after starting this
   * one... */
  g_assert_cmpuint (GPOINTER_TO_UINT (asgiref_local_get_pointer (local, "steps")), ==, chain->completed + 1);
  /* ...and nothing of the other chain nor of the loop's context shows. */
  g_assert_false (asgiref_local_contains (local, chain_other_key (chain)));
  g_assert_false (asgiref_local_contains (local, "who"));

  chain->completed++;
  g_string_append (chain->order, chain->name);

  if (chain->completed < CHAIN_STEPS)
    chain_start_step (chain);
  else
    test_loop_release (chain->loop);

  chain_record_progress (chain);
}

static void
chain_begin_cb (gpointer data)
{
  Chain *chain = data;

  chain_start_step (chain);
  asgiref_local_set_pointer (chain->f->local, chain_own_key (chain), chain, NULL);
  chain_record_progress (chain);
}

static void
chains_body (TestLoop *loop,
             gpointer  data)
{
  Chain *chains = data;

  for (guint i = 0; i < 2; i++)
    {
      chains[i].loop = loop;
      test_loop_hold (loop);
      asgiref_context_run (chains[i].ctx, chain_begin_cb, &chains[i]);
    }
}

static void
chains_loop_cb (gpointer data)
{
  test_loop_run ("two chains of async steps", chains_body, data);
}

static void
test_interleaved_task_chains_keep_separate_values (Fixture       *f,
                                                   gconstpointer  data)
{
  g_autoptr(GString) order = g_string_new (NULL);
  Chain chains[2] = {
    { f, NULL, order, "A", asgiref_context_new (), 0 },
    { f, NULL, order, "B", asgiref_context_new (), 0 },
  };
  const char *first_b, *last_a;

  for (guint i = 0; i < 2; i++)
    {
      asgiref_context_enter (chains[i].ctx);
      test_set_counted (f->local, "chain", chains[i].name, &f->frees);
      f->sets++;
      asgiref_context_leave (chains[i].ctx);
    }

  asgiref_context_run (f->loop_ctx, chains_loop_cb, chains);

  g_test_message ("steps completed in the order %s", order->str);
  g_assert_cmpuint (chains[0].completed, ==, CHAIN_STEPS);
  g_assert_cmpuint (chains[1].completed, ==, CHAIN_STEPS);

  /* They really interleaved: B started before A finished. */
  first_b = strchr (order->str, 'B');
  last_a = strrchr (order->str, 'A');
  g_assert_nonnull (first_b);
  g_assert_true (first_b < last_a);

  /* The steps wrote to the chains' own contexts, each to its own; the
   * loop's context saw none of it. */
  for (guint i = 0; i < 2; i++)
    {
      asgiref_context_enter (chains[i].ctx);
      g_assert_cmpuint (GPOINTER_TO_UINT (asgiref_local_get_pointer (f->local, "steps")), ==, CHAIN_STEPS + 1);
      g_assert_cmpstr (test_get_counted (f->local, "chain"), ==, chains[i].name);
      g_assert_true (asgiref_local_get_pointer (f->local, chain_own_key (&chains[i])) == &chains[i]);
      g_assert_false (asgiref_local_contains (f->local, chain_other_key (&chains[i])));
      asgiref_context_leave (chains[i].ctx);
      asgiref_context_unref (chains[i].ctx);
    }

  asgiref_context_enter (f->loop_ctx);
  g_assert_false (asgiref_local_contains (f->local, "steps"));
  g_assert_false (asgiref_local_contains (f->local, "chain"));
  asgiref_context_leave (f->loop_ctx);
}

/* }}} */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Context/new-context-is-empty", test_new_context_is_empty);
  g_test_add_func ("/Asgiref/Context/new-contexts-are-distinct", test_new_contexts_are_distinct);
  g_test_add_func ("/Asgiref/Context/run-makes-context-current-and-restores-previous",
                   test_run_makes_context_current_and_restores_previous);
  g_test_add_func ("/Asgiref/Context/values-set-inside-run-stay-in-that-context",
                   test_values_set_inside_run_stay_in_that_context);
  g_test_add_func ("/Asgiref/Context/enter-and-leave-pair-like-run", test_enter_and_leave_pair_like_run);
  g_test_add_func ("/Asgiref/Context/nested-enter-leave-restores-in-order",
                   test_nested_enter_leave_restores_in_order);
  g_test_add_func ("/Asgiref/Context/same-context-may-be-entered-recursively-on-one-thread",
                   test_same_context_may_be_entered_recursively_on_one_thread);
  g_test_add_func ("/Asgiref/Context/reentering-a-context-below-another-shares-its-writes",
                   test_reentering_a_context_below_another_shares_its_writes);
  g_test_add_func ("/Asgiref/Context/copy-shares-values-but-not-later-writes",
                   test_copy_shares_values_but_not_later_writes);
  g_test_add_func ("/Asgiref/Context/capture-copies-the-current-context",
                   test_capture_copies_the_current_context);
  g_test_add_func ("/Asgiref/Context/is-a-boxed-type", test_context_is_a_boxed_type);
  g_test_add_func ("/Asgiref/Context/size-counts-entries", test_size_counts_entries);

  g_test_add_func ("/Asgiref/Context/each-thread-starts-in-its-own-empty-root-context",
                   test_each_thread_starts_in_its_own_empty_root_context);
  g_test_add_func ("/Asgiref/Context/thread-root-context-values-freed-at-thread-exit",
                   test_thread_root_context_values_freed_at_thread_exit);
  g_test_add_func ("/Asgiref/Context/context-follows-work-to-another-thread",
                   test_context_follows_work_to_another_thread);
  g_test_add_func ("/Asgiref/Context/entering-a-context-entered-by-another-thread-is-refused",
                   test_entering_a_context_entered_by_another_thread_is_refused);
  g_test_add_func ("/Asgiref/Context/leaving-a-context-that-is-not-current-is-refused",
                   test_leaving_a_context_that_is_not_current_is_refused);

#define ADD_FIXTURE_TEST(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD_FIXTURE_TEST ("/Asgiref/Context/async-ready-runs-callback-in-creating-context",
                    test_async_ready_runs_callback_in_creating_context);

  /* Every GTask test twice: bound with ASGIREF_CONTEXT_ASYNC_READY, and
   * created with asgiref_context_create_task. */
  {
    static const struct
    {
      const char *name;
      void (*func) (Fixture *, gconstpointer);
    } task_tests[] = {
      { "callback-runs-in-creating-context", test_task_callback_runs_in_creating_context },
      { "returned-from-another-thread-runs-in-creating-context",
        test_task_returned_from_another_thread_runs_in_creating_context },
      { "callback-dispatched-inside-its-context-runs-in-it",
        test_task_callback_dispatched_inside_its_context_runs_in_it },
      { "callbacks-of-one-context-see-each-others-writes",
        test_task_callbacks_of_one_context_see_each_others_writes },
      { "callback-runs-in-a-copy-while-another-thread-is-inside",
        test_task_callback_runs_in_a_copy_while_another_thread_is_inside },
    };
    static const struct
    {
      const char *prefix;
      BindHow how;
    } binders[] = {
      { "async-ready-gtask", BIND_ASYNC_READY },
      { "create-task", BIND_CREATE_TASK },
    };

    for (gsize b = 0; b < G_N_ELEMENTS (binders); b++)
      for (gsize t = 0; t < G_N_ELEMENTS (task_tests); t++)
        {
          g_autofree char *path = g_strdup_printf ("/Asgiref/Context/%s/%s",
                                                   binders[b].prefix, task_tests[t].name);

          g_test_add (path, Fixture, GINT_TO_POINTER (binders[b].how),
                      fixture_setup, task_tests[t].func, fixture_teardown);
        }
  }

  ADD_FIXTURE_TEST ("/Asgiref/Context/interleaved-task-chains-keep-separate-values",
                    test_interleaved_task_chains_keep_separate_values);
  ADD_FIXTURE_TEST ("/Asgiref/Context/source-callback-idle-runs-in-captured-context",
                    test_source_callback_idle_runs_in_captured_context);
  ADD_FIXTURE_TEST ("/Asgiref/Context/source-callback-timeout-keeps-one-context-across-dispatches",
                    test_source_callback_timeout_keeps_one_context_across_dispatches);
  ADD_FIXTURE_TEST ("/Asgiref/Context/source-callback-cancellable-source-gets-its-arguments",
                    test_source_callback_cancellable_source_gets_its_arguments);
  ADD_FIXTURE_TEST ("/Asgiref/Context/source-callback-io-watch-gets-its-arguments",
                    test_source_callback_io_watch_gets_its_arguments);
  ADD_FIXTURE_TEST ("/Asgiref/Context/source-callback-dispatched-inside-creator-still-runs-in-copy",
                    test_source_callback_dispatched_inside_creator_still_runs_in_copy);
  ADD_FIXTURE_TEST ("/Asgiref/Context/source-callback-destroyed-before-dispatch-frees-everything",
                    test_source_callback_destroyed_before_dispatch_frees_everything);

#undef ADD_FIXTURE_TEST

  return g_test_run ();
}
