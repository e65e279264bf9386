/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefExecutor: work submitted from other threads runs on the owner
 * while it waits, answers on the submitter's main context, and every
 * misuse is an error at once rather than a hang.
 *
 * The owner is the test's main thread with a main context of its own
 * pushed; submitters are plain threads, each with its own main context, on
 * which their task callbacks must run. Threads meet only through
 * g_thread_join() and atomics (see test-util.h).
 */

#include <asgiref.h>

#include "test-util.h"

/* {{{ A submitter thread */

typedef struct _Submitter Submitter;
typedef void (*SubmitterStep) (Submitter *self);

/* One job submitted to an executor, and what happened to it. */
typedef struct
{
  Submitter *submitter;
  guint      index;
  GThread   *func_thread;       /* where the job's function ran */
  gboolean   func_in_wait;      /* whether the owner was inside its wait */
  char      *func_saw;          /* the submitter's Local value, seen by it */
  GThread   *callback_thread;
  gboolean   callback_on_submitter_context;
  GError    *error;             /* what the task returned, if an error */
  gint       ran_order;         /* the value of order when the function ran */
  gint       finalized;         /* atomic: the task was freed */
  gint       submitted_after;   /* how many jobs had run when submitted */
} Job;

struct _Submitter
{
  AsgirefExecutor *executor;
  AsgirefExecutor *result_executor; /* given the result; NULL: executor */
  AsgirefLocal    *local;
  gint            *in_wait;     /* atomic, set by the owner around wait */
  gint            *order;       /* atomic counter shared by the jobs */

  guint            n_jobs;
  Job              jobs[4];

  /* Set the executor's result: after the callbacks (TRUE), or right
   * after submitting, without waiting for them (FALSE). */
  gboolean         result_after_callbacks;
  gboolean         set_result;
  /* Submit each job only once the previous one answered. */
  gboolean         one_at_a_time;
  gint             submitted;   /* atomic: every job handed in */
  gint             result_set;  /* atomic: the result was handed in */
  GThread         *thread;
  GMainContext    *context;
  GTask           *result_task; /* what was handed in as the result */
  gint             callbacks;
};

static void
job_func (GTask        *task,
          gpointer      source_object,
          gpointer      task_data,
          GCancellable *cancellable)
{
  Job *job = task_data;

  job->func_thread = g_thread_self ();
  job->func_in_wait = g_atomic_int_get (job->submitter->in_wait);
  job->func_saw = g_strdup (test_get_string (job->submitter->local, "who"));
  job->ran_order = g_atomic_int_add (job->submitter->order, 1);
  g_task_return_int (task, 100 + job->index);
}

static void
job_done_cb (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Job *job = user_data;
  gssize value;

  job->callback_thread = g_thread_self ();
  job->callback_on_submitter_context =
    g_main_context_get_thread_default () == job->submitter->context;
  value = g_task_propagate_int (G_TASK (result), &job->error);
  if (job->error == NULL)
    g_assert_cmpint (value, ==, 100 + job->index);
  job->submitter->callbacks++;
}

static void
job_task_finalized (gpointer  data,
                    GObject  *where_the_object_was)
{
  Job *job = data;

  g_atomic_int_set (&job->finalized, 1);
}

