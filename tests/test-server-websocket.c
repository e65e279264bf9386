/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefServer's WebSocket connections, with libsoup's client: the
 * websocket scope, accept (with a subprotocol), frames both ways, close
 * from either side, and the denials (403, or the application's own
 * response). Client and server share the test's main context.
 */
#include <string.h>

#include "test-server-util.h"

/* {{{ The application */

/* ws_app: what it does depends on the path:
 *   /echo       accepts (with "chat" when offered), sends back what it
 *               receives; the text "close" makes it close with 4000 "bye",
 *               the text "last" makes it send a last word and return
 *   /greet      accepts and sends "welcome" at once, then echoes
 *   /deny       closes before accepting: 403
 *   /deny-body  answers with its own 401 and a body
 *   /return     returns without accepting: 403
 * It records the scope in log->scope and the code of websocket.disconnect
 * in log->got_disconnect (-1 when its receive was cancelled). */
static void ws_receive (AsgirefChannel *channel,
                        GTask          *task);

static void
on_ws_received (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(GTask) task = data;
  AppLog *log = g_task_get_task_data (task);
  AsgirefChannel *channel = ASGIREF_CHANNEL (source);
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  const char *path;

  message = asgiref_channel_receive_finish (channel, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* The server stopped: -1 for the test to see. */
      log->got_disconnect = -1;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_assert_no_error (error);
  path = asgiref_scope_get_path (log->scope);

  switch (asgiref_message_get_kind (message))
    {
    case ASGIREF_MESSAGE_WEBSOCKET_CONNECT:
      if (g_str_equal (path, "/greet"))
        {
          /* Sent at once, before the handshake's answer was written. */
          test_channel_send (channel, asgiref_message_new_websocket_accept (NULL, NULL), NULL, NULL, NULL);
          test_channel_send (channel, asgiref_message_new_websocket_send (NULL, "welcome"), NULL, NULL, NULL);
        }
      else if (g_str_equal (path, "/echo"))
        {
          g_auto(GStrv) offered = asgiref_scope_get_subprotocols (log->scope);

          test_channel_send (channel,
                             asgiref_message_new_websocket_accept (offered[0] != NULL ? "chat" : NULL, NULL),
                             NULL, NULL, NULL);
        }
      else if (g_str_equal (path, "/deny"))
        test_channel_send (channel, asgiref_message_new_websocket_close (1000, NULL), NULL, NULL, NULL);
      else if (g_str_equal (path, "/deny-body"))
        {
          g_autoptr(GBytes) body = g_bytes_new_static ("who are you?", 12);

          test_channel_send (channel, asgiref_message_new_websocket_http_response_start (401, NULL),
                             NULL, NULL, NULL);
          test_channel_send (channel, asgiref_message_new_websocket_http_response_body (body, FALSE),
                             NULL, NULL, NULL);
        }
      else
        {
          g_task_return_boolean (task, TRUE);
          return;
        }
      ws_receive (channel, g_steal_pointer (&task));
      return;

    case ASGIREF_MESSAGE_WEBSOCKET_RECEIVE:
      if (g_strcmp0 (asgiref_message_get_text (message), "last") == 0)
        {
          /* A last word, and return: the server closes after it. */
          test_channel_send (channel, asgiref_message_new_websocket_send (NULL, "the last word"),
                             NULL, NULL, NULL);
          g_task_return_boolean (task, TRUE);
          return;
        }
      if (g_strcmp0 (asgiref_message_get_text (message), "close") == 0)
        test_channel_send (channel, asgiref_message_new_websocket_close (4000, "bye"), NULL, NULL, NULL);
      else
        {
          g_autoptr(GBytes) bytes = asgiref_message_get_bytes (message);

          test_channel_send (channel,
                             asgiref_message_new_websocket_send (bytes, asgiref_message_get_text (message)),
                             NULL, NULL, NULL);
        }
      ws_receive (channel, g_steal_pointer (&task));
      return;

    case ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT:
      log->got_disconnect = asgiref_message_get_code (message);
      g_task_return_boolean (task, TRUE);
      return;

    default:
      g_assert_not_reached ();
    }
}

static void
ws_receive (AsgirefChannel *channel,
            GTask          *task)
{
  asgiref_channel_receive_async (channel, NULL, on_ws_received, task);
}

static void
ws_app (AsgirefScope   *scope,
        AsgirefChannel *channel,
        GTask          *task,
        gpointer        data)
{
  AppLog *log = data;

  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_WEBSOCKET)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_clear_pointer (&log->scope, asgiref_scope_unref);
  log->scope = asgiref_scope_ref (scope);
  g_task_set_task_data (task, log, NULL);
  ws_receive (channel, g_object_ref (task));
}

