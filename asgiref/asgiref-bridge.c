/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-bridge-private.h"
#include "asgiref-context-private.h"
#include "asgiref-enum-types.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-local-store-private.h"
#include "asgiref-lock-private.h"
#include "asgiref-task-private.h"
#include "asgiref-worker-pool-private.h"

/**
 * AsgirefBridge:
 *
 * Calls between blocking code and main-loop code, with asgiref's rules
 * about which thread runs what.
 *
 * [method@Asgiref.Bridge.sync_to_async] runs a blocking function from
 * main-loop code and answers, as GIO does, on the caller's thread-default
 * main context; [method@Asgiref.Bridge.async_to_sync] runs an asynchronous
 * operation from blocking code and waits for it:
 *
 * ```c
 * static void
 * query_database (GTask *task, gpointer bridge, gpointer query, GCancellable *cancellable)
 * {
 *   GError *error = NULL;
 *   Rows *rows = legacy_db_query (query, &error);  // blocks, not thread-safe
 *
 *   if (rows == NULL)
 *     g_task_return_error (task, error);
 *   else
 *     g_task_return_pointer (task, rows, (GDestroyNotify) rows_free);
 * }
 *
 * asgiref_bridge_sync_to_async (asgiref_bridge_get_default (),
 *                               query_database, g_strdup (sql), g_free,
 *                               ASGIREF_SYNC_FLAGS_NONE, cancellable,
 *                               on_rows, self);
 * ```
 *
 * The rules, which hold through any depth of nesting:
 *
 * - Thread-sensitive sync code (the default) all runs on one thread, one
 *   call at a time: the thread blocked in the outermost async-to-sync call,
 *   if the work came from one (it serves those calls while it waits), else
 *   the thread of the enclosing [class@Asgiref.ThreadSensitiveContext], else
 *   one shared sync thread. Code that is not thread-safe is safe there.
 * - Other sync code runs on a bounded pool of the bridge's own threads,
 *   never on GTask's pool, so it cannot starve GIO.
 * - Async code started from sync code runs on the main context of the
 *   async code that called the sync code, or, when there is none (a
 *   command-line tool, a test), on a private main context that the waiting
 *   thread iterates.
 * - Calling [method@Asgiref.Bridge.async_to_sync] from async code, on a
 *   thread dispatching a main loop, would block that loop: it fails with
 *   %ASGIREF_ERROR_DEADLOCK. So does a thread-sensitive call that would
 *   have to wait for the very thread that waits for it.
 *
 * The [struct@Asgiref.Context] follows both hops both ways: the callee runs
 * in a copy of the caller's context, and what it changed is applied to the
 * caller's context before the caller continues. Thread-critical
 * [class@Asgiref.Local] values stay on their thread. A #GCancellable given
 * to a hop is the callee's, and is used by nested hops given none.
 */

struct _AsgirefBridge
{
  GObject parent_instance;

  guint max_threads;
  AsgirefWorkerPool *pool;

  GMutex lock;
  /* Made on first use, under lock; read atomically. */
  AsgirefSyncThread *shared_thread;
};

enum {
  PROP_0,
  PROP_MAX_THREADS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AsgirefBridge, asgiref_bridge, G_TYPE_OBJECT)

/* ---- Scopes ------------------------------------------------------------- */

/* The scope is one of the library's own context values: it follows the
 * context like a Local's value, without a Local's cost on every hop. */
#define SCOPE_NAME "bridge"

static AsgirefSyncFrame *
sync_frame_ref (AsgirefSyncFrame *frame)
{
  g_atomic_ref_count_inc (&frame->ref);
  return frame;
}

static void
sync_frame_unref (AsgirefSyncFrame *frame)
{
  if (g_atomic_ref_count_dec (&frame->ref))
    g_free (frame);
}

AsgirefBridgeScope *
_asgiref_bridge_scope_get_current (void)
{
  return _asgiref_context_value_get (SCOPE_NAME);
}

