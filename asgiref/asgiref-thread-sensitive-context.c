/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-bridge-private.h"
#include "asgiref-i18n-private.h"
#include "asgiref-lock-private.h"
#include "asgiref-thread-sensitive-context.h"

/**
 * AsgirefThreadSensitiveContext:
 *
 * Gives the thread-sensitive sync code of a piece of work a thread of its
 * own, instead of the one thread the whole process shares: asgiref's
 * `ThreadSensitiveContext`.
 *
 * A server can enter one per request, so that the thread-sensitive code of
 * one request runs on one thread, and slow requests do not queue behind
 * each other:
 *
 * ```c
 * g_autoptr(AsgirefThreadSensitiveContext) tsc = asgiref_thread_sensitive_context_new ();
 *
 * asgiref_thread_sensitive_context_enter (tsc);
 * // Every thread-sensitive sync_to_async call started from here, and from
 * // work started from here, runs on the thread of tsc.
 * asgiref_bridge_sync_to_async (bridge, handle_request, ...);
 * asgiref_thread_sensitive_context_leave (tsc);
 * ```
 *
 * Entering one stores it in the current [struct@Asgiref.Context], so it
 * reaches work started from that context however it travels. Entering one
 * inside another uses the outer one's thread. The thread starts with the
 * first call that needs it and ends, without anyone waiting for it, once
 * the object is gone and no work is left for it.
 */

struct _AsgirefThreadSensitiveContext
{
  GObject parent_instance;

  /* Under lock: the thread, created on first enter, and what each enter
   * replaced in its context, for leave to restore. */
  GMutex lock;
  AsgirefSyncThread *thread;
  GPtrArray *saved;
};

G_DEFINE_FINAL_TYPE (AsgirefThreadSensitiveContext, asgiref_thread_sensitive_context, G_TYPE_OBJECT)

static void
saved_scope_free (gpointer data)
{
  if (data != NULL)
    _asgiref_bridge_scope_unref (data);
}

static void
asgiref_thread_sensitive_context_finalize (GObject *object)
{
  AsgirefThreadSensitiveContext *self = ASGIREF_THREAD_SENSITIVE_CONTEXT (object);

  g_clear_pointer (&self->thread, _asgiref_sync_thread_unref);
  g_ptr_array_unref (self->saved);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (asgiref_thread_sensitive_context_parent_class)->finalize (object);
}

static void
asgiref_thread_sensitive_context_class_init (AsgirefThreadSensitiveContextClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = asgiref_thread_sensitive_context_finalize;
}

static void
asgiref_thread_sensitive_context_init (AsgirefThreadSensitiveContext *self)
{
  g_mutex_init (&self->lock);
  self->saved = g_ptr_array_new_with_free_func (saved_scope_free);
}

/**
 * asgiref_thread_sensitive_context_new:
 *
 * Creates a thread-sensitive context. It does nothing until entered.
 *
 * Returns: (transfer full): a new thread-sensitive context
 */
AsgirefThreadSensitiveContext *
asgiref_thread_sensitive_context_new (void)
{
  return g_object_new (ASGIREF_TYPE_THREAD_SENSITIVE_CONTEXT, NULL);
}

/**
 * asgiref_thread_sensitive_context_enter:
 * @self: a thread-sensitive context
 *
 * Makes the thread of @self the one for thread-sensitive sync code started
 * from the current [struct@Asgiref.Context], until the matching
 * [method@Asgiref.ThreadSensitiveContext.leave] in the same context. Work
 * already started keeps the thread it had. Inside another thread-sensitive
 * context, the outer one's thread stays in use.
 */
void
asgiref_thread_sensitive_context_enter (AsgirefThreadSensitiveContext *self)
{
  AsgirefBridgeScope *current;
  AsgirefBridgeScope *scope;

  g_return_if_fail (ASGIREF_IS_THREAD_SENSITIVE_CONTEXT (self));

  current = _asgiref_bridge_scope_get_current ();

  _asgiref_mutex_lock (&self->lock);
  g_ptr_array_add (self->saved, current ? _asgiref_bridge_scope_ref (current) : NULL);
  if (current != NULL && current->thread_sensitive != NULL)
    {
      _asgiref_mutex_unlock (&self->lock);
      return;
    }
  if (self->thread == NULL)
    self->thread = _asgiref_sync_thread_new ("asgiref-tsc");
  scope = _asgiref_bridge_scope_copy (current);
  scope->thread_sensitive = _asgiref_sync_thread_ref (self->thread);
  _asgiref_mutex_unlock (&self->lock);

  _asgiref_bridge_scope_set_current (scope);
}

/**
 * asgiref_thread_sensitive_context_leave:
 * @self: a thread-sensitive context
 *
 * Ends the matching [method@Asgiref.ThreadSensitiveContext.enter]. It
 * never waits for the thread: work still queued there runs to its end.
 */
void
asgiref_thread_sensitive_context_leave (AsgirefThreadSensitiveContext *self)
{
  AsgirefBridgeScope *saved;

  g_return_if_fail (ASGIREF_IS_THREAD_SENSITIVE_CONTEXT (self));

  _asgiref_mutex_lock (&self->lock);
  if (self->saved->len == 0)
    {
      _asgiref_mutex_unlock (&self->lock);
      g_critical ("%s", _("Cannot leave a thread-sensitive context that was not entered"));
      return;
    }
  saved = g_ptr_array_steal_index (self->saved, self->saved->len - 1);
  _asgiref_mutex_unlock (&self->lock);

  _asgiref_bridge_scope_set_current (saved);
}
