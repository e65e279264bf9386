/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-task-private.h"

static gboolean
unref_task (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

void
_asgiref_task_unref_on_its_context (GTask *task)
{
  GMainContext *context = g_task_get_context (task);
  GSource *source;

  if (g_main_context_is_owner (context))
    {
      g_object_unref (task);
      return;
    }

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[asgiref] release task");
  g_source_set_callback (source, unref_task, task, NULL);
  g_source_attach (source, context);
  g_source_unref (source);
}