AsgirefBridgeScope *
_asgiref_bridge_scope_copy (const AsgirefBridgeScope *scope)
{
  AsgirefBridgeScope *copy = g_new0 (AsgirefBridgeScope, 1);

  g_atomic_ref_count_init (&copy->ref);
  if (scope == NULL)
    return copy;

  copy->waiter = scope->waiter ? _asgiref_waiter_ref (scope->waiter) : NULL;
  copy->thread_sensitive = scope->thread_sensitive ? _asgiref_sync_thread_ref (scope->thread_sensitive) : NULL;
  copy->frame = scope->frame ? sync_frame_ref (scope->frame) : NULL;
  copy->origin = scope->origin ? g_main_context_ref (scope->origin) : NULL;
  copy->origin_waiter = scope->origin_waiter ? _asgiref_waiter_ref (scope->origin_waiter) : NULL;
  copy->cancellable = scope->cancellable ? g_object_ref (scope->cancellable) : NULL;
  return copy;
}

AsgirefBridgeScope *
_asgiref_bridge_scope_ref (AsgirefBridgeScope *scope)
{
  g_atomic_ref_count_inc (&scope->ref);
  return scope;
}

void
_asgiref_bridge_scope_unref (AsgirefBridgeScope *scope)
{
  if (!g_atomic_ref_count_dec (&scope->ref))
    return;

  g_clear_pointer (&scope->waiter, _asgiref_waiter_unref);
  g_clear_pointer (&scope->thread_sensitive, _asgiref_sync_thread_unref);
  g_clear_pointer (&scope->frame, sync_frame_unref);
  g_clear_pointer (&scope->origin, g_main_context_unref);
  g_clear_pointer (&scope->origin_waiter, _asgiref_waiter_unref);
  g_clear_object (&scope->cancellable);
  g_free (scope);
}

void
_asgiref_bridge_scope_set_current (AsgirefBridgeScope *scope)
{
  _asgiref_context_value_set (SCOPE_NAME, scope,
                              (GDestroyNotify) _asgiref_bridge_scope_unref);
}

/* A copy of @context in which @scope (taken) is current. */
static AsgirefContext *
context_copy_with_scope (AsgirefContext     *context,
                         AsgirefBridgeScope *scope)
{
  return _asgiref_context_copy_with_value (context, SCOPE_NAME, scope,
                                           (GDestroyNotify) _asgiref_bridge_scope_unref);
}

/* The innermost waiter of @scope's chain that still takes work. */
static AsgirefWaiter *
scope_live_waiter (const AsgirefBridgeScope *scope)
{
  for (AsgirefWaiter *waiter = scope ? scope->waiter : NULL;
       waiter != NULL;
       waiter = _asgiref_waiter_get_outer (waiter))
    if (!_asgiref_waiter_get_finished (waiter))
      return waiter;
  return NULL;
}

/* ---- sync-to-async ------------------------------------------------------ */

typedef struct
{
  AsgirefExecutorJob job;          /* must stay first */
  AsgirefBridge *bridge;
  GTask *task;                     /* made on the pool thread, for a pool call */
  GCancellable *cancellable;       /* the task's */
  GMainContext *caller_context;    /* where the callback runs */
  gboolean on_pool;                /* the task completes on the pool thread */
  GTaskThreadFunc func;
  gpointer task_data;
  GDestroyNotify task_data_destroy;
  AsgirefBridgeScope *caller_scope; /* nullable */

  /* The caller's context, itself, and the copy the callee runs in. */
  AsgirefContext *caller;
  AsgirefContext *callee;
  AsgirefHamt *before;

  GAsyncReadyCallback callback;
  gpointer user_data;

  /* The callee's frame (thread-sensitive calls only), in its scope from
   * the start so that running the call allocates nothing: marked when
   * the job runs on a sync thread. */
  AsgirefSyncFrame *frame;
  gboolean on_sync_thread;

  /* SYNC_CALL_* bits, atomic: which of the two ends are done. */
  gint ends;
} SyncCall;

/*
 * GTask calls back as soon as the function returns a result, possibly
 * before the function itself returned, while it may still use task_data
 * and write what the caller will read. So the caller's callback waits for
 * both: whichever end comes second runs it, from the caller's main context.
 */
#define SYNC_CALL_RETURNED    (1 << 0)
#define SYNC_CALL_CALLED_BACK (1 << 1)

static void
sync_call_free (SyncCall *call)
{
  if (call->task_data_destroy != NULL)
    call->task_data_destroy (call->task_data);
  g_clear_pointer (&call->caller_scope, _asgiref_bridge_scope_unref);
  g_clear_pointer (&call->frame, sync_frame_unref);
  asgiref_context_unref (call->caller);
  asgiref_context_unref (call->callee);
  _asgiref_hamt_unref (call->before);
  g_object_unref (call->task);
  g_clear_object (&call->cancellable);
  g_main_context_unref (call->caller_context);
  g_object_unref (call->bridge);
  g_free (call);
}

