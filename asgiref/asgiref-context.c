/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-context-private.h"
#include "asgiref-i18n-private.h"
#include "asgiref-local-store-private.h"
#include "asgiref-lock-private.h"

/**
 * AsgirefContext:
 *
 * A set of context-local values that follows work across threads and
 * callbacks, like Python's `contextvars.Context`.
 *
 * A context is a small handle on an immutable snapshot of values (a
 * persistent hash trie). Copying a context is O(1): the copy shares the
 * snapshot. Setting a value while a context is current gives that context
 * a new snapshot that shares every untouched entry with the old one, so
 * copies taken earlier keep seeing what they saw. That is what lets a
 * child inherit its parent's values without ever seeing the parent's later
 * writes, and without the parent ever seeing the child's.
 *
 * Every thread has a current context. Until something is entered it is
 * the thread's own root context, which starts empty. Values are read and
 * written through [class@Asgiref.Local]; this type decides *where* they
 * live:
 *
 * ```c
 * static AsgirefLocal *request_local;
 *
 * static void
 * handle_request (gpointer user_data)
 * {
 *   asgiref_local_set_pointer (request_local, "user", g_strdup (user_data), g_free);
 *   // ... code called from here sees "user", code outside does not
 * }
 *
 * g_autoptr(AsgirefContext) context = asgiref_context_capture ();
 * asgiref_context_run (context, handle_request, "alice");
 * ```
 *
 * GLib has no hook that runs when a callback is queued, so the library
 * carries the context across its own hops, and three helpers carry it
 * across user callbacks: `asgiref_context_bind_async_ready()` (with the
 * `ASGIREF_CONTEXT_ASYNC_READY()` macro) for GIO callbacks and
 * [func@Asgiref.Context.create_task] for tasks run the callback in the
 * context current when the operation started, itself, since the callback
 * continues that work; [func@Asgiref.Context.source_set_callback] runs a
 * source's dispatches in a copy taken when it is set, since a source is new
 * work of its own, as Python's `loop.call_soon()` copies the context.
 *
 * A context may be entered any number of times by one thread, but by only
 * one thread at a time; copies are cheap, so give each thread its own.
 */

struct _AsgirefContext
{
  gatomicrefcount ref;

  /* Written only by the thread in entered_by, under lock, so that other
   * threads can copy a consistent snapshot while the owner reads without
   * taking the lock. */
  GMutex lock;
  AsgirefHamt *snapshot;

  /* Which thread has the context entered, and how often; depth belongs to
   * that thread. */
  GThread *entered_by;
  guint depth;
};

G_DEFINE_BOXED_TYPE (AsgirefContext, asgiref_context, asgiref_context_ref, asgiref_context_unref)

typedef struct
{
  guint64 id;
  AsgirefContext *current;    /* strong; the root when nothing is entered */
  GPtrArray *outer;           /* contexts to restore on leave, strong */
  AsgirefHamt *thread_values; /* thread-critical values of a plain thread */
  AsgirefThreadFrame *frame;  /* innermost; see _asgiref_thread_in_async_code() */
} ThreadState;

static void
thread_state_free (gpointer data)
{
  ThreadState *state = data;

  /* A thread that exits inside a context still owns what it entered. */
  while (state->outer->len > 0)
    {
      AsgirefContext *context = state->current;

      context->depth = 0;
      g_atomic_pointer_set (&context->entered_by, NULL);
      asgiref_context_unref (context);
      state->current = g_ptr_array_steal_index (state->outer, state->outer->len - 1);
    }

  g_atomic_pointer_set (&state->current->entered_by, NULL);
  asgiref_context_unref (state->current);
  g_ptr_array_unref (state->outer);
  _asgiref_hamt_unref (state->thread_values);
  g_free (state);
}

static GPrivate thread_state_key = G_PRIVATE_INIT (thread_state_free);

static AsgirefContext *
context_alloc (AsgirefHamt *snapshot)
{
  AsgirefContext *self = g_new0 (AsgirefContext, 1);

  g_atomic_ref_count_init (&self->ref);
  g_mutex_init (&self->lock);
  self->snapshot = snapshot;
  /* New contexts are often handed to another thread through GLib (a source,
   * a task), which TSan cannot see; entering acquires this. */
  _asgiref_tsan_release (self);
  return self;
}