/* flood_app: accepts, then sends FLOOD_MESSAGES binary messages of 1 MiB,
 * each once the one before completed, counting completions in
 * log->requests. */
#define FLOOD_MESSAGES 64
#define FLOOD_SIZE (1024 * 1024)

static void flood_next (AsgirefChannel *channel,
                        GTask          *task);

static void
on_flood_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(GTask) task = data;
  AppLog *log = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  g_assert_true (asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, &error));
  g_assert_no_error (error);
  if (++log->requests == FLOOD_MESSAGES)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  flood_next (ASGIREF_CHANNEL (source), g_steal_pointer (&task));
}

static void
flood_next (AsgirefChannel *channel,
            GTask          *task)
{
  g_autoptr(GBytes) chunk = g_bytes_new_take (g_malloc0 (FLOOD_SIZE), FLOOD_SIZE);
  g_autoptr(AsgirefMessage) message = asgiref_message_new_websocket_send (chunk, NULL);

  asgiref_channel_send_async (channel, message, NULL, on_flood_sent, task);
}

static void
flood_app (AsgirefScope   *scope,
           AsgirefChannel *channel,
           GTask          *task,
           gpointer        data)
{
  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_WEBSOCKET)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_task_set_task_data (task, data, NULL);
  /* websocket.connect is waiting: accepting does not need to read it. */
  test_channel_send (channel, asgiref_message_new_websocket_accept (NULL, NULL), NULL, NULL, NULL);
  flood_next (channel, g_object_ref (task));
}

/* }}} */

/* {{{ The client */

static SoupWebsocketConnection *
ws_connect (Fixture      *f,
            const char   *path,
            char        **protocols,
            SoupMessage **msg_out,
            GError      **error)
{
  g_autofree char *uri = g_strdup_printf ("ws://127.0.0.1:%u%s", f->port, path);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr(GAsyncResult) result = NULL;
  SoupWebsocketConnection *ws;

  soup_session_websocket_connect_async (f->session, msg, NULL, protocols, G_PRIORITY_DEFAULT,
                                        NULL, test_store_result, &result);
  test_wait_for_result (&result);
  ws = soup_session_websocket_connect_finish (f->session, result, error);
  if (msg_out != NULL)
    *msg_out = g_steal_pointer (&msg);
  return ws;
}

typedef struct
{
  SoupWebsocketDataType type;
  GBytes *data;
  gboolean closed;
} Received;

static void
on_client_message (SoupWebsocketConnection *ws,
                   SoupWebsocketDataType    type,
                   GBytes                  *message,
                   gpointer                 data)
{
  Received *received = data;

  g_clear_pointer (&received->data, g_bytes_unref);
  received->type = type;
  received->data = g_bytes_ref (message);
}

static void
on_client_closed (SoupWebsocketConnection *ws,
                  gpointer                 data)
{
  ((Received *) data)->closed = TRUE;
}

static gboolean
no_message (gpointer data)
{
  return ((Received *) data)->data == NULL;
}

static gboolean
not_closed (gpointer data)
{
  return !((Received *) data)->closed;
}

static gboolean
no_disconnect (gpointer data)
{
  return ((Fixture *) data)->log.got_disconnect == 0;
}

static void
wait_for_message (Received *received)
{
  iterate_while (no_message, received, "a message");
}

static void
wait_for_close (Received *received)
{
  iterate_while (not_closed, received, "the close");
}

static void
wait_for_disconnect (Fixture *f)
{
  iterate_while (no_disconnect, f, "websocket.disconnect");
}

/* }}} */

/* {{{ Tests */