/* On the caller's main context, once the function returned and GTask
 * called back. */
static void
sync_call_complete (SyncCall *call)
{
  AsgirefContext *caller = call->caller;
  g_autoptr(AsgirefContext) copy = NULL;
  gboolean entered = FALSE;
  AsgirefHamt *after;

  /* The caller continues in its own context, with what the callee set;
   * often it is current already (a loop that stays in one context). */
  if (caller != asgiref_context_get_current ())
    {
      if (!_asgiref_context_try_enter (caller))
        {
          caller = copy = asgiref_context_copy (caller);
          asgiref_context_enter (caller);
        }
      entered = TRUE;
    }

  after = _asgiref_context_dup_snapshot (call->callee);
  _asgiref_context_apply_changes (caller, call->before, after);
  _asgiref_hamt_unref (after);

  if (call->callback != NULL)
    call->callback (G_OBJECT (call->bridge), G_ASYNC_RESULT (call->task), call->user_data);

  if (entered)
    asgiref_context_leave (caller);
  sync_call_free (call);
}

static gboolean
sync_call_complete_cb (gpointer data)
{
  _asgiref_main_context_received (data);
  sync_call_complete (data);
  return G_SOURCE_REMOVE;
}

/* GTask's callback, on the caller's main context; for a pool call, on
 * the pool thread, whose loop in pool_run() then hands the call over. */
static void
sync_call_done (GObject      *source_object,
                GAsyncResult *result,
                gpointer      data)
{
  SyncCall *call = data;

  if ((g_atomic_int_or (&call->ends, SYNC_CALL_CALLED_BACK) & SYNC_CALL_RETURNED) &&
      !call->on_pool)
    sync_call_complete (call);
}

/* The function returned, on whatever thread ran it. */
static void
sync_call_returned (SyncCall *call)
{
  if (!(g_atomic_int_or (&call->ends, SYNC_CALL_RETURNED) & SYNC_CALL_CALLED_BACK) ||
      call->on_pool)
    return;

  /* GTask called back first. */
  _asgiref_main_context_post (call->caller_context, "[asgiref] sync_to_async callback",
                              sync_call_complete_cb, call);
}

/* The task @func returns through, made on the thread-default main context:
 * its callback runs there. */
static void
sync_call_new_task (SyncCall *call)
{
  call->task = g_task_new (call->bridge, call->cancellable, sync_call_done, call);
  /* The task does not own task_data: it may be finalized on a worker. */
  g_task_set_task_data (call->task, call->task_data, NULL);
  /* The function, not GIO's macro, which also names the task: on GLib
   * 2.74 a name is copied into the task and again into the source of its
   * completion, a sixteenth of a hop's cost (g_task_set_static_name() only
   * comes with 2.76). The source tag identifies the task. */
  (g_task_set_source_tag) (call->task, asgiref_bridge_sync_to_async);
}

static void
sync_call_run (AsgirefExecutorJob *job)
{
  SyncCall *call = (SyncCall *) job;
  AsgirefSyncFrame *frame = call->on_sync_thread ? call->frame : NULL;
  AsgirefThreadFrame thread_frame;

  _asgiref_tsan_acquire (call);

  asgiref_context_enter (call->callee);

  /* Work started from here learns that this thread is busy with it. */
  if (frame != NULL)
    {
      g_atomic_pointer_set (&frame->thread, g_thread_self ());
      g_atomic_int_set (&frame->running, 1);
    }

  _asgiref_thread_push_sync_frame (&thread_frame);
  call->func (call->task,
              call->bridge,
              call->task_data,
              call->cancellable);
  _asgiref_thread_pop_frame (&thread_frame);

  if (frame != NULL)
    g_atomic_int_set (&frame->running, 0);

  asgiref_context_leave (call->callee);
  sync_call_returned (call);
}

static void
sync_call_reject (AsgirefExecutorJob *job);

/* The shared sync thread, made on first use. It lives as long as the
 * bridge, which every call holds: no reference is taken. */
static AsgirefSyncThread *
bridge_get_shared_thread (AsgirefBridge *self)
{
  AsgirefSyncThread *thread = g_atomic_pointer_get (&self->shared_thread);

  if G_LIKELY (thread != NULL)
    return thread;

  _asgiref_mutex_lock (&self->lock);
  thread = self->shared_thread;
  if (thread == NULL)
    {
      thread = _asgiref_sync_thread_new ("asgiref-sync");
      g_atomic_pointer_set (&self->shared_thread, thread);
    }
  _asgiref_mutex_unlock (&self->lock);

  return thread;
}