static ThreadState *
thread_state_get (void)
{
  static gsize last_id = 0;
  ThreadState *state = g_private_get (&thread_state_key);

  if G_LIKELY (state != NULL)
    return state;

  state = g_new0 (ThreadState, 1);
  state->id = (guint64) g_atomic_pointer_add (&last_id, 1) + 1;
  state->current = context_alloc (NULL);
  state->current->entered_by = g_thread_self ();
  state->current->depth = 1;
  state->outer = g_ptr_array_new ();
  g_private_set (&thread_state_key, state);
  return state;
}

/**
 * asgiref_context_new:
 *
 * Creates an empty context, as a new thread starts with.
 *
 * Most code wants [func@Asgiref.Context.capture] instead, which keeps the
 * values of the current context.
 *
 * Returns: (transfer full): a new empty context
 */
AsgirefContext *
asgiref_context_new (void)
{
  return context_alloc (NULL);
}

/**
 * asgiref_context_ref:
 * @self: a context
 *
 * Takes a reference. Thread-safe.
 *
 * Returns: (transfer full): @self
 */
AsgirefContext *
asgiref_context_ref (AsgirefContext *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref);
  return self;
}

/**
 * asgiref_context_unref:
 * @self: (transfer full): a context
 *
 * Drops a reference. When the last one goes, the values that no other
 * context shares are freed, on the calling thread.
 */
void
asgiref_context_unref (AsgirefContext *self)
{
  g_return_if_fail (self != NULL);

  /* The uninstrumented GLib hides from TSan that every other thread's
   * last use comes before the free on the thread that drops the last
   * reference. */
  _asgiref_tsan_release (self);
  if (!g_atomic_ref_count_dec (&self->ref))
    return;
  _asgiref_tsan_acquire (self);

  _asgiref_hamt_unref (self->snapshot);
  g_mutex_clear (&self->lock);
  g_free (self);
}

AsgirefContext *
_asgiref_context_new_for_snapshot (AsgirefHamt *snapshot)
{
  return context_alloc (snapshot);
}

AsgirefHamt *
_asgiref_context_dup_snapshot (AsgirefContext *self)
{
  AsgirefHamt *snapshot;

  /* Reading our own current context needs no lock: nobody else writes it. */
  if (g_atomic_pointer_get (&self->entered_by) == g_thread_self ())
    return _asgiref_hamt_ref (self->snapshot);

  _asgiref_mutex_lock (&self->lock);
  snapshot = _asgiref_hamt_ref (self->snapshot);
  _asgiref_mutex_unlock (&self->lock);
  return snapshot;
}

/**
 * asgiref_context_copy:
 * @self: a context
 *
 * Makes a new context holding the values @self holds now. Neither sees
 * what the other sets afterwards. This costs one allocation whatever the
 * number of values, and may be called from any thread.
 *
 * Returns: (transfer full): the copy
 */
AsgirefContext *
asgiref_context_copy (AsgirefContext *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return context_alloc (_asgiref_context_dup_snapshot (self));
}

/**
 * asgiref_context_get_current:
 *
 * Returns the calling thread's current context: the innermost one entered
 * with [method@Asgiref.Context.run] or [method@Asgiref.Context.enter], or
 * else the thread's root context.
 *
 * Returns: (transfer none): the current context, valid until the thread
 *   leaves it
 */
AsgirefContext *
asgiref_context_get_current (void)
{
  return thread_state_get ()->current;
}

/**
 * asgiref_context_capture:
 *
 * Copies the current context, to run work in later, on this or another
 * thread, with the values set now. Equivalent to Python's
 * `contextvars.copy_context()`.
 *
 * Returns: (transfer full): a copy of the current context
 */
AsgirefContext *
asgiref_context_capture (void)
{
  return asgiref_context_copy (asgiref_context_get_current ());
}

