/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A module for `asgiref-serve --module` in tests/python/test_serve.py: its
 * application answers every request with "from the module <path>".
 */
#include <string.h>

#include <asgiref.h>

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;

  if (asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
module_app (AsgirefScope   *scope,
            AsgirefChannel *channel,
            GTask          *task,
            gpointer        data)
{
  g_autofree char *text = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(AsgirefMessage) whole = NULL;

  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  text = g_strdup_printf ("from the module %s", asgiref_scope_get_path (scope));
  body = g_bytes_new (text, strlen (text));
  start = asgiref_message_new_http_response_start (200, NULL, FALSE);
  whole = asgiref_message_new_http_response_body (body, FALSE);
  asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
  asgiref_channel_send_async (channel, whole, NULL, on_sent, g_object_ref (task));
}

G_MODULE_EXPORT AsgirefApplication *test_serve_application (GError **error);

G_MODULE_EXPORT AsgirefApplication *
test_serve_application (GError **error)
{
  return asgiref_function_application_new (module_app, NULL, NULL);
}
