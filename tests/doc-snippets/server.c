/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The C fragments of docs/server.md, run: starting and listening, the
 * graceful stop with a grace period, serving threads, and a WSGI-style
 * handler, each served to a libsoup client. (Its module for asgiref-serve
 * is serve-module.c, which server.py runs.) Each fragment is here as it
 * is (check-snippets.py compares them).
 */
#include <asgiref.h>

#include "doc-util.h"

static GMainLoop *loop;

/* The application the fragments serve: "hello" for every request, from
 * any thread, and nothing for the lifespan protocol. */
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
hello_app (AsgirefScope   *scope,
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

static void
stop_and_wait (AsgirefServer *server)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  asgiref_server_stop_async (server, NULL, test_store_result, &result);
  test_wait_for_result (&result);
  g_assert_true (asgiref_server_stop_finish (server, result, &error));
  g_assert_no_error (error);
}

/* {{{ Start, then listen */

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  AsgirefServer *server = ASGIREF_SERVER (source);
  g_autoptr(GError) error = NULL;

  if (!asgiref_server_start_finish (server, result, &error) ||   /* lifespan.startup.failed */
      !asgiref_server_listen_local (server, 0, &error))          /* 127.0.0.1, any free port */
    g_error ("%s", error->message);
  g_print ("listening on port %u\n", asgiref_server_get_port (server));
}

/* From the loop the fragment runs: once the server listens, a request,
 * and the end of the loop. */
