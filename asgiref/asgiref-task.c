/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-lock-private.h"
#include "asgiref-task-private.h"

void
_asgiref_main_context_post (GMainContext *context,
                            const char   *name,
                            GSourceFunc   func,
                            gpointer      data)
{
  GSource *source = g_idle_source_new ();

  _asgiref_tsan_release (data);
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, name);
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, context);
  g_source_unref (source);
}

void
_asgiref_main_context_received (gpointer data)
{
  _asgiref_tsan_acquire (data);
}

static gboolean
unref_task (gpointer data)
{
  _asgiref_main_context_received (data);
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

void
_asgiref_task_unref_on_its_context (GTask *task)
{
  GMainContext *context = g_task_get_context (task);

  if (g_main_context_is_owner (context))
    {
      g_object_unref (task);
      return;
    }

  _asgiref_main_context_post (context, "[asgiref] release task", unref_task, task);
}