/**
 * asgiref_context_enter:
 * @self: a context
 *
 * Makes @self the calling thread's current context until the matching
 * [method@Asgiref.Context.leave]. Values set meanwhile are stored in @self.
 *
 * Entering is re-entrant on one thread. Entering a context that another
 * thread has entered is a programmer error: the call is refused with a
 * critical warning, as Python's contextvars refuses it. Copy the context
 * instead.
 *
 * Prefer [method@Asgiref.Context.run], which cannot be left unbalanced.
 */
gboolean
_asgiref_context_try_enter (AsgirefContext *self)
{
  ThreadState *state = thread_state_get ();
  GThread *self_thread = g_thread_self ();

  if (g_atomic_pointer_get (&self->entered_by) != self_thread &&
      !g_atomic_pointer_compare_and_exchange (&self->entered_by, NULL, self_thread))
    return FALSE;

  _asgiref_tsan_acquire (self);
  self->depth++;
  g_ptr_array_add (state->outer, state->current);
  state->current = asgiref_context_ref (self);
  return TRUE;
}

void
asgiref_context_enter (AsgirefContext *self)
{
  g_return_if_fail (self != NULL);

  if (!_asgiref_context_try_enter (self))
    g_critical ("%s", _("Cannot enter a context that another thread has entered; "
                        "give each thread a copy (asgiref_context_copy)"));
}

/**
 * asgiref_context_leave:
 * @self: the current context
 *
 * Ends the matching [method@Asgiref.Context.enter] and restores the
 * context that was current before it.
 */
void
asgiref_context_leave (AsgirefContext *self)
{
  ThreadState *state;

  g_return_if_fail (self != NULL);

  state = thread_state_get ();

  if (state->current != self || state->outer->len == 0)
    {
      g_critical ("%s", _("Cannot leave a context that is not the current one"));
      return;
    }

  state->current = g_ptr_array_steal_index (state->outer, state->outer->len - 1);
  if (--self->depth == 0)
    g_atomic_pointer_set (&self->entered_by, NULL);
  asgiref_context_unref (self);
}

/**
 * asgiref_context_run:
 * @self: a context
 * @func: (scope call): the function to run
 * @user_data: (closure func): its data
 *
 * Runs @func on the calling thread with @self as the current context.
 * Values it sets stay in @self and never reach the context that was
 * current before, which is current again when this returns.
 *
 * The rules of [method@Asgiref.Context.enter] apply.
 */
void
asgiref_context_run (AsgirefContext     *self,
                     AsgirefContextFunc  func,
                     gpointer            user_data)
{
  ThreadState *state;

  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);

  state = thread_state_get ();
  asgiref_context_enter (self);
  if (state->current != self)
    return;
  func (user_data);
  asgiref_context_leave (self);
}

/**
 * asgiref_context_get_size:
 * @self: a context
 *
 * Counts the entries in the context: every value of every Local, plus one
 * marker for each Local initialised in it. Meant for tests and debugging.
 *
 * Returns: the number of entries
 */
guint
asgiref_context_get_size (AsgirefContext *self)
{
  AsgirefHamt *snapshot;
  guint size;

  g_return_val_if_fail (self != NULL, 0);

  snapshot = _asgiref_context_dup_snapshot (self);
  size = _asgiref_hamt_size (snapshot);
  _asgiref_hamt_unref (snapshot);
  return size;
}

AsgirefHamt *
_asgiref_context_peek_current_snapshot (void)
{
  return thread_state_get ()->current->snapshot;
}

void
_asgiref_context_replace_current_snapshot (AsgirefHamt *snapshot)
{
  AsgirefContext *current = thread_state_get ()->current;
  AsgirefHamt *old;

  _asgiref_mutex_lock (&current->lock);
  old = current->snapshot;
  current->snapshot = snapshot;
  _asgiref_mutex_unlock (&current->lock);

  /* Outside the lock: this may run destroy notifies. */
  _asgiref_hamt_unref (old);
}

AsgirefHamt *
_asgiref_thread_peek_snapshot (void)
{
  return thread_state_get ()->thread_values;
}