static gpointer
submitter_thread (gpointer data)
{
  Submitter *self = data;
  GMainContext *context = g_main_context_new ();
  g_autoptr(AsgirefContext) ctx = asgiref_context_new ();

  self->thread = g_thread_self ();
  self->context = context;
  g_main_context_push_thread_default (context);
  asgiref_context_enter (ctx);
  test_set_string (self->local, "who", "submitter");

  for (guint i = 0; i < self->n_jobs; i++)
    {
      Job *job = &self->jobs[i];
      GTask *task = g_task_new (NULL, NULL, job_done_cb, job);

      job->submitter = self;
      job->index = i;
      g_task_set_task_data (task, job, NULL);
      g_object_weak_ref (G_OBJECT (task), job_task_finalized, job);
      job->submitted_after = g_atomic_int_get (self->order);
      asgiref_executor_run_task (self->executor, task, job_func);
      g_object_unref (task);

      if (self->one_at_a_time)
        while (self->callbacks < (gint) i + 1)
          g_main_context_iteration (context, TRUE);
    }
  g_atomic_int_set (&self->submitted, 1);

  if (self->set_result && !self->result_after_callbacks)
    {
      self->result_task = g_task_new (NULL, NULL, NULL, NULL);
      asgiref_executor_set_result (self->result_executor ? self->result_executor : self->executor,
                                   G_ASYNC_RESULT (self->result_task));
      g_atomic_int_set (&self->result_set, 1);
    }

  /* The callbacks run here, on the submitter's context... */
  while (self->callbacks < (gint) self->n_jobs)
    g_main_context_iteration (context, TRUE);

  /* ...and only then is the owner given its result, so the jobs ran
   * before any result existed. */
  if (self->set_result && self->result_after_callbacks)
    {
      self->result_task = g_task_new (NULL, NULL, NULL, NULL);
      asgiref_executor_set_result (self->result_executor ? self->result_executor : self->executor,
                                   G_ASYNC_RESULT (self->result_task));
    }

  /* The executor drops its references to the tasks on this context. */
  for (guint i = 0; i < self->n_jobs; i++)
    test_iterate_until ("a submitted task to be freed", &self->jobs[i].finalized);

  asgiref_context_leave (ctx);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return NULL;
}

static void
submitter_clear (Submitter *self)
{
  for (guint i = 0; i < self->n_jobs; i++)
    {
      g_clear_error (&self->jobs[i].error);
      g_clear_pointer (&self->jobs[i].func_saw, g_free);
    }
  g_clear_object (&self->result_task);
}

/* }}} */

/* {{{ The owner's side */

typedef struct
{
  GMainContext    *context;
  AsgirefExecutor *executor;
  gint             executor_gone;
} Owner;

static void
executor_finalized (gpointer  data,
                    GObject  *where_the_object_was)
{
  g_atomic_int_set ((gint *) data, 1);
}

static void
owner_init (Owner *self)
{
  self->context = g_main_context_new ();
  g_main_context_push_thread_default (self->context);
  self->executor = asgiref_executor_new (NULL);
  self->executor_gone = 0;
  g_object_weak_ref (G_OBJECT (self->executor), executor_finalized, &self->executor_gone);
}

/* Frees the executor and checks that nothing it used is left behind: the
 * executor is finalized by the last unref, and its main context has no
 * source left to dispatch. */
static void
owner_clear (Owner *self)
{
  g_object_unref (self->executor);
  g_assert_true (g_atomic_int_get (&self->executor_gone));
  g_assert_false (g_main_context_pending (self->context));
  g_main_context_pop_thread_default (self->context);
  g_main_context_unref (self->context);
}

/* }}} */

static void
test_run_task_runs_on_owner_while_it_waits (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gint in_wait = 0;
  gint order = 0;
  Submitter submitter = { 0, };
  GThread *thread;
  Owner owner;

  owner_init (&owner);
  g_assert_true (asgiref_executor_is_owner (owner.executor));
  g_assert_true (asgiref_executor_get_main_context (owner.executor) == owner.context);
  g_assert_null (asgiref_executor_get_outer (owner.executor));
  g_assert_false (asgiref_executor_get_finished (owner.executor));

  submitter.executor = owner.executor;
  submitter.local = local;
  submitter.in_wait = &in_wait;
  submitter.order = &order;
  submitter.n_jobs = 2;
  submitter.set_result = TRUE;
  submitter.result_after_callbacks = TRUE;

  thread = g_thread_new ("submitter", submitter_thread, &submitter);
  g_atomic_int_set (&in_wait, 1);
  result = asgiref_executor_wait (owner.executor, &error);
  g_atomic_int_set (&in_wait, 0);
  g_assert_no_error (error);
  g_thread_join (thread);

  g_assert_true (result == G_ASYNC_RESULT (submitter.result_task));
  g_assert_true (asgiref_executor_get_finished (owner.executor));

  for (guint i = 0; i < submitter.n_jobs; i++)
    {
      Job *job = &submitter.jobs[i];

      g_assert_no_error (job->error);
      /* The function ran on the owner, during its wait, in the context
       * that was current where the job was submitted... */
      g_assert_true (job->func_thread == g_thread_self ());
      g_assert_true (job->func_in_wait);
      g_assert_cmpstr (job->func_saw, ==, "submitter");
      /* ...and the task answered on the submitter's thread and context. */
      g_assert_true (job->callback_thread == submitter.thread);
      g_assert_true (job->callback_on_submitter_context);
    }
  g_assert_cmpint (submitter.jobs[0].ran_order, ==, 0);
  g_assert_cmpint (submitter.jobs[1].ran_order, ==, 1);

  submitter_clear (&submitter);
  owner_clear (&owner);
}

