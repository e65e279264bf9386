/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-context.h"
#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-executor-private.h"
#include "asgiref-i18n-private.h"
#include "asgiref-lock-private.h"
#include "asgiref-task-private.h"

/**
 * AsgirefExecutor:
 *
 * Lets a thread that is waiting for a result keep running work that other
 * threads hand to it: asgiref's `CurrentThreadExecutor`, as a #GSource.
 *
 * An executor belongs to the thread that creates it and to that thread's
 * thread-default #GMainContext. Other threads give it work with
 * [method@Asgiref.Executor.run_task]; the owner runs that work while it
 * waits in [method@Asgiref.Executor.wait], which iterates the owner's main
 * context until a result is handed in. Work arrives as a source on that
 * context, so a submission wakes the waiting thread at once.
 *
 * This is what lets blocking code wait for asynchronous code that, in
 * turn, needs to run something on the blocked thread (because that code is
 * not thread-safe, say) without deadlocking. It is GIO's private-context
 * sync wrapper made reusable:
 *
 * ```c
 * g_autoptr(GMainContext) context = g_main_context_new ();
 * g_autoptr(AsgirefExecutor) executor = NULL;
 * g_autoptr(GAsyncResult) result = NULL;
 *
 * g_main_context_push_thread_default (context);
 * executor = asgiref_executor_new (NULL);
 *
 * // Hand `executor` to the code that may submit work back to us, then:
 * start_something_async (..., asgiref_executor_result_ready, executor);
 * result = asgiref_executor_wait (executor, &error);
 * g_main_context_pop_thread_default (context);
 *
 * ok = start_something_finish (..., result, &error);
 * ```
 *
 * An executor serves one wait. Work submitted after it finished goes to the
 * executor it was created inside of (its "outer" executor), if any, so that
 * work outliving a nested wait still runs on a waiting thread.
 *
 * Misuse is an error, never a hang: submitting from the owner thread, or
 * waiting from another thread, fails with %ASGIREF_ERROR_WRONG_THREAD;
 * submitting to a finished executor with no outer executor fails with
 * %ASGIREF_ERROR_FINISHED.
 */

/* What asgiref_executor_run_task() queues. */
typedef struct
{
  AsgirefExecutorJob job;
  AsgirefExecutor *executor;
  GTask *task;
  GTaskThreadFunc func;
  AsgirefContext *context;
} TaskJob;

/*
 * What the executor and its source share. Kept apart from the executor so
 * that the source never holds the executor alive, and a dispatch under way
 * when the executor goes away still has its queue.
 */
typedef struct
{
  gatomicrefcount ref;
  /* Atomic: the source is to dispatch (work or a result came). A flag
   * rather than g_source_set_ready_time(), which wakes the owner while
   * holding its main context's lock, so that a woken owner on another
   * core would block on that lock at once. */
  gint pending;
  GMutex lock;
  /* Under lock. */
  GQueue jobs;
  GAsyncResult *result;
  gboolean stopped;
  gboolean finished;
} Shared;

typedef struct
{
  GSource source;
  Shared *shared;
} ExecutorSource;

struct _AsgirefExecutor
{
  GObject parent_instance;

  /* Fixed at construction, but for an unowned executor's owner, which its
   * first wait sets (atomic). */
  GThread *owner;
  GMainContext *main_context;
  AsgirefExecutor *outer;

  Shared *shared;
  GSource *source;
};

enum {
  PROP_0,
  PROP_OUTER,
  PROP_MAIN_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AsgirefExecutor, asgiref_executor, G_TYPE_OBJECT)

static void
task_job_free (TaskJob *self)
{
  asgiref_context_unref (self->context);
  _asgiref_task_unref_on_its_context (self->task);
  g_object_unref (self->executor);
  g_free (self);
}

static void
task_job_run (AsgirefExecutorJob *job)
{
  TaskJob *self = (TaskJob *) job;
  GTask *task = self->task;

  asgiref_context_enter (self->context);
  self->func (task,
              g_task_get_source_object (task),
              g_task_get_task_data (task),
              g_task_get_cancellable (task));
  asgiref_context_leave (self->context);
  task_job_free (self);
}

