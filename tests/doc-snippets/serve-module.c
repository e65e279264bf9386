/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * docs/server.md's module for asgiref-serve, built as one: server.py
 * serves it with `asgiref-serve --module` (by the default symbol), and
 * checks the access log line the guide shows against what it logs. The
 * fragment is here as it is (check-snippets.py compares them).
 */
#include <asgiref.h>

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The module's application: "hello" to every request. */
static void
my_app (AsgirefScope   *scope,
        AsgirefChannel *channel,
        GTask          *task,
        gpointer        user_data)
{
  g_autoptr(GBytes) text = g_bytes_new_static ("hello", 5);
  g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (200, NULL, FALSE);
  g_autoptr(AsgirefMessage) body = asgiref_message_new_http_response_body (text, FALSE);

  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
  asgiref_channel_send_async (channel, body, NULL, on_sent, g_object_ref (task));
}

G_MODULE_EXPORT AsgirefApplication *asgiref_serve_application (GError **error);

G_MODULE_EXPORT AsgirefApplication *
asgiref_serve_application (GError **error)
{
  return asgiref_function_application_new (my_app, NULL, NULL);
}