static gboolean
would_wait_on_itself (const AsgirefBridgeScope *scope,
                      AsgirefSyncThread        *thread)
{
  /* A sync function on @thread started this work and has not returned;
   * with no async-to-sync wait in between, nothing lets @thread take a new
   * call until it returns, and it may be waiting for this one. */
  return scope != NULL &&
         scope->waiter == NULL &&
         scope->frame != NULL &&
         g_atomic_int_get (&scope->frame->running) &&
         g_atomic_pointer_get (&scope->frame->thread) == _asgiref_sync_thread_get_gthread (thread);
}

/* Hands @call to the thread its thread-sensitive work belongs on. */
static gboolean
route_thread_sensitive (SyncCall  *call,
                        GError   **error)
{
  const AsgirefBridgeScope *scope = call->caller_scope;
  AsgirefWaiter *waiter;
  AsgirefSyncThread *shared;

  call->on_sync_thread = FALSE;
  _asgiref_tsan_release (call);

  /* A thread waiting in async-to-sync for this work serves it. An
   * executor that finishes before running the job rejects it, and
   * sync_call_reject() comes back here. */
  while ((waiter = scope_live_waiter (scope)) != NULL)
    if (_asgiref_waiter_submit (waiter, &call->job))
      return TRUE;

  call->on_sync_thread = TRUE;
  _asgiref_tsan_release (call);

  if (scope != NULL && scope->thread_sensitive != NULL)
    {
      if (would_wait_on_itself (scope, scope->thread_sensitive))
        goto deadlock;
      if (_asgiref_sync_thread_submit (scope->thread_sensitive, &call->job))
        return TRUE;
    }

  shared = bridge_get_shared_thread (call->bridge);
  if (would_wait_on_itself (scope, shared))
    goto deadlock;
  if (_asgiref_sync_thread_submit (shared, &call->job))
    return TRUE;

  g_set_error_literal (error, ASGIREF_ERROR, ASGIREF_ERROR_FINISHED,
                       _("The bridge is shutting down"));
  return FALSE;

deadlock:
  g_set_error_literal (error, ASGIREF_ERROR, ASGIREF_ERROR_DEADLOCK,
                       _("This thread-sensitive call would wait for the thread that is "
                         "waiting for it: a sync function on that thread started this work "
                         "and blocks without async_to_sync"));
  return FALSE;
}

static void
sync_call_fail (SyncCall *call,
                GError   *error)
{
  /* The function will never run. */
  g_atomic_int_or (&call->ends, SYNC_CALL_RETURNED);
  g_task_return_error (call->task, error);
}

static void
sync_call_reject (AsgirefExecutorJob *job)
{
  SyncCall *call = (SyncCall *) job;
  GError *error = NULL;

  if (!route_thread_sensitive (call, &error))
    sync_call_fail (call, error);
}

/* A main context for each pool thread, which it owns for its life. */
static void
pool_context_free (gpointer data)
{
  g_main_context_release (data);
  g_main_context_unref (data);
}

static GPrivate pool_context_key = G_PRIVATE_INIT (pool_context_free);

static GMainContext *
pool_context_get (void)
{
  GMainContext *context = g_private_get (&pool_context_key);

  if (G_UNLIKELY (context == NULL))
    {
      context = g_main_context_new ();
      g_main_context_acquire (context);
      g_private_set (&pool_context_key, context);
    }
  return context;
}

/* Dispatches what is ready on @context, which this thread owns, without
 * polling: nothing there waits for a descriptor. */
static void
pool_context_dispatch (GMainContext *context)
{
  GPollFD fds[4];
  gint max_priority;
  gint timeout;
  gint n;

  g_main_context_prepare (context, &max_priority);
  n = g_main_context_query (context, max_priority, &timeout, fds, G_N_ELEMENTS (fds));
  if (n > (gint) G_N_ELEMENTS (fds))
    {
      /* Not ours to know what else is there: a full iteration. */
      g_main_context_check (context, max_priority, fds, 0);
      g_main_context_iteration (context, FALSE);
      return;
    }
  g_main_context_check (context, max_priority, fds, n);
  g_main_context_dispatch (context);
}