static void
test_wait_wakes_for_each_submission (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gint in_wait = 0;
  gint order = 0;
  Submitter submitter = { 0, };
  GThread *thread;
  Owner owner;

  /* The submitter hands in one job at a time, the next only once the
   * previous one ran and answered, and the result only after the last.
   * The owner, blocked in its wait with nothing else to do, must wake for
   * every single submission, or this never finishes. */
  owner_init (&owner);
  submitter.executor = owner.executor;
  submitter.local = local;
  submitter.in_wait = &in_wait;
  submitter.order = &order;
  submitter.n_jobs = G_N_ELEMENTS (submitter.jobs);
  submitter.one_at_a_time = TRUE;
  submitter.set_result = TRUE;
  submitter.result_after_callbacks = TRUE;

  thread = g_thread_new ("submitter", submitter_thread, &submitter);
  g_atomic_int_set (&in_wait, 1);
  result = asgiref_executor_wait (owner.executor, &error);
  g_atomic_int_set (&in_wait, 0);
  g_assert_no_error (error);
  g_thread_join (thread);
  g_assert_true (result == G_ASYNC_RESULT (submitter.result_task));

  for (guint i = 0; i < submitter.n_jobs; i++)
    {
      g_assert_no_error (submitter.jobs[i].error);
      g_assert_true (submitter.jobs[i].func_thread == g_thread_self ());
      g_assert_true (submitter.jobs[i].func_in_wait);
      g_assert_cmpint (submitter.jobs[i].ran_order, ==, (gint) i);
      /* Each ran before the next was even submitted. */
      g_assert_cmpint (submitter.jobs[i].submitted_after, ==, (gint) i);
      g_assert_true (submitter.jobs[i].callback_thread == submitter.thread);
    }

  submitter_clear (&submitter);
  owner_clear (&owner);
}

static void
submit_from_owner_func (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  g_atomic_int_inc ((gint *) task_data);
  g_task_return_boolean (task, TRUE);
}