void
_asgiref_thread_replace_snapshot (AsgirefHamt *snapshot)
{
  ThreadState *state = thread_state_get ();
  AsgirefHamt *old = state->thread_values;

  state->thread_values = snapshot;
  _asgiref_hamt_unref (old);
}

guint64
_asgiref_thread_get_id (void)
{
  return thread_state_get ()->id;
}

typedef struct
{
  AsgirefContext *context;
  GAsyncReadyCallback callback;
  gpointer user_data;
} BoundCallback;

/**
 * asgiref_context_bind_async_ready: (skip)
 * @callback: (nullable): the callback to run later
 * @user_data: its data
 *
 * Binds @callback to the current context. Pass the result as the user data
 * of a GIO `_async` call whose callback is
 * `asgiref_context_async_ready()`; @callback then runs in that very
 * context, not a copy: a callback continues the work that started the
 * operation, as code after an `await` continues a Python task, so values
 * it sets are seen by whatever else runs in the context afterwards. The
 * `ASGIREF_CONTEXT_ASYNC_READY()` macro writes both arguments.
 *
 * Should another thread have the context entered when the callback runs,
 * the callback runs in a copy of it instead.
 *
 * The binding is freed when the callback has run, which a GIO async
 * operation guarantees happens exactly once. Bindings (Python, GJS) use
 * [func@Asgiref.Context.create_task] instead.
 *
 * A thread that entered no context runs in its own root context, which it
 * keeps entered until it exits: while it lives, a callback bound there and
 * run on another thread runs in a copy.
 *
 * Returns: (transfer full): the binding
 */
gpointer
asgiref_context_bind_async_ready (GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  BoundCallback *bound = g_new (BoundCallback, 1);

  bound->context = asgiref_context_ref (asgiref_context_get_current ());
  bound->callback = callback;
  bound->user_data = user_data;
  return bound;
}

/**
 * asgiref_context_async_ready: (skip)
 * @source_object: (nullable): the source object of the operation
 * @result: its result
 * @bound: (transfer full): what `asgiref_context_bind_async_ready()`
 *   returned
 *
 * The #GAsyncReadyCallback that runs a bound callback in its context.
 */
void
asgiref_context_async_ready (GObject      *source_object,
                             GAsyncResult *result,
                             gpointer      bound)
{
  BoundCallback *self = bound;

  g_return_if_fail (self != NULL);

  if (self->callback != NULL)
    {
      AsgirefContext *context = self->context;
      g_autoptr(AsgirefContext) copy = NULL;

      if (!_asgiref_context_try_enter (context))
        {
          context = copy = asgiref_context_copy (context);
          asgiref_context_enter (context);
        }
      self->callback (source_object, result, self->user_data);
      asgiref_context_leave (context);
    }

  asgiref_context_unref (self->context);
  g_free (self);
}

/**
 * asgiref_context_create_task:
 * @source_object: (type GObject) (nullable): the task's source object
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (nullable): called when the task completes
 * @user_data: (closure callback): its data
 *
 * Creates a #GTask, as [ctor@Gio.Task.new] does, whose @callback runs in
 * the context that is current now rather than in whatever context the
 * thread that completes the task happens to be in; see
 * `asgiref_context_bind_async_ready()`.
 *
 * Returns: (transfer full): the new task
 */