/*
 * A call that is not thread-sensitive, on a pool thread. Its task is made
 * here, on the thread's own main context: GTask completes a task returned
 * from a thread other than its context's through an idle source of that
 * context, which for the caller's context means taking the lock its
 * thread holds for much of each iteration, and writing to its wake-up
 * descriptor. On this thread's context it costs neither: the thread
 * dispatches the completion itself once the function returned, then hands
 * the call to the caller's context with one post.
 */
static void
pool_run (gpointer data)
{
  SyncCall *call = data;
  GMainContext *context = pool_context_get ();

  _asgiref_tsan_acquire (call);
  call->on_pool = TRUE;
  g_main_context_push_thread_default (context);
  sync_call_new_task (call);
  g_main_context_pop_thread_default (context);

  sync_call_run (&call->job);

  /* The function returned; its result, in the usual case, or it passed
   * the task on to return later, from elsewhere: its completion then
   * wakes this context. */
  pool_context_dispatch (context);
  while (!(g_atomic_int_get (&call->ends) & SYNC_CALL_CALLED_BACK))
    g_main_context_iteration (context, TRUE);

  _asgiref_main_context_post (call->caller_context, "[asgiref] sync_to_async callback",
                              sync_call_complete_cb, call);
}

/* @batch: the server's main context, for _asgiref_bridge_sync_to_async_batched() */
static void
sync_to_async (AsgirefBridge       *self,
               GTaskThreadFunc      func,
               gpointer             task_data,
               GDestroyNotify       task_data_destroy,
               AsgirefSyncFlags     flags,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data,
               GMainContext        *batch)
{
  AsgirefBridgeScope *caller_scope;
  AsgirefBridgeScope *callee_scope;
  SyncCall *call;
  GError *error = NULL;

  caller_scope = _asgiref_bridge_scope_get_current ();
  if (cancellable == NULL && caller_scope != NULL)
    cancellable = caller_scope->cancellable;

  call = g_new0 (SyncCall, 1);
  call->job.run = sync_call_run;
  call->job.reject = sync_call_reject;
  call->bridge = g_object_ref (self);
  call->func = func;
  call->task_data = task_data;
  call->task_data_destroy = task_data_destroy;
  call->caller_scope = caller_scope ? _asgiref_bridge_scope_ref (caller_scope) : NULL;
  call->callback = callback;
  call->user_data = user_data;
  call->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  call->caller_context = g_main_context_ref_thread_default ();

  /* What sync code needs to know about where it was called from. */
  callee_scope = _asgiref_bridge_scope_copy (caller_scope);
  g_clear_pointer (&callee_scope->origin, g_main_context_unref);
  callee_scope->origin = g_main_context_ref_thread_default ();
  g_clear_pointer (&callee_scope->origin_waiter, _asgiref_waiter_unref);
  if (caller_scope != NULL && caller_scope->waiter != NULL &&
      _asgiref_waiter_get_main_context (caller_scope->waiter) == callee_scope->origin)
    callee_scope->origin_waiter = _asgiref_waiter_ref (caller_scope->waiter);
  g_set_object (&callee_scope->cancellable, cancellable);
  if (!(flags & ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE))
    {
      /* Replaces the caller's: only a scope with no waiter looks at its
       * frame, and then this call runs on a sync thread, which marks it.
       * In the scope before `before` is taken: the frame is the bridge's,
       * not a value for the caller. */
      call->frame = g_new0 (AsgirefSyncFrame, 1);
      g_atomic_ref_count_init (&call->frame->ref);
      g_clear_pointer (&callee_scope->frame, sync_frame_unref);
      callee_scope->frame = sync_frame_ref (call->frame);
    }

  call->caller = asgiref_context_ref (asgiref_context_get_current ());
  call->callee = context_copy_with_scope (call->caller, callee_scope);
  call->before = _asgiref_context_dup_snapshot (call->callee);

  if (flags & ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE)
    {
      /* The pool thread makes the task (pool_run()). */
      GSource *dispatching = batch != NULL ? g_main_current_source () : NULL;
      gboolean pushed;

      _asgiref_tsan_release (call);
      if (dispatching != NULL && g_source_get_context (dispatching) == batch)
        pushed = _asgiref_worker_pool_push_batched (self->pool, call, batch, &error);
      else
        pushed = _asgiref_worker_pool_push (self->pool, call, &error);
      if (!pushed)
        {
          sync_call_new_task (call);
          sync_call_fail (call, error);
        }
      return;
    }

  sync_call_new_task (call);
  if (!route_thread_sensitive (call, &error))
    sync_call_fail (call, error);
}