static void
store_result_cb (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_submit_from_owner_fails_at_once (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GTask *task;
  gint ran = 0;
  Owner owner;

  owner_init (&owner);

  task = g_task_new (NULL, NULL, store_result_cb, &result);
  asgiref_executor_run_task (owner.executor, task, submit_from_owner_func);
  /* Failed before run_task returned, without running the function. */
  g_assert_true (g_task_had_error (task));
  g_assert_cmpint (g_atomic_int_get (&ran), ==, 0);
  g_object_unref (task);

  while (result == NULL)
    g_main_context_iteration (owner.context, TRUE);
  g_assert_false (g_task_propagate_boolean (G_TASK (result), &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_WRONG_THREAD);
  g_assert_cmpint (g_atomic_int_get (&ran), ==, 0);

  /* The executor is not harmed by it. */
  g_assert_false (asgiref_executor_get_finished (owner.executor));
  asgiref_executor_finish (owner.executor);
  owner_clear (&owner);
}

typedef struct
{
  AsgirefExecutor *executor;
  GAsyncResult    *result;
  GError          *error;
  gboolean         is_owner;
} ForeignWait;

static gpointer
foreign_wait_thread (gpointer data)
{
  ForeignWait *self = data;

  self->is_owner = asgiref_executor_is_owner (self->executor);
  self->result = asgiref_executor_wait (self->executor, &self->error);
  return NULL;
}

static void
test_wait_from_another_thread_fails (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GTask) handed_in = NULL;
  ForeignWait foreign = { 0, };
  Owner owner;

  owner_init (&owner);

  foreign.executor = owner.executor;
  g_thread_join (g_thread_new ("foreign-waiter", foreign_wait_thread, &foreign));
  g_assert_false (foreign.is_owner);
  g_assert_null (foreign.result);
  g_assert_error (foreign.error, ASGIREF_ERROR, ASGIREF_ERROR_WRONG_THREAD);
  g_clear_error (&foreign.error);

  /* The owner still waits normally afterwards. */
  g_assert_false (asgiref_executor_get_finished (owner.executor));
  handed_in = g_task_new (NULL, NULL, NULL, NULL);
  asgiref_executor_set_result (owner.executor, G_ASYNC_RESULT (handed_in));
  result = asgiref_executor_wait (owner.executor, &error);
  g_assert_no_error (error);
  g_assert_true (result == G_ASYNC_RESULT (handed_in));

  /* Waiting a second time is an error, not a hang. */
  g_assert_null (asgiref_executor_wait (owner.executor, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_FINISHED);

  owner_clear (&owner);
}

static void
test_work_queued_before_the_result_still_runs (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gint in_wait = 0;
  gint order = 0;
  Submitter submitter = { 0, };
  GThread *thread;
  Owner owner;

  owner_init (&owner);

  /* Every job and then the result are handed in before the owner even
   * starts to wait: the wait sees the result first, and must still run
   * the jobs before returning. */
  submitter.executor = owner.executor;
  submitter.local = local;
  submitter.in_wait = &in_wait;
  submitter.order = &order;
  submitter.n_jobs = G_N_ELEMENTS (submitter.jobs);
  submitter.set_result = TRUE;
  submitter.result_after_callbacks = FALSE;

  thread = g_thread_new ("submitter", submitter_thread, &submitter);
  /* The result follows the submissions at once; wait for it, so that
   * the owner finds everything queued. */
  test_spin_until ("the submissions and the result", &submitter.result_set);
  g_assert_cmpint (g_atomic_int_get (&order), ==, 0);

  g_atomic_int_set (&in_wait, 1);
  result = asgiref_executor_wait (owner.executor, &error);
  g_atomic_int_set (&in_wait, 0);
  g_assert_no_error (error);
  /* Every job ran, in order, before the wait returned. */
  g_assert_cmpint (g_atomic_int_get (&order), ==, (gint) submitter.n_jobs);

  g_thread_join (thread);
  g_assert_true (result == G_ASYNC_RESULT (submitter.result_task));
  for (guint i = 0; i < submitter.n_jobs; i++)
    {
      g_assert_no_error (submitter.jobs[i].error);
      g_assert_true (submitter.jobs[i].func_thread == g_thread_self ());
      g_assert_true (submitter.jobs[i].func_in_wait);
      g_assert_cmpint (submitter.jobs[i].ran_order, ==, (gint) i);
      g_assert_true (submitter.jobs[i].callback_thread == submitter.thread);
    }

  submitter_clear (&submitter);
  owner_clear (&owner);
}

static void
test_finish_rejects_queued_work (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  gint in_wait = 0;
  gint order = 0;
  Submitter submitter = { 0, };
  GThread *thread;
  Owner owner;

  owner_init (&owner);

  submitter.executor = owner.executor;
  submitter.local = local;
  submitter.in_wait = &in_wait;
  submitter.order = &order;
  submitter.n_jobs = 2;

  thread = g_thread_new ("submitter", submitter_thread, &submitter);
  test_spin_until ("the submissions", &submitter.submitted);
  /* Finishing without a wait: nothing runs, and with no outer executor
   * the queued tasks fail. */
  asgiref_executor_finish (owner.executor);
  g_assert_true (asgiref_executor_get_finished (owner.executor));
  g_thread_join (thread);

  g_assert_cmpint (g_atomic_int_get (&order), ==, 0);
  for (guint i = 0; i < submitter.n_jobs; i++)
    {
      g_assert_null (submitter.jobs[i].func_thread);
      g_assert_error (submitter.jobs[i].error, ASGIREF_ERROR, ASGIREF_ERROR_FINISHED);
      g_assert_true (submitter.jobs[i].callback_thread == submitter.thread);
    }

  submitter_clear (&submitter);
  owner_clear (&owner);
}

static void
test_submit_after_finish_without_outer_fails (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  gint in_wait = 0;
  gint order = 0;
  Submitter submitter = { 0, };
  Owner owner;

  owner_init (&owner);
  asgiref_executor_finish (owner.executor);

  submitter.executor = owner.executor;
  submitter.local = local;
  submitter.in_wait = &in_wait;
  submitter.order = &order;
  submitter.n_jobs = 1;
  g_thread_join (g_thread_new ("submitter", submitter_thread, &submitter));

  g_assert_null (submitter.jobs[0].func_thread);
  g_assert_error (submitter.jobs[0].error, ASGIREF_ERROR, ASGIREF_ERROR_FINISHED);
  g_assert_true (submitter.jobs[0].callback_thread == submitter.thread);
  g_assert_true (submitter.jobs[0].callback_on_submitter_context);

  submitter_clear (&submitter);
  owner_clear (&owner);
}

static void
test_submit_after_finish_goes_to_outer (void)
{
  g_autoptr(AsgirefLocal) local = asgiref_local_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  AsgirefExecutor *middle;
  AsgirefExecutor *inner;
  gint in_wait = 0;
  gint order = 0;
  Submitter submitter = { 0, };
  GThread *thread;
  Owner owner;

  owner_init (&owner);

  /* Two finished executors chained to the owner's: work handed to the
   * innermost is passed outwards until one takes it. */
  middle = asgiref_executor_new (owner.executor);
  inner = asgiref_executor_new (middle);
  g_assert_true (asgiref_executor_get_outer (inner) == middle);
  g_assert_true (asgiref_executor_get_outer (middle) == owner.executor);
  asgiref_executor_finish (inner);
  asgiref_executor_finish (middle);

  submitter.executor = inner;
  submitter.result_executor = owner.executor;
  submitter.local = local;
  submitter.in_wait = &in_wait;
  submitter.order = &order;
  submitter.n_jobs = 2;

  submitter.set_result = TRUE;
  submitter.result_after_callbacks = TRUE;

  thread = g_thread_new ("submitter", submitter_thread, &submitter);
  g_atomic_int_set (&in_wait, 1);
  result = asgiref_executor_wait (owner.executor, &error);
  g_atomic_int_set (&in_wait, 0);
  g_assert_no_error (error);
  g_thread_join (thread);
  g_assert_true (result == G_ASYNC_RESULT (submitter.result_task));

  for (guint i = 0; i < submitter.n_jobs; i++)
    {
      g_assert_no_error (submitter.jobs[i].error);
      g_assert_true (submitter.jobs[i].func_thread == g_thread_self ());
      g_assert_true (submitter.jobs[i].func_in_wait);
      g_assert_cmpstr (submitter.jobs[i].func_saw, ==, "submitter");
      g_assert_true (submitter.jobs[i].callback_thread == submitter.thread);
    }

  g_object_unref (inner);
  g_object_unref (middle);
  submitter_clear (&submitter);
  owner_clear (&owner);
}

static void
test_result_ready_hands_in_the_result (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GTask) task = NULL;
  Owner owner;

  owner_init (&owner);

  /* The GAsyncReadyCallback form, as an _async call would use it. */
  task = g_task_new (NULL, NULL, asgiref_executor_result_ready, owner.executor);
  g_task_return_int (task, 7);
  result = asgiref_executor_wait (owner.executor, &error);
  g_assert_no_error (error);
  g_assert_true (result == G_ASYNC_RESULT (task));
  g_assert_cmpint (g_task_propagate_int (G_TASK (result), &error), ==, 7);
  g_assert_no_error (error);

  owner_clear (&owner);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Executor/run-task-runs-on-the-owner-while-it-waits",
                   test_run_task_runs_on_owner_while_it_waits);
  g_test_add_func ("/Asgiref/Executor/wait-wakes-for-each-submission",
                   test_wait_wakes_for_each_submission);
  g_test_add_func ("/Asgiref/Executor/submit-from-the-owner-fails-at-once",
                   test_submit_from_owner_fails_at_once);
  g_test_add_func ("/Asgiref/Executor/wait-from-another-thread-fails",
                   test_wait_from_another_thread_fails);
  g_test_add_func ("/Asgiref/Executor/work-queued-before-the-result-still-runs",
                   test_work_queued_before_the_result_still_runs);
  g_test_add_func ("/Asgiref/Executor/finish-rejects-queued-work",
                   test_finish_rejects_queued_work);
  g_test_add_func ("/Asgiref/Executor/submit-after-finish-without-outer-fails",
                   test_submit_after_finish_without_outer_fails);
  g_test_add_func ("/Asgiref/Executor/submit-after-finish-goes-to-the-outer-executor",
                   test_submit_after_finish_goes_to_outer);
  g_test_add_func ("/Asgiref/Executor/result-ready-hands-in-the-result",
                   test_result_ready_hands_in_the_result);

  return g_test_run ();
}