static gboolean
request_once_listening (gpointer data)
{
  AsgirefServer *server = data;
  g_autofree char *body = NULL;
  guint status;

  if (asgiref_server_get_port (server) == 0)
    return G_SOURCE_CONTINUE;
  body = doc_get (asgiref_server_get_port (server), "/", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (body, ==, "hello");
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
test_start_then_listen (void)
{
  g_autoptr(AsgirefApplication) application = asgiref_function_application_new (hello_app, NULL, NULL);
  g_autofree char *said = NULL;

  loop = g_main_loop_new (NULL, FALSE);
  doc_capture_print ();
  {
  g_autoptr(AsgirefServer) server = asgiref_server_new (application);

  g_timeout_add (10, request_once_listening, server);

  asgiref_server_start_async (server, NULL, on_started, NULL);
  g_main_loop_run (loop);

  said = g_strdup_printf ("listening on port %u\n", asgiref_server_get_port (server));
  g_assert_cmpstr (doc_printed_text (), ==, said);
  stop_and_wait (server);
  }
  g_main_loop_unref (loop);
}

/* }}} */

/* {{{ Stopping, with a grace period */

/* A long poll: it waits for a request that never ends, so a graceful
 * stop waits for it until the grace ends. */
static gint polling;

static void
on_poll_received (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(AsgirefMessage) message = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  message = asgiref_channel_receive_finish (ASGIREF_CHANNEL (source), result, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_atomic_int_set (&polling, TRUE);
  /* The next message would be http.disconnect. */
  cancellable = g_task_get_cancellable (task);
  asgiref_channel_receive_async (ASGIREF_CHANNEL (source), cancellable,
                                 on_poll_received, g_steal_pointer (&task));
}

static void
long_poll_app (AsgirefScope   *scope,
               AsgirefChannel *channel,
               GTask          *task,
               gpointer        user_data)
{
  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  asgiref_channel_receive_async (channel, g_task_get_cancellable (task),
                                 on_poll_received, g_object_ref (task));
}

static void
on_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsgirefTimeout *grace = user_data;
  g_autoptr(GError) error = NULL;

  if (!asgiref_server_stop_finish (ASGIREF_SERVER (source), result, &error))
    g_message ("stopped, not gracefully: %s", error->message);
  g_object_unref (grace);   /* its timer ran until the stop ended */
}

static void
test_the_grace_cuts_a_stop_short (void)
{
  g_autoptr(AsgirefApplication) application = asgiref_function_application_new (long_poll_app, NULL, NULL);
  g_autoptr(AsgirefServer) server = asgiref_server_new (application);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  g_autoptr(SoupMessage) poll = NULL;
  g_autoptr(GAsyncResult) polled = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;

  g_assert_true (asgiref_server_listen_local (server, 0, &error));
  uri = g_strdup_printf ("http://127.0.0.1:%u/poll", asgiref_server_get_port (server));
  poll = soup_message_new ("GET", uri);
  soup_session_send_and_read_async (session, poll, G_PRIORITY_DEFAULT, NULL,
                                    test_store_result, &polled);
  test_iterate_until ("the long poll", &polling);
  doc_forget_messages ();

  {
  AsgirefTimeout *grace = asgiref_timeout_new (5 * G_USEC_PER_SEC, NULL);

  /* on_stopped drops grace: dropping it sooner would disarm its timer. */
  asgiref_server_stop_async (server, asgiref_timeout_get_cancellable (grace),
                             on_stopped, grace);

  /* The test does not wait five seconds: the grace ends now. */
  g_assert_true (asgiref_timeout_update (grace, g_get_monotonic_time (), NULL));
  }

  doc_wait_for_messages (1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (doc_messages, 0), "stopped, not gracefully: "));
  /* The poll's connection was closed under it. */
  test_wait_for_result (&polled);
}

/* }}} */

/* {{{ Serving threads */

static void
test_serving_threads (void)
{
  g_autoptr(AsgirefApplication) application = asgiref_function_application_new (hello_app, NULL, NULL);
  g_autoptr(AsgirefServer) server = NULL;

  asgiref_application_set_thread_safe (application, TRUE);
  server = asgiref_server_new (application);
  asgiref_server_set_serving_threads (server, 4);
  asgiref_server_start_async (server, NULL, on_started, NULL);
  // in on_started: asgiref_server_listen_local (server, 8000, &error)

  doc_capture_print ();
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *body = NULL;
      guint status;

      body = doc_get (doc_wait_for_port (server), "/", &status);
      g_assert_cmpuint (status, ==, 200);
      g_assert_cmpstr (body, ==, "hello");
    }
  g_assert_cmpuint (asgiref_server_get_serving_threads (server), ==, 4);
  /* It keeps itself alive until a stop ended its threads. */
  stop_and_wait (server);
  g_assert_true (g_str_has_prefix (doc_printed_text (), "listening on port "));
}

/* }}} */

/* {{{ A synchronous handler */

static gboolean
hello (AsgirefScope *scope, GInputStream *body, AsgirefWsgiResponse *response,
       gpointer user_data, GError **error)
{
  g_autoptr(GBytes) text = g_bytes_new_static ("Hello\n", 6);

  return asgiref_wsgi_response_start (response, 200, NULL, error) &&
         asgiref_wsgi_response_write (response, text, NULL, error);
}

static void
test_synchronous_handler (void)
{
  g_autoptr(AsgirefServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  guint status;

  g_autoptr(AsgirefApplication) application = asgiref_wsgi_application_new (hello, NULL, NULL);

  server = asgiref_server_new (application);

  g_assert_true (asgiref_server_listen_local (server, 0, &error));
  text = doc_get (asgiref_server_get_port (server), "/", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (text, ==, "Hello\n");
  stop_and_wait (server);
}

/* }}} */

int
main (int argc, char **argv)
{
  doc_init (&argc, &argv);
  g_test_add_func ("/Doc/Server/start-then-listen", test_start_then_listen);
  g_test_add_func ("/Doc/Server/the-grace-cuts-a-stop-short", test_the_grace_cuts_a_stop_short);
  g_test_add_func ("/Doc/Server/serving-threads", test_serving_threads);
  g_test_add_func ("/Doc/Server/synchronous-handler", test_synchronous_handler);
  return doc_run ();
}