/**
 * asgiref_bridge_sync_to_async:
 * @self: a bridge
 * @func: (scope async): the blocking function, which returns its result
 *   through the task it is given
 * @task_data: (nullable): data for @func
 * @task_data_destroy: (nullable): frees @task_data, on the caller's main
 *   context, once both @func and @callback are done with it
 * @flags: how to run @func
 * @cancellable: (nullable): a #GCancellable, handed to @func; when %NULL,
 *   the cancellable of the hop this code runs in, if any
 * @callback: (scope async) (nullable): called on the calling thread's
 *   thread-default main context when @func returned a result
 * @user_data: (closure callback): data for @callback
 *
 * Runs @func on another thread, as [method@Gio.Task.run_in_thread] would,
 * following the bridge's thread rules (see [class@Asgiref.Bridge]): by
 * default on the one thread of thread-sensitive code.
 *
 * @func gets a #GTask, the bridge, @task_data and the cancellable, and
 * returns its result with a `g_task_return_*()` function; @callback gets
 * the same task as its result. Use
 * [method@Asgiref.Bridge.sync_to_async_finish] for a pointer result, or
 * the matching `g_task_propagate_*()` function.
 *
 * @func runs in a copy of the current context. @callback runs in the
 * current context itself, to which the values @func set before returning
 * its result have been applied.
 *
 * A thread-sensitive call that would wait for the very thread waiting on
 * it fails with %ASGIREF_ERROR_DEADLOCK instead.
 */
