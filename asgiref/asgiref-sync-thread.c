/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-context-private.h"
#include "asgiref-sync-thread-private.h"

struct _AsgirefSyncThread
{
  gatomicrefcount ref;
  AsgirefExecutor *executor;   /* the thread owns it from its first wait */
  GThread *thread;
};

static gpointer
sync_thread_main (gpointer data)
{
  AsgirefExecutor *executor = data;
  GMainContext *main_context = asgiref_executor_get_main_context (executor);
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (main_context);
  /* Returns once the last reference stops it, after the jobs queued before
   * that ran. */
  asgiref_executor_wait (executor, &error);
  g_assert_no_error (error);
  g_main_context_pop_thread_default (main_context);

  _asgiref_executor_unref (executor);
  return NULL;
}

AsgirefSyncThread *
_asgiref_sync_thread_new (const char *name)
{
  AsgirefSyncThread *self = g_new0 (AsgirefSyncThread, 1);
  g_autoptr(GMainContext) main_context = g_main_context_new ();

  g_atomic_ref_count_init (&self->ref);
  self->executor = _asgiref_executor_new_unowned (main_context);
  self->thread = g_thread_new (name, sync_thread_main, g_object_ref (self->executor));
  return self;
}

AsgirefSyncThread *
_asgiref_sync_thread_ref (AsgirefSyncThread *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
_asgiref_sync_thread_unref (AsgirefSyncThread *self)
{
  if (!g_atomic_ref_count_dec (&self->ref))
    return;

  _asgiref_executor_stop (self->executor);

  g_thread_unref (self->thread);
  _asgiref_executor_unref (self->executor);
  g_free (self);
}

gboolean
_asgiref_sync_thread_submit (AsgirefSyncThread  *self,
                             AsgirefExecutorJob *job)
{
  return _asgiref_executor_submit (self->executor, job);
}

GThread *
_asgiref_sync_thread_get_gthread (AsgirefSyncThread *self)
{
  return self->thread;
}