static void
test_accepted_connection_echoes_both_kinds_of_frames (void)
{
  char *protocols[] = { "chat", "other", NULL };
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  g_autoptr(GBytes) binary = g_bytes_new_static ("\0\1\2\3", 4);
  g_autoptr(GError) error = NULL;
  Received received = { 0 };
  const char *host = NULL;
  int port = 0;
  Fixture f;

  fixture_init (&f, ws_app);
  ws = ws_connect (&f, "/echo?room=1", protocols, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (soup_websocket_connection_get_protocol (ws), ==, "chat");

  /* The scope. */
  g_assert_true (asgiref_scope_validate (f.log.scope, NULL));
  g_assert_cmpint (asgiref_scope_get_kind (f.log.scope), ==, ASGIREF_SCOPE_WEBSOCKET);
  g_assert_cmpstr (asgiref_scope_get_scheme (f.log.scope), ==, "ws");
  g_assert_cmpstr (asgiref_scope_get_path (f.log.scope), ==, "/echo");
  {
    g_autoptr(GBytes) query = asgiref_scope_get_query_string (f.log.scope);

    assert_body (query, "room=1");
  }
  {
    g_auto(GStrv) subprotocols = asgiref_scope_get_subprotocols (f.log.scope);

    g_assert_cmpstrv (subprotocols, ((const char *[]) { "chat", "other", NULL }));
  }
  g_assert_true (asgiref_scope_get_client (f.log.scope, &host, &port));
  g_assert_cmpstr (host, ==, "127.0.0.1");

  g_signal_connect (ws, "message", G_CALLBACK (on_client_message), &received);
  soup_websocket_connection_send_text (ws, "hello");
  wait_for_message (&received);
  g_assert_cmpint (received.type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  assert_body (received.data, "hello");

  g_clear_pointer (&received.data, g_bytes_unref);
  soup_websocket_connection_send_message (ws, SOUP_WEBSOCKET_DATA_BINARY, binary);
  wait_for_message (&received);
  g_assert_cmpint (received.type, ==, SOUP_WEBSOCKET_DATA_BINARY);
  g_assert_true (g_bytes_equal (received.data, binary));
  g_clear_pointer (&received.data, g_bytes_unref);

  /* The client closes: the application hears its code. */
  soup_websocket_connection_close (ws, 4001, "done");
  wait_for_disconnect (&f);
  g_assert_cmpint (f.log.got_disconnect, ==, 4001);

  fixture_stop (&f);
  fixture_clear (&f);
}

static void
test_application_closes_with_its_code_and_reason (void)
{
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  g_autoptr(GError) error = NULL;
  Received received = { 0 };
  Fixture f;

  fixture_init (&f, ws_app);
  ws = ws_connect (&f, "/echo", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (soup_websocket_connection_get_protocol (ws));
  g_signal_connect (ws, "closed", G_CALLBACK (on_client_closed), &received);
  soup_websocket_connection_send_text (ws, "close");
  wait_for_close (&received);
  g_assert_cmpint (soup_websocket_connection_get_close_code (ws), ==, 4000);
  g_assert_cmpstr (soup_websocket_connection_get_close_data (ws), ==, "bye");
  wait_for_disconnect (&f);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* Messages sent right after accepting, before the handshake's answer was
 * written, wait for the connection rather than go nowhere. */
static void
test_messages_right_after_accepting_arrive (void)
{
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  g_autoptr(GError) error = NULL;
  Received received = { 0 };
  Fixture f;

  fixture_init (&f, ws_app);
  ws = ws_connect (&f, "/greet", NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (ws, "message", G_CALLBACK (on_client_message), &received);
  wait_for_message (&received);
  assert_body (received.data, "welcome");
  g_clear_pointer (&received.data, g_bytes_unref);
  soup_websocket_connection_close (ws, 1000, NULL);
  wait_for_disconnect (&f);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* An application that sends, then returns: its message goes out before
 * the server's close (1000). */
static void
test_last_message_goes_out_before_the_close (void)
{
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  g_autoptr(GError) error = NULL;
  Received received = { 0 };
  Fixture f;

  fixture_init (&f, ws_app);
  ws = ws_connect (&f, "/echo", NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (ws, "message", G_CALLBACK (on_client_message), &received);
  g_signal_connect (ws, "closed", G_CALLBACK (on_client_closed), &received);
  soup_websocket_connection_send_text (ws, "last");
  wait_for_close (&received);
  g_assert_nonnull (received.data);
  assert_body (received.data, "the last word");
  g_assert_cmpint (soup_websocket_connection_get_close_code (ws), ==, SOUP_WEBSOCKET_CLOSE_NORMAL);
  g_clear_pointer (&received.data, g_bytes_unref);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* Closed before accepting, or returned without: 403. The denial response
 * extension: the application's own status and body. */
static void
test_denied_connections_get_an_http_answer (void)
{
  static const struct {
    const char *path;
    guint status;
  } cases[] = {
    { "/deny", 403 },
    { "/return", 403 },
    { "/deny-body", 401 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SoupWebsocketConnection) ws = NULL;
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GError) error = NULL;
      Fixture f;

      fixture_init (&f, ws_app);
      ws = ws_connect (&f, cases[i].path, NULL, &msg, &error);
      g_assert_null (ws);
      g_assert_nonnull (error);
      g_assert_cmpuint (soup_message_get_status (msg), ==, cases[i].status);

      fixture_stop (&f);
      fixture_clear (&f);
    }
}

/* A message larger than max-websocket-message-size closes the connection,
 * and the application hears 1009 (too big). (libsoup 3.2 closes such a
 * connection without a close frame: the client sees no code.) */
static void
test_too_large_a_message_closes_the_connection (void)
{
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *big = g_strnfill (2048, 'x');
  Received received = { 0 };
  Fixture f;

  fixture_init (&f, ws_app);
  asgiref_server_set_max_websocket_message_size (f.server, 1024);
  ws = ws_connect (&f, "/echo", NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (ws, "closed", G_CALLBACK (on_client_closed), &received);
  soup_websocket_connection_send_text (ws, big);
  wait_for_close (&received);
  wait_for_disconnect (&f);
  g_assert_cmpint (f.log.got_disconnect, ==, SOUP_WEBSOCKET_CLOSE_TOO_BIG);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A stop that does not wait (its cancellable is cancelled) closes open
 * WebSockets as going away (1001). */
static void
test_stop_closes_websockets_going_away (void)
{
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  g_autoptr(GCancellable) now = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Received received = { 0 };
  Fixture f;

  fixture_init (&f, ws_app);
  ws = ws_connect (&f, "/echo", NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (ws, "closed", G_CALLBACK (on_client_closed), &received);

  g_cancellable_cancel (now);
  asgiref_server_stop_async (f.server, now, test_store_result, &result);
  test_wait_for_result (&result);
  g_assert_false (asgiref_server_stop_finish (f.server, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  wait_for_close (&received);
  g_assert_cmpint (soup_websocket_connection_get_close_code (ws), ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  wait_for_disconnect (&f);
  g_assert_cmpint (f.log.got_disconnect, ==, -1);

  g_clear_object (&result);   /* it holds the server */
  fixture_clear (&f);
}

/* A send completes once its frame was written: a client that does not
 * read holds the application back, rather than fill the server's memory
 * with queued frames. */
static void
test_sends_wait_for_their_frame_to_be_written (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GString) got = g_string_new (NULL);
  g_autofree guint8 *buffer = g_malloc (FLOOD_SIZE);
  GInputStream *input;
  guint64 read = 0;
  Fixture f;

  fixture_init (&f, flood_app);
  connection = raw_connect (&f);
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  raw_send (connection, "GET /flood HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n");
  while (strstr (got->str, "\r\n\r\n") == NULL)
    g_assert_cmpint (read_some (input, got), >, 0);
  g_assert_true (g_str_has_prefix (got->str, "HTTP/1.1 101 "));

  /* The client reads nothing: the sends stop once the socket is full. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_test_message ("sends completed while the client did not read: %u", f.log.requests);
  g_assert_cmpuint (f.log.requests, <, FLOOD_MESSAGES / 2);

  /* It reads: every send completes. */
  while (f.log.requests < FLOOD_MESSAGES || read < (guint64) FLOOD_MESSAGES * FLOOD_SIZE)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      gssize n;

      g_input_stream_read_async (input, buffer, FLOOD_SIZE, G_PRIORITY_DEFAULT, NULL,
                                 test_store_result, &result);
      test_wait_for_result (&result);
      n = g_input_stream_read_finish (input, result, &error);
      g_assert_no_error (error);
      if (n == 0)
        g_test_message ("EOF after %" G_GUINT64_FORMAT " bytes, %u sends", read, f.log.requests);
      g_assert_cmpint (n, >, 0);
      read += (guint64) n;
    }
  /* Rather than answer the server's close: libsoup would wait 5 s. */
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* }}} */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Server/WebSocket/accepted-connection-echoes-both-kinds-of-frames",
                   test_accepted_connection_echoes_both_kinds_of_frames);
  g_test_add_func ("/Asgiref/Server/WebSocket/application-closes-with-its-code-and-reason",
                   test_application_closes_with_its_code_and_reason);
  g_test_add_func ("/Asgiref/Server/WebSocket/messages-right-after-accepting-arrive",
                   test_messages_right_after_accepting_arrive);
  g_test_add_func ("/Asgiref/Server/WebSocket/last-message-goes-out-before-the-close",
                   test_last_message_goes_out_before_the_close);
  g_test_add_func ("/Asgiref/Server/WebSocket/denied-connections-get-an-http-answer",
                   test_denied_connections_get_an_http_answer);
  g_test_add_func ("/Asgiref/Server/WebSocket/stop-closes-websockets-going-away",
                   test_stop_closes_websockets_going_away);
  g_test_add_func ("/Asgiref/Server/WebSocket/sends-wait-for-their-frame-to-be-written",
                   test_sends_wait_for_their_frame_to_be_written);
  g_test_add_func ("/Asgiref/Server/WebSocket/too-large-a-message-closes-the-connection",
                   test_too_large_a_message_closes_the_connection);

  return g_test_run ();
}