void
asgiref_bridge_sync_to_async (AsgirefBridge       *self,
                              GTaskThreadFunc      func,
                              gpointer             task_data,
                              GDestroyNotify       task_data_destroy,
                              AsgirefSyncFlags     flags,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (ASGIREF_IS_BRIDGE (self));
  g_return_if_fail (func != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  sync_to_async (self, func, task_data, task_data_destroy, flags, cancellable,
                 callback, user_data, NULL);
}

void
_asgiref_bridge_sync_to_async_batched (AsgirefBridge       *self,
                                       GTaskThreadFunc      func,
                                       gpointer             task_data,
                                       GDestroyNotify       task_data_destroy,
                                       AsgirefSyncFlags     flags,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data,
                                       GMainContext        *context)
{
  sync_to_async (self, func, task_data, task_data_destroy, flags, cancellable,
                 callback, user_data, context);
}

/**
 * asgiref_bridge_sync_to_async_finish:
 * @self: a bridge
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Gets the pointer the function returned with [method@Gio.Task.return_pointer],
 * or its error. For other kinds of result, call the matching
 * `g_task_propagate_*()` function on @result, which is a #GTask.
 *
 * Returns: (transfer full) (nullable): the result
 */
gpointer
asgiref_bridge_sync_to_async_finish (AsgirefBridge  *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  g_return_val_if_fail (ASGIREF_IS_BRIDGE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- async-to-sync ------------------------------------------------------ */

typedef struct
{
  AsgirefBridge *bridge;
  AsgirefAsyncFunc func;
  gpointer task_data;
  GDestroyNotify task_data_destroy;
  GCancellable *cancellable;
  AsgirefWaiter *waiter;
  AsgirefContext *context;   /* the operation's */
  AsgirefHamt *after;        /* handed over with the result */
} AsyncCall;

static void
async_call_done (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      data)
{
  AsyncCall *call = data;

  call->after = _asgiref_context_dup_snapshot (call->context);
  /* Waking the waiting thread hands it call->after too. */
  _asgiref_waiter_set_result (call->waiter, result);
}

static gboolean
async_call_start (gpointer data)
{
  AsyncCall *call = data;
  GTask *task;

  _asgiref_main_context_received (call);

  asgiref_context_enter (call->context);
  task = g_task_new (call->bridge, call->cancellable, async_call_done, call);
  g_task_set_task_data (task, g_steal_pointer (&call->task_data),
                        g_steal_pointer (&call->task_data_destroy));
  /* Unnamed, as sync_to_async's task. */
  (g_task_set_source_tag) (task, asgiref_bridge_async_to_sync);
  call->func (task, call->bridge, g_task_get_task_data (task), call->cancellable);
  asgiref_context_leave (call->context);
  g_object_unref (task);

  return G_SOURCE_REMOVE;
}

/* A task that failed with @error, completed, on the calling thread. */
static GAsyncResult *
failed_task (AsgirefBridge *self,
             GError        *error)
{
  g_autoptr(GMainContext) main_context = g_main_context_new ();
  GTask *task;

  /* GTask completes through an idle of its main context: give it one to
   * run there now, so nothing is left pending on the caller's. */
  g_main_context_push_thread_default (main_context);
  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_source_tag (task, asgiref_bridge_async_to_sync);
  g_task_return_error (task, error);
  while (!g_task_get_completed (task))
    g_main_context_iteration (main_context, TRUE);
  g_main_context_pop_thread_default (main_context);

  return G_ASYNC_RESULT (task);
}

/**
 * asgiref_bridge_async_to_sync:
 * @self: a bridge
 * @func: (scope call): starts the asynchronous operation and completes the
 *   task it is given
 * @task_data: (nullable): data for @func, owned by the task
 * @task_data_destroy: (nullable): frees @task_data with the task
 * @cancellable: (nullable): a #GCancellable handed to @func; when %NULL,
 *   the cancellable of the hop this code runs in, if any
 *
 * Runs an asynchronous operation from blocking code and waits for it.
 *
 * When the calling code was itself started by
 * [method@Asgiref.Bridge.sync_to_async] from a main loop, @func runs on
 * that loop's main context, where the async code it uses lives. Otherwise
 * (a plain thread, a command-line tool, a test) it runs on a private main
 * context that the calling thread iterates. Either way, the calling thread
 * meanwhile runs the thread-sensitive sync code that the operation calls.
 *
 * Called from async code, that is from a thread that is dispatching a main
 * loop, this would block that loop: it fails at once with
 * %ASGIREF_ERROR_DEADLOCK. Call the async function directly there.
 *
 * @func runs in a copy of the current context, and what the operation
 * changed in it is applied to the current context before this returns.
 *
 * Returns: (transfer full): the completed #GTask of the operation: get its
 *   result with the `g_task_propagate_*()` function matching how @func
 *   returned it. Errors of the bridge itself come the same way.
 */
GAsyncResult *
asgiref_bridge_async_to_sync (AsgirefBridge    *self,
                              AsgirefAsyncFunc  func,
                              gpointer          task_data,
                              GDestroyNotify    task_data_destroy,
                              GCancellable     *cancellable)
{
  AsgirefBridgeScope *scope;
  AsgirefBridgeScope *operation_scope;
  g_autoptr(GMainContext) private_context = NULL;
  GMainContext *target;
  AsyncCall call = { 0 };
  AsgirefHamt *before;
  GAsyncResult *result;

  g_return_val_if_fail (ASGIREF_IS_BRIDGE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  if (_asgiref_thread_in_async_code ())
    {
      if (task_data_destroy != NULL)
        task_data_destroy (task_data);
      return failed_task (self, g_error_new_literal (ASGIREF_ERROR, ASGIREF_ERROR_DEADLOCK,
                                                     _("async_to_sync was called from a thread that is running a "
                                                       "main loop, which it would block: call the async function "
                                                       "directly")));
    }

  scope = _asgiref_bridge_scope_get_current ();
  if (cancellable == NULL && scope != NULL)
    cancellable = scope->cancellable;

  /* The wait iterates a main context of its own, which also runs the
   * operation when there is no loop to run it on. */
  private_context = g_main_context_new ();
  g_main_context_push_thread_default (private_context);

  target = private_context;
  if (scope != NULL && scope->origin != NULL &&
      !g_main_context_is_owner (scope->origin) &&
      (scope->origin_waiter == NULL || !_asgiref_waiter_get_finished (scope->origin_waiter)))
    target = scope->origin;

  call.bridge = self;
  call.func = func;
  call.task_data = task_data;
  call.task_data_destroy = task_data_destroy;
  call.cancellable = cancellable;
  call.waiter = _asgiref_waiter_new (scope_live_waiter (scope));

  operation_scope = _asgiref_bridge_scope_copy (scope);
  g_clear_pointer (&operation_scope->waiter, _asgiref_waiter_unref);
  operation_scope->waiter = _asgiref_waiter_ref (call.waiter);
  g_set_object (&operation_scope->cancellable, cancellable);
  call.context = context_copy_with_scope (asgiref_context_get_current (), operation_scope);
  before = _asgiref_context_dup_snapshot (call.context);

  if (target == private_context)
    {
      /* Ours to run: start it here, as the async code it is. */
      AsgirefThreadFrame thread_frame;

      _asgiref_thread_push_async_frame (&thread_frame);
      async_call_start (&call);
      _asgiref_thread_pop_frame (&thread_frame);
    }
  else
    _asgiref_main_context_post (target, "[asgiref] async_to_sync start",
                                async_call_start, &call);

  result = _asgiref_waiter_wait (call.waiter);
  g_main_context_pop_thread_default (private_context);

  _asgiref_context_apply_changes (asgiref_context_get_current (), before, call.after);

  _asgiref_hamt_unref (before);
  _asgiref_hamt_unref (call.after);
  asgiref_context_unref (call.context);
  _asgiref_waiter_unref (call.waiter);

  return result;
}

/* ---- The bridge --------------------------------------------------------- */

static void
asgiref_bridge_constructed (GObject *object)
{
  AsgirefBridge *self = ASGIREF_BRIDGE (object);

  G_OBJECT_CLASS (asgiref_bridge_parent_class)->constructed (object);

  self->pool = _asgiref_worker_pool_new ("asgiref-worker", self->max_threads, pool_run);
}

static void
asgiref_bridge_finalize (GObject *object)
{
  AsgirefBridge *self = ASGIREF_BRIDGE (object);

  /* Calls hold a reference to the bridge: nothing is queued any more. */
  _asgiref_worker_pool_free (self->pool);
  g_clear_pointer (&self->shared_thread, _asgiref_sync_thread_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (asgiref_bridge_parent_class)->finalize (object);
}

static void
asgiref_bridge_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  AsgirefBridge *self = ASGIREF_BRIDGE (object);

  switch (prop_id)
    {
    case PROP_MAX_THREADS:
      g_value_set_uint (value, self->max_threads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_bridge_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  AsgirefBridge *self = ASGIREF_BRIDGE (object);

  switch (prop_id)
    {
    case PROP_MAX_THREADS:
      self->max_threads = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
asgiref_bridge_class_init (AsgirefBridgeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = asgiref_bridge_constructed;
  object_class->finalize = asgiref_bridge_finalize;
  object_class->get_property = asgiref_bridge_get_property;
  object_class->set_property = asgiref_bridge_set_property;

  /**
   * AsgirefBridge:max-threads:
   *
   * How many threads may run sync functions that are not thread-sensitive
   * at once. Calls beyond that wait their turn; GTask's own pool and the
   * thread of thread-sensitive code are never used for them, so they
   * cannot starve either.
   */
  properties[PROP_MAX_THREADS] =
    g_param_spec_uint ("max-threads", NULL, NULL,
                       1, 1024, 16,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
asgiref_bridge_init (AsgirefBridge *self)
{
  g_mutex_init (&self->lock);
}

/**
 * asgiref_bridge_new:
 * @max_threads: how many functions that are not thread-sensitive may run
 *   at once, at least 1
 *
 * Creates a bridge with threads of its own. Most programs use
 * [func@Asgiref.Bridge.get_default] instead: thread-sensitive code is only
 * guaranteed one thread per bridge.
 *
 * Returns: (transfer full): a new bridge
 */
AsgirefBridge *
asgiref_bridge_new (guint max_threads)
{
  g_return_val_if_fail (max_threads >= 1, NULL);

  return g_object_new (ASGIREF_TYPE_BRIDGE, "max-threads", max_threads, NULL);
}

/**
 * asgiref_bridge_get_default:
 *
 * Gets the bridge of the process, created on first use with
 * [property@Asgiref.Bridge:max-threads] at 16.
 *
 * Returns: (transfer none): the default bridge
 */
AsgirefBridge *
asgiref_bridge_get_default (void)
{
  static gsize once;
  static AsgirefBridge *bridge;

  if (g_once_init_enter (&once))
    {
      bridge = asgiref_bridge_new (16);
      g_once_init_leave (&once, 1);
    }
  return bridge;
}

/**
 * asgiref_bridge_get_max_threads:
 * @self: a bridge
 *
 * Gets how many sync functions that are not thread-sensitive may run at
 * once.
 *
 * Returns: the bound of the pool
 */
guint
asgiref_bridge_get_max_threads (AsgirefBridge *self)
{
  g_return_val_if_fail (ASGIREF_IS_BRIDGE (self), 0);

  return self->max_threads;
}
