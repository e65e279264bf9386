/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-lock-private.h"
#include "asgiref-waiter-private.h"

struct _AsgirefWaiter
{
  gatomicrefcount ref;

  /* Fixed at construction. The main context is kept for the waiter's
   * whole life, as an executor keeps its own: the bridge compares it with
   * other main contexts, and a freed one's address could come back. */
  AsgirefWaiter *outer;
  GThread *owner;             /* not a reference: only compared, while it waits */
  GMainContext *main_context;

  GMutex lock;
  /* Under lock. */
  GAsyncResult *result;
  AsgirefExecutor *executor;  /* made by the first submission */
  gboolean finished;
};

AsgirefWaiter *
_asgiref_waiter_new (AsgirefWaiter *outer)
{
  AsgirefWaiter *self = g_new0 (AsgirefWaiter, 1);

  g_atomic_ref_count_init (&self->ref);
  g_mutex_init (&self->lock);
  self->outer = outer != NULL ? _asgiref_waiter_ref (outer) : NULL;
  self->owner = g_thread_self ();
  self->main_context = g_main_context_ref_thread_default ();
  return self;
}

AsgirefWaiter *
_asgiref_waiter_ref (AsgirefWaiter *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
_asgiref_waiter_unref (AsgirefWaiter *self)
{
  /* Scopes holding waiters are dropped on any thread, and TSan cannot see
   * the atomics of the uninstrumented GLib refcount. */
  _asgiref_tsan_release (self);
  if (!g_atomic_ref_count_dec (&self->ref))
    return;
  _asgiref_tsan_acquire (self);

  /* The wait emptied these, unless the waiter never waited. */
  g_clear_object (&self->result);
  g_clear_pointer (&self->executor, _asgiref_executor_unref);
  g_clear_pointer (&self->outer, _asgiref_waiter_unref);
  g_main_context_unref (self->main_context);
  g_mutex_clear (&self->lock);
  g_free (self);
}

AsgirefWaiter *
_asgiref_waiter_get_outer (AsgirefWaiter *self)
{
  return self->outer;
}

GMainContext *
_asgiref_waiter_get_main_context (AsgirefWaiter *self)
{
  return self->main_context;
}

gboolean
_asgiref_waiter_get_finished (AsgirefWaiter *self)
{
  gboolean finished;

  _asgiref_mutex_lock (&self->lock);
  finished = self->finished;
  _asgiref_mutex_unlock (&self->lock);
  return finished;
}

gboolean
_asgiref_waiter_submit (AsgirefWaiter      *self,
                        AsgirefExecutorJob *job)
{
  gboolean submitted;

  _asgiref_mutex_lock (&self->lock);
  if (self->finished)
    {
      _asgiref_mutex_unlock (&self->lock);
      return FALSE;
    }

  /* Its source, attached now, wakes the waiting thread and runs the job
   * there. The executor stays unowned: nobody waits on it but through
   * this waiter, which finishes it. */
  if (self->executor == NULL)
    self->executor = _asgiref_executor_new_unowned (self->main_context);
  submitted = _asgiref_executor_submit (self->executor, job);
  _asgiref_mutex_unlock (&self->lock);

  /* Only the wait finishes the executor, and it marks the waiter finished
   * first, under the lock. */
  g_assert (submitted);
  return TRUE;
}

void
_asgiref_waiter_set_result (AsgirefWaiter *self,
                            GAsyncResult  *result)
{
  _asgiref_mutex_lock (&self->lock);
  g_assert (self->result == NULL);
  self->result = g_object_ref (result);
  /* Under the lock, before the waiting thread can see the result and go
   * away. The owner itself hands it in from a dispatch of its own wait,
   * which looks for it next anyway: no need to wake it. */
  if (self->owner != g_thread_self ())
    g_main_context_wakeup (self->main_context);
  _asgiref_mutex_unlock (&self->lock);
}

GAsyncResult *
_asgiref_waiter_wait (AsgirefWaiter *self)
{
  AsgirefExecutor *executor;
  GAsyncResult *result;

  g_assert (self->owner == g_thread_self ());

  for (;;)
    {
      _asgiref_mutex_lock (&self->lock);
      result = g_steal_pointer (&self->result);
      _asgiref_mutex_unlock (&self->lock);

      if (result != NULL)
        break;

      /* A wake-up that came after the check above is still pending in the
       * main context, so this returns at once then. */
      g_main_context_iteration (self->main_context, TRUE);
    }

  _asgiref_mutex_lock (&self->lock);
  self->finished = TRUE;
  executor = g_steal_pointer (&self->executor);
  _asgiref_mutex_unlock (&self->lock);

  /* Work submitted before the result came still runs before the wait
   * returns, as with an executor's own wait. */
  if (executor != NULL)
    {
      _asgiref_executor_finish_running (executor);
      _asgiref_executor_unref (executor);
    }

  return result;
}