GTask *
asgiref_context_create_task (gpointer             source_object,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_val_if_fail (source_object == NULL || G_IS_OBJECT (source_object), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  if (callback == NULL)
    return g_task_new (source_object, cancellable, NULL, NULL);

  return g_task_new (source_object, cancellable,
                     ASGIREF_CONTEXT_ASYNC_READY (callback, user_data));
}

typedef struct
{
  gpointer user_data;
  GDestroyNotify notify;
} DataNotify;

static void
data_notify_invoke (gpointer  data,
                    GClosure *closure)
{
  DataNotify *self = data;

  self->notify (self->user_data);
  g_free (self);
}

static void
closure_enter_context (gpointer  data,
                       GClosure *closure)
{
  asgiref_context_enter (data);
}

static void
closure_leave_context (gpointer  data,
                       GClosure *closure)
{
  asgiref_context_leave (data);
}

static void
closure_unref_context (gpointer  data,
                       GClosure *closure)
{
  asgiref_context_unref (data);
}

/**
 * asgiref_context_source_set_callback:
 * @source: a #GSource
 * @func: (scope notified) (closure user_data) (destroy notify): the
 *   callback, with the signature @source's type calls
 * @user_data: its data
 * @notify: (nullable): frees @user_data when the source lets go of it
 *
 * Sets the callback of @source, as [method@GLib.Source.set_callback] does,
 * so that every dispatch runs in a copy of the context current now. The
 * dispatches share that copy: a value set in one is seen by the next.
 *
 * Any source type that accepts a closure works, which is every source
 * GLib and GIO create (idle, timeout, I/O, child watch, Unix signal,
 * cancellable, socket and pollable stream sources); @func receives the
 * arguments that type passes, cast with [func@GLib.SOURCE_FUNC] as usual.
 */
void
asgiref_context_source_set_callback (GSource        *source,
                                     GSourceFunc     func,
                                     gpointer        user_data,
                                     GDestroyNotify  notify)
{
  AsgirefContext *context;
  GClosure *closure;

  g_return_if_fail (source != NULL);
  g_return_if_fail (func != NULL);

  closure = g_cclosure_new (G_CALLBACK (func), user_data, NULL);
  if (notify != NULL)
    {
      DataNotify *data_notify = g_new (DataNotify, 1);

      data_notify->user_data = user_data;
      data_notify->notify = notify;
      g_closure_add_finalize_notifier (closure, data_notify, data_notify_invoke);
    }

  context = asgiref_context_capture ();
  g_closure_add_marshal_guards (closure,
                                context, closure_enter_context,
                                context, closure_leave_context);
  g_closure_add_finalize_notifier (closure, context, closure_unref_context);

  /* The source takes the floating reference. */
  g_source_set_closure (source, closure);
}

void
_asgiref_context_apply_changes (AsgirefContext    *self,
                                const AsgirefHamt *before,
                                const AsgirefHamt *after)
{
  AsgirefHamt *old;
  AsgirefHamt *new;

  g_assert (self->entered_by == g_thread_self ());

  /* Most hops change nothing: no new snapshot, no lock. */
  if (before == after)
    return;

  new = _asgiref_slots_apply_changes (self->snapshot, before, after);
  _asgiref_mutex_lock (&self->lock);
  old = self->snapshot;
  self->snapshot = new;
  _asgiref_mutex_unlock (&self->lock);
  _asgiref_hamt_unref (old);
}

/*
 * Async code is what runs from a main-context dispatch. Each frame records
 * the dispatch depth from which on code counts as async again: a sync frame
 * the current depth (only deeper dispatches are async), an async frame one
 * less (code right here is async, dispatch or not). Frames live on the
 * stack of the code that pushes them.
 */
static void
push_frame (AsgirefThreadFrame *frame,
            gint                depth)
{
  ThreadState *state = thread_state_get ();

  frame->depth = depth;
  frame->outer = state->frame;
  state->frame = frame;
}

void
_asgiref_thread_push_sync_frame (AsgirefThreadFrame *frame)
{
  push_frame (frame, g_main_depth ());
}

void
_asgiref_thread_push_async_frame (AsgirefThreadFrame *frame)
{
  push_frame (frame, g_main_depth () - 1);
}

void
_asgiref_thread_pop_frame (AsgirefThreadFrame *frame)
{
  ThreadState *state = thread_state_get ();

  g_assert (state->frame == frame);
  state->frame = frame->outer;
}

gboolean
_asgiref_thread_in_async_code (void)
{
  AsgirefThreadFrame *frame = thread_state_get ()->frame;

  return g_main_depth () > (frame != NULL ? frame->depth : 0);
}

gboolean
_asgiref_thread_runs_sync_code (void)
{
  AsgirefThreadFrame *frame = thread_state_get ()->frame;

  return frame != NULL && g_main_depth () <= frame->depth;
}