static void
task_job_reject (AsgirefExecutorJob *job)
{
  TaskJob *self = (TaskJob *) job;
  AsgirefExecutor *outer = asgiref_executor_get_outer (self->executor);

  /* Whoever waits further out takes it. */
  if (outer != NULL)
    {
      asgiref_context_enter (self->context);
      asgiref_executor_run_task (outer, self->task, self->func);
      asgiref_context_leave (self->context);
    }
  else
    g_task_return_new_error (self->task, ASGIREF_ERROR, ASGIREF_ERROR_FINISHED,
                             "%s", _("The executor has finished and takes no more work"));
  task_job_free (self);
}

static Shared *
shared_ref (Shared *shared)
{
  g_atomic_ref_count_inc (&shared->ref);
  return shared;
}

static void
shared_unref (Shared *shared)
{
  if (!g_atomic_ref_count_dec (&shared->ref))
    return;

  /* Emptied by finish, which dispose always reaches. */
  g_assert (g_queue_is_empty (&shared->jobs));
  g_clear_object (&shared->result);
  g_mutex_clear (&shared->lock);
  g_free (shared);
}

/* Runs (or rejects) the jobs linked from @head, which this thread took
 * from a queue. Each job's link is its own, and the job may be freed or
 * queued elsewhere by its run: step on before. */
static void
run_jobs (GList    *head,
          gboolean  run)
{
  GList *next;

  for (GList *l = head; l != NULL; l = next)
    {
      AsgirefExecutorJob *job = l->data;

      next = l->next;
      if (run)
        job->run (job);
      else
        job->reject (job);
    }
}

static Shared *
source_get_shared (GSource *source)
{
  /* The source may have been made on another thread (a waiter's executor
   * is made by the first submission), and attached through GLib. */
  _asgiref_tsan_acquire (source);
  return ((ExecutorSource *) source)->shared;
}

static gboolean
executor_source_prepare (GSource *source,
                         gint    *timeout)
{
  *timeout = -1;
  return g_atomic_int_get (&source_get_shared (source)->pending);
}

static gboolean
executor_source_check (GSource *source)
{
  return g_atomic_int_get (&source_get_shared (source)->pending);
}

static gboolean
executor_source_dispatch (GSource     *source,
                          GSourceFunc  callback,
                          gpointer     user_data)
{
  Shared *shared = source_get_shared (source);
  GQueue jobs;

  /* Disarm before taking the queue: a submission racing with us either
   * lands in what we take, or re-arms after this. */
  g_atomic_int_set (&shared->pending, 0);

  _asgiref_mutex_lock (&shared->lock);
  jobs = shared->jobs;
  g_queue_init (&shared->jobs);
  _asgiref_mutex_unlock (&shared->lock);

  run_jobs (jobs.head, TRUE);

  return G_SOURCE_CONTINUE;
}

static void
executor_source_finalize (GSource *source)
{
  shared_unref (((ExecutorSource *) source)->shared);
}

static GSourceFuncs executor_source_funcs = {
  .prepare = executor_source_prepare,
  .check = executor_source_check,
  .dispatch = executor_source_dispatch,
  .finalize = executor_source_finalize,
};

static void
asgiref_executor_dispose (GObject *object)
{
  AsgirefExecutor *self = ASGIREF_EXECUTOR (object);

  asgiref_executor_finish (self);

  G_OBJECT_CLASS (asgiref_executor_parent_class)->dispose (object);
}

static void
asgiref_executor_finalize (GObject *object)
{
  AsgirefExecutor *self = ASGIREF_EXECUTOR (object);

  _asgiref_tsan_acquire (self);

  g_clear_pointer (&self->source, g_source_unref);
  g_clear_pointer (&self->shared, shared_unref);
  g_clear_object (&self->outer);
  g_main_context_unref (self->main_context);
  g_clear_pointer (&self->owner, g_thread_unref);

  G_OBJECT_CLASS (asgiref_executor_parent_class)->finalize (object);
}

static void
asgiref_executor_constructed (GObject *object)
{
  AsgirefExecutor *self = ASGIREF_EXECUTOR (object);

  G_OBJECT_CLASS (asgiref_executor_parent_class)->constructed (object);

  if (self->main_context == NULL)
    self->main_context = g_main_context_ref_thread_default ();
  g_source_attach (self->source, self->main_context);
}

