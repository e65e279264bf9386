/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The C fragments of docs/applications.md, run: an application written
 * as one function, and the communicator that tests it. Each fragment is
 * here as it is (check-snippets.py compares them).
 */
#include <asgiref.h>

#include "doc-util.h"

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

static void
on_request (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  AsgirefChannel *channel = ASGIREF_CHANNEL (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(AsgirefMessage) request = NULL;
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(AsgirefMessage) body = NULL;
  g_autoptr(GBytes) hello = g_bytes_new_static ("Hello", 5);
  GError *error = NULL;

  request = asgiref_channel_receive_finish (channel, result, &error);
  if (request == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* Sends keep their order: only the last one needs a callback. */
  start = asgiref_message_new_http_response_start (200, NULL, FALSE);
  asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
  body = asgiref_message_new_http_response_body (hello, FALSE);
  asgiref_channel_send_async (channel, body, NULL, on_sent, g_steal_pointer (&task));
}

static void
hello (AsgirefScope   *scope,
       AsgirefChannel *channel,
       GTask          *task,
       gpointer        user_data)
{
  /* A real application would read the whole body (more_body) first. */
  asgiref_channel_receive_async (channel, g_task_get_cancellable (task),
                                 on_request, g_object_ref (task));
}

static void
test_communicator (void)
{
  AsgirefApplication *app = asgiref_function_application_new (hello, NULL, NULL);

  {
    g_autoptr(AsgirefScope) scope = asgiref_scope_new_http ("GET", "/", NULL, NULL);
    g_autoptr(AsgirefCommunicator) comm = asgiref_communicator_new (app, scope);
    g_autoptr(AsgirefMessage) request = asgiref_message_new_http_request (NULL, FALSE);
    g_autoptr(AsgirefMessage) start = NULL;
    g_autoptr(AsgirefMessage) body = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true (asgiref_communicator_send_input (comm, request, &error));
    start = asgiref_communicator_receive_output (comm, G_USEC_PER_SEC, NULL, &error);
    g_assert_cmpint (asgiref_message_get_kind (start), ==, ASGIREF_MESSAGE_HTTP_RESPONSE_START);
    g_assert_cmpint (asgiref_message_get_status (start), ==, 200);
    body = asgiref_communicator_receive_output (comm, G_USEC_PER_SEC, NULL, &error);
    g_assert_false (asgiref_message_get_more_body (body));
    g_assert_true (asgiref_communicator_receive_nothing (comm, 100000, 10000, NULL, &error));
    g_assert_true (asgiref_communicator_wait (comm, G_USEC_PER_SEC, NULL, &error));

    g_assert_no_error (error);
    {
      g_autoptr(GBytes) text = asgiref_message_get_body (body);

      g_assert_cmpmem (g_bytes_get_data (text, NULL), g_bytes_get_size (text), "Hello", 5);
    }
  }
  g_object_unref (app);
}

/* The application fails with the channel's error when its instance is
 * cancelled before the request came. */
static void
test_cancelled_before_the_request (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (hello, NULL, NULL);
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_http ("GET", "/", NULL, NULL);
  g_autoptr(AsgirefCommunicator) comm = asgiref_communicator_new (app, scope);
  g_autoptr(GError) error = NULL;

  /* wait() cancels an instance that does not end in time, and fails. */
  g_assert_false (asgiref_communicator_wait (comm, 10000, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

int
main (int argc, char **argv)
{
  doc_init (&argc, &argv);
  g_test_add_func ("/Doc/Applications/communicator", test_communicator);
  g_test_add_func ("/Doc/Applications/cancelled-before-the-request", test_cancelled_before_the_request);
  return doc_run ();
}