static void
asgiref_executor_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  AsgirefExecutor *self = ASGIREF_EXECUTOR (object);

  switch (prop_id)
    {
    case PROP_OUTER:
      g_value_set_object (value, self->outer);
      break;
    case PROP_MAIN_CONTEXT:
      g_value_set_boxed (value, self->main_context);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_executor_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  AsgirefExecutor *self = ASGIREF_EXECUTOR (object);

  switch (prop_id)
    {
    case PROP_OUTER:
      self->outer = g_value_dup_object (value);
      break;
    case PROP_MAIN_CONTEXT:
      self->main_context = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_executor_class_init (AsgirefExecutorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = asgiref_executor_constructed;
  object_class->dispose = asgiref_executor_dispose;
  object_class->finalize = asgiref_executor_finalize;
  object_class->get_property = asgiref_executor_get_property;
  object_class->set_property = asgiref_executor_set_property;

  /**
   * AsgirefExecutor:outer:
   *
   * The executor of an enclosing wait, which takes over work submitted
   * after this one finished.
   */
  properties[PROP_OUTER] =
    g_param_spec_object ("outer", NULL, NULL,
                         ASGIREF_TYPE_EXECUTOR,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * AsgirefExecutor:main-context:
   *
   * The main context whose iterations run the submitted work: the
   * thread-default main context of the creating thread unless given.
   */
  properties[PROP_MAIN_CONTEXT] =
    g_param_spec_boxed ("main-context", NULL, NULL,
                        G_TYPE_MAIN_CONTEXT,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
asgiref_executor_init (AsgirefExecutor *self)
{
  Shared *shared = g_new0 (Shared, 1);
  ExecutorSource *source;

  g_atomic_ref_count_init (&shared->ref);
  g_mutex_init (&shared->lock);
  g_queue_init (&shared->jobs);
  self->shared = shared;
  self->owner = g_thread_ref (g_thread_self ());

  source = (ExecutorSource *) g_source_new (&executor_source_funcs, sizeof (ExecutorSource));
  source->shared = shared_ref (shared);
  g_source_set_static_name (&source->source, "[asgiref] executor");
  /* Work the waiting thread was handed outranks the rest of its loop. */
  g_source_set_priority (&source->source, G_PRIORITY_HIGH);
  self->source = &source->source;
  _asgiref_tsan_release (self->source);
}

AsgirefExecutor *
_asgiref_executor_new_unowned (GMainContext *main_context)
{
  AsgirefExecutor *self;

  self = g_object_new (ASGIREF_TYPE_EXECUTOR, "main-context", main_context, NULL);
  /* The thread that first waits adopts it. */
  g_clear_pointer (&self->owner, g_thread_unref);
  return self;
}

/**
 * asgiref_executor_new: (constructor)
 * @outer: (nullable): the executor of an enclosing wait on another
 *   thread, which takes over work submitted after this one finished
 *
 * Creates an executor owned by the calling thread and its thread-default
 * main context (the global default one when none is pushed, which only the
 * thread running the default main loop should wait in).
 *
 * Returns: (transfer full): a new executor
 */
AsgirefExecutor *
asgiref_executor_new (AsgirefExecutor *outer)
{
  g_return_val_if_fail (outer == NULL || ASGIREF_IS_EXECUTOR (outer), NULL);

  return g_object_new (ASGIREF_TYPE_EXECUTOR, "outer", outer, NULL);
}

/**
 * asgiref_executor_get_outer:
 * @self: an executor
 *
 * Gets the executor given at construction.
 *
 * Returns: (transfer none) (nullable): the executor that takes over work
 *   submitted after @self finished
 */
AsgirefExecutor *
asgiref_executor_get_outer (AsgirefExecutor *self)
{
  g_return_val_if_fail (ASGIREF_IS_EXECUTOR (self), NULL);

  return self->outer;
}

/**
 * asgiref_executor_get_main_context:
 * @self: an executor
 *
 * Gets the main context whose iterations run the submitted work.
 *
 * Returns: (transfer none): the main context @self runs work on
 */
GMainContext *
asgiref_executor_get_main_context (AsgirefExecutor *self)
{
  g_return_val_if_fail (ASGIREF_IS_EXECUTOR (self), NULL);

  return self->main_context;
}

/**
 * asgiref_executor_is_owner:
 * @self: an executor
 *
 * Checks whether the calling thread is the one that created @self.
 *
 * Returns: whether the calling thread owns @self
 */
gboolean
asgiref_executor_is_owner (AsgirefExecutor *self)
{
  g_return_val_if_fail (ASGIREF_IS_EXECUTOR (self), FALSE);

  return g_atomic_pointer_get (&self->owner) == g_thread_self ();
}

/**
 * asgiref_executor_get_finished:
 * @self: an executor
 *
 * Checks whether @self has finished: its wait returned, or
 * [method@Asgiref.Executor.finish] was called.
 *
 * Returns: whether @self stopped taking work
 */
gboolean
asgiref_executor_get_finished (AsgirefExecutor *self)
{
  gboolean finished;

  g_return_val_if_fail (ASGIREF_IS_EXECUTOR (self), FALSE);

  _asgiref_mutex_lock (&self->shared->lock);
  finished = self->shared->finished;
  _asgiref_mutex_unlock (&self->shared->lock);
  return finished;
}

/**
 * asgiref_executor_run_task:
 * @self: an executor
 * @task: the task to complete
 * @func: (scope async): the function that completes @task, run on the
 *   owner thread
 *
 * Runs @func on the thread that owns @self, as [method@Gio.Task.run_in_thread]
 * runs it on a pool thread: @func returns the result through @task, and
 * @task's callback runs on the main context that was thread-default when
 * @task was created. @func runs in the context that is current now.
 *
 * Call it from any thread but the owner. @task fails with
 * %ASGIREF_ERROR_WRONG_THREAD when called from the owner, and with
 * %ASGIREF_ERROR_FINISHED when @self and every outer executor finished.
 */
void
asgiref_executor_run_task (AsgirefExecutor *self,
                           GTask           *task,
                           GTaskThreadFunc  func)
{
  TaskJob *job;

  g_return_if_fail (ASGIREF_IS_EXECUTOR (self));
  g_return_if_fail (G_IS_TASK (task));
  g_return_if_fail (func != NULL);

  if (g_atomic_pointer_get (&self->owner) == g_thread_self ())
    {
      g_task_return_new_error (task, ASGIREF_ERROR, ASGIREF_ERROR_WRONG_THREAD,
                               "%s", _("Cannot submit work to an executor from its own thread"));
      return;
    }

  job = g_new (TaskJob, 1);
  job->job.run = task_job_run;
  job->job.reject = task_job_reject;
  job->executor = g_object_ref (self);
  job->task = g_object_ref (task);
  job->func = func;
  job->context = asgiref_context_capture ();

  if (!_asgiref_executor_submit (self, &job->job))
    task_job_reject (&job->job);
}

gboolean
_asgiref_executor_submit (AsgirefExecutor    *self,
                          AsgirefExecutorJob *job)
{
  _asgiref_mutex_lock (&self->shared->lock);
  if (self->shared->finished)
    {
      _asgiref_mutex_unlock (&self->shared->lock);
      return FALSE;
    }
  /* The job's own link: queueing allocates nothing. A job rejected from
   * another queue comes back with a stale one. */
  job->link = (GList) { job, NULL, NULL };
  g_queue_push_tail_link (&self->shared->jobs, &job->link);
  g_atomic_int_set (&self->shared->pending, 1);
  _asgiref_mutex_unlock (&self->shared->lock);

  /* Outside the lock, so that the woken owner does not wait for it. Every
   * caller holds a reference to @self, and so to its main context, until
   * this returns. The owner itself submits from a dispatch, and sees the
   * flag in its next iteration. */
  if (g_atomic_pointer_get (&self->owner) != g_thread_self ())
    g_main_context_wakeup (self->main_context);
  return TRUE;
}

/**
 * asgiref_executor_set_result:
 * @self: an executor
 * @result: the result the owner waits for
 *
 * Hands @result to the thread waiting in [method@Asgiref.Executor.wait],
 * and wakes it. May be called from any thread, once per wait.
 */
void
asgiref_executor_set_result (AsgirefExecutor *self,
                             GAsyncResult    *result)
{
  g_return_if_fail (ASGIREF_IS_EXECUTOR (self));
  g_return_if_fail (G_IS_ASYNC_RESULT (result));

  _asgiref_mutex_lock (&self->shared->lock);
  if (self->shared->result != NULL)
    {
      _asgiref_mutex_unlock (&self->shared->lock);
      g_critical ("%s", _("An executor was given a second result for one wait"));
      return;
    }
  self->shared->result = g_object_ref (result);
  /* Under the lock, before the owner can see the result and go away with
   * its main context: the caller need not hold a reference. The owner
   * itself hands it in from a dispatch of its own wait, which looks for it
   * next anyway: no need to wake it. */
  if (g_atomic_pointer_get (&self->owner) != g_thread_self ())
    {
      g_atomic_int_set (&self->shared->pending, 1);
      g_main_context_wakeup (self->main_context);
    }
  _asgiref_mutex_unlock (&self->shared->lock);
}

void
_asgiref_executor_unref (gpointer executor)
{
  _asgiref_tsan_release (executor);
  g_object_unref (executor);
}

void
_asgiref_executor_stop (AsgirefExecutor *self)
{
  _asgiref_mutex_lock (&self->shared->lock);
  self->shared->stopped = TRUE;
  g_atomic_int_set (&self->shared->pending, 1);
  g_main_context_wakeup (self->main_context);
  _asgiref_mutex_unlock (&self->shared->lock);
}

/**
 * asgiref_executor_result_ready: (skip)
 * @source_object: (nullable): the source object of the operation
 * @result: its result
 * @executor: the #AsgirefExecutor waiting for it
 *
 * A #GAsyncReadyCallback that calls [method@Asgiref.Executor.set_result]:
 * give it, with the executor as user data, to the `_async` call whose
 * result [method@Asgiref.Executor.wait] waits for.
 */
void
asgiref_executor_result_ready (GObject      *source_object,
                               GAsyncResult *result,
                               gpointer      executor)
{
  asgiref_executor_set_result (executor, result);
}

static void
executor_finish (AsgirefExecutor *self,
                 gboolean         run_pending)
{
  GQueue jobs;

  _asgiref_mutex_lock (&self->shared->lock);
  self->shared->finished = TRUE;
  jobs = self->shared->jobs;
  g_queue_init (&self->shared->jobs);
  _asgiref_mutex_unlock (&self->shared->lock);

  g_source_destroy (self->source);

  run_jobs (jobs.head, run_pending);
}

void
_asgiref_executor_finish_running (AsgirefExecutor *self)
{
  executor_finish (self, TRUE);
}

/**
 * asgiref_executor_wait:
 * @self: an executor
 * @error: return location for an error
 *
 * Iterates the owner's main context, running the work other threads
 * submit, until [method@Asgiref.Executor.set_result] hands in a result.
 * Work submitted before the result arrived still runs before this returns;
 * then @self is finished, and later work goes to its outer executor.
 *
 * Only the owner thread may wait, once.
 *
 * Returns: (transfer full): the result, or %NULL with
 *   %ASGIREF_ERROR_WRONG_THREAD when called from another thread, or
 *   %ASGIREF_ERROR_FINISHED when @self already finished
 */
GAsyncResult *
asgiref_executor_wait (AsgirefExecutor  *self,
                       GError          **error)
{
  GAsyncResult *result;
  gboolean stopped;

  g_return_val_if_fail (ASGIREF_IS_EXECUTOR (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* An executor made for a thread that did not exist yet is adopted by
   * its first wait. */
  if (g_atomic_pointer_get (&self->owner) == NULL)
    {
      GThread *me = g_thread_ref (g_thread_self ());

      if (!g_atomic_pointer_compare_and_exchange (&self->owner, NULL, me))
        g_thread_unref (me);
    }

  if (g_atomic_pointer_get (&self->owner) != g_thread_self ())
    {
      g_set_error_literal (error, ASGIREF_ERROR, ASGIREF_ERROR_WRONG_THREAD,
                           _("Only the thread that created an executor can wait on it"));
      return NULL;
    }

  for (;;)
    {
      _asgiref_mutex_lock (&self->shared->lock);
      if (self->shared->finished)
        {
          _asgiref_mutex_unlock (&self->shared->lock);
          g_set_error_literal (error, ASGIREF_ERROR, ASGIREF_ERROR_FINISHED,
                               _("The executor has finished and takes no more work"));
          return NULL;
        }
      result = g_steal_pointer (&self->shared->result);
      stopped = self->shared->stopped;
      _asgiref_mutex_unlock (&self->shared->lock);

      if (result != NULL || stopped)
        break;

      g_main_context_iteration (self->main_context, TRUE);
    }

  executor_finish (self, TRUE);
  return result;
}

/**
 * asgiref_executor_finish:
 * @self: an executor
 *
 * Stops @self taking work without waiting: what was submitted and not yet
 * run goes to the outer executor, or fails with %ASGIREF_ERROR_FINISHED.
 * Disposing an executor finishes it.
 */
void
asgiref_executor_finish (AsgirefExecutor *self)
{
  g_return_if_fail (ASGIREF_IS_EXECUTOR (self));

  executor_finish (self, FALSE);
}
