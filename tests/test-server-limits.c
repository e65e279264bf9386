/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefServer under clients and applications that misbehave: what it
 * refuses (ambiguous request framing), what it bounds (the request body
 * waiting for a slow reader, the time to a response), and what it tells
 * an application whose client is gone. Client and server share the
 * test's main context, as in test-server.c.
 */
#include <stdio.h>
#include <string.h>

#include "test-server-util.h"

/* {{{ Applications */

/* gated_app: reads nothing until the test calls gated_read() (then the
 * whole body, into log->body), and answers with the body's size. */
static void
gated_received (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  GTask *task = data;
  AppLog *log = g_task_get_task_data (task);
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *size = NULL;

  message = asgiref_channel_receive_finish (ASGIREF_CHANNEL (source), result, &error);
  g_assert_no_error (error);
  if (asgiref_message_get_kind (message) == ASGIREF_MESSAGE_HTTP_REQUEST)
    {
      g_autoptr(GBytes) body = asgiref_message_get_body (message);

      g_string_append_len (log->body, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      if (asgiref_message_get_more_body (message))
        {
          asgiref_channel_receive_async (ASGIREF_CHANNEL (source), NULL, gated_received, task);
          return;
        }
    }

  size = g_strdup_printf ("%" G_GSIZE_FORMAT, log->body->len);
  send_response (ASGIREF_CHANNEL (source), 200, size, task);
}

static void
gated_app (AsgirefScope   *scope,
           AsgirefChannel *channel,
           GTask          *task,
           gpointer        data)
{
  AppLog *log = data;

  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_task_set_task_data (task, log, NULL);
  log->paused_channel = g_object_ref (channel);
  log->paused_task = g_object_ref (task);
}

/* Lets gated_app read. */
static void
gated_read (AppLog *log)
{
  g_autoptr(AsgirefChannel) channel = g_steal_pointer (&log->paused_channel);

  asgiref_channel_receive_async (channel, NULL, gated_received, g_steal_pointer (&log->paused_task));
}

/* streaming_app: streams chunks, each once the one before was written,
 * until a send fails; records the error's code in log->requests (as
 * G_IO_ERROR code + 1). */
static void streaming_next (AsgirefChannel *channel,
                            GTask          *task);

static void
streaming_sent (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  GTask *task = data;
  AppLog *log = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, &error))
    {
      g_assert_true (error->domain == G_IO_ERROR);
      log->requests = (guint) error->code + 1;
      log->ended = TRUE;
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  log->got_first_chunk = TRUE;
  streaming_next (ASGIREF_CHANNEL (source), task);
}

static void
streaming_next (AsgirefChannel *channel,
                GTask          *task)
{
  g_autoptr(GBytes) chunk = g_bytes_new_static ("more\n", 5);

  test_channel_send (channel, asgiref_message_new_http_response_body (chunk, TRUE),
                     NULL, streaming_sent, task);
}

static void
streaming_app (AsgirefScope   *scope,
               AsgirefChannel *channel,
               GTask          *task,
               gpointer        data)
{
  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_task_set_task_data (task, data, NULL);
  test_channel_send (channel, asgiref_message_new_http_response_start (200, NULL, FALSE),
                     NULL, NULL, NULL);
  streaming_next (channel, g_object_ref (task));
}

/* silent_app: reads its request and waits for the next message, which
 * only a disconnect or a cancellation brings; records the error. */
static void
silent_received (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  GTask *task = data;
  AppLog *log = g_task_get_task_data (task);
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  message = asgiref_channel_receive_finish (ASGIREF_CHANNEL (source), result, &error);
  if (message != NULL)
    {
      asgiref_channel_receive_async (ASGIREF_CHANNEL (source), g_task_get_cancellable (task),
                                     silent_received, task);
      return;
    }
  log->got_disconnect = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  log->ended = TRUE;
  g_task_return_error (task, g_steal_pointer (&error));
  g_object_unref (task);
}

static void
silent_app (AsgirefScope   *scope,
            AsgirefChannel *channel,
            GTask          *task,
            gpointer        data)
{
  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_task_set_task_data (task, data, NULL);
  asgiref_channel_receive_async (channel, g_task_get_cancellable (task), silent_received,
                                 g_object_ref (task));
}

/* framing_app: answers with the framing the path asks for. */
static void
framing_app (AsgirefScope   *scope,
             AsgirefChannel *channel,
             GTask          *task,
             gpointer        data)
{
  const char *path = asgiref_scope_get_path (scope);
  gboolean not_modified = g_str_equal (path, "/not-modified");
  gboolean chunked = g_str_equal (path, "/chunked");
  const char *names[] = { chunked ? "transfer-encoding" : "content-length", NULL };
  const char *values[] = { chunked ? "chunked" : "5", NULL };
  g_autoptr(AsgirefHeaders) headers = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static ("hello", not_modified ? 0 : 5);

  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  headers = asgiref_headers_new (names, values, NULL);
  test_channel_send (channel,
                     asgiref_message_new_http_response_start (not_modified ? 304 : 200, headers, FALSE),
                     NULL, NULL, NULL);
  /* A HEAD's body is empty, whatever its content-length says. */
  if (g_str_equal (asgiref_scope_get_method (scope), "HEAD"))
    g_clear_pointer (&body, g_bytes_unref);
  test_channel_send (channel, asgiref_message_new_http_response_body (body, FALSE),
                     NULL, test_complete_with_send_result, g_object_ref (task));
}

/* }}} */

/* {{{ Tests */

/* Request smuggling relies on bodies two readers frame differently: such
 * a request is answered 400 before any instance starts, and the
 * connection is closed, so what its body hides is never served. */
static void
test_ambiguous_framing_is_refused (void)
{
  static const char * const requests[] = {
    "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
    "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\n"
    "hello" "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  Fixture f;

  fixture_init (&f, silent_app);
  for (gsize i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autoptr(GSocketConnection) connection = raw_connect (&f);
      g_autofree char *got = NULL;

      raw_send (connection, requests[i]);
      got = raw_read_to_end (connection);
      g_assert_true (g_str_has_prefix (got, "HTTP/1.1 400 "));
      g_assert_nonnull (strstr (got, "\r\nConnection: close\r\n"));
      /* One answer: the request after the body was not read as one. */
      g_assert_null (strstr (got + 1, "HTTP/1.1"));
    }
  g_assert_false (f.log.ended);
  g_assert_null (f.log.scope);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A client that sends faster than the application reads waits: libsoup
 * stops reading once 256 KiB wait for the application, and goes on when
 * it read them. The whole body arrives all the same. */
static void
on_body_written (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error));
  g_assert_no_error (error);
  *(gint *) data = TRUE;
}

static void
test_request_body_waits_for_a_slow_reader (void)
{
  const gsize body_size = 32 * 1024 * 1024;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GBytes) body = pattern_bytes (body_size, 1);
  g_autofree char *request = NULL;
  g_autofree char *head = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *expected = NULL;
  GString *pending = g_string_new (NULL);
  gint written = FALSE;
  goffset read_while_gated = 0;
  SoupWatch watch;
  Fixture f;

  fixture_init (&f, gated_app);
  soup_watch_init (&watch);
  soup_watch_attach (&watch, &f);
  connection = raw_connect (&f);
  request = g_strdup_printf ("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
                             body_size);
  raw_send (connection, request);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                   g_bytes_get_data (body, NULL), body_size, G_PRIORITY_DEFAULT,
                                   NULL, on_body_written, &written);

  /* Everything the main context can do without the application reading:
   * the client writes until the socket buffers are full, the server reads
   * until it holds back. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  for (guint i = 0; i < watch.got_chunks->len; i++)
    read_while_gated += g_bytes_get_size (g_ptr_array_index (watch.got_chunks, i));
  g_assert_false (written);
  g_assert_cmpint (read_while_gated, >, 0);
  g_assert_cmpint (read_while_gated, <=, 256 * 1024 + 64 * 1024);

  /* The application reads: the rest comes, and all of it. */
  gated_read (&f.log);
  test_iterate_until ("the body written", &written);
  raw_read_response (g_io_stream_get_input_stream (G_IO_STREAM (connection)), pending, &head, &answer);
  expected = g_strdup_printf ("%" G_GSIZE_FORMAT, body_size);
  g_assert_cmpstr (answer, ==, expected);
  g_assert_cmpmem (f.log.body->str, f.log.body->len, g_bytes_get_data (body, NULL), body_size);

  g_string_free (pending, TRUE);
  soup_watch_clear (&watch);
  fixture_stop (&f);
  fixture_clear (&f);
}

/* Once its client left, an application's sends fail (ASGI HTTP 2.4), so
 * that a loop streaming to nobody ends. */
static void
test_sends_fail_once_the_client_left (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  GString *got = g_string_new (NULL);
  Fixture f;

  fixture_init (&f, streaming_app);
  connection = raw_connect (&f);
  raw_send (connection, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  while (strstr (got->str, "more\n") == NULL)
    g_assert_cmpint (read_some (g_io_stream_get_input_stream (G_IO_STREAM (connection)), got), >, 0);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  test_iterate_until ("the application ended", &f.log.ended);
  g_assert_cmpuint (f.log.requests, ==, G_IO_ERROR_CLOSED + 1);

  g_string_free (got, TRUE);
  fixture_stop (&f);
  fixture_clear (&f);
}

/* An application that writes nothing within response-timeout is cancelled
 * and its client answered 504, with a warning. */
static void
test_response_timeout_answers_504 (void)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *address = NULL;
  Fixture f;

  fixture_init (&f, silent_app);
  g_object_set (f.server, "response-timeout", 1, NULL);
  g_assert_cmpuint (asgiref_server_get_response_timeout (f.server), ==, 1);
  address = url (&f, "/slow");
  msg = soup_message_new ("GET", address);
  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING,
                         "*GET /slow: no response within 1 seconds*");
  body = fetch (&f, msg);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_GATEWAY_TIMEOUT);
  assert_body (body, "Gateway Timeout\n");

  test_iterate_until ("the instance ended", &f.log.ended);
  g_assert_true (f.log.got_disconnect);   /* its receive was cancelled */

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A HEAD, or a 304, declares the length a GET would have had and sends
 * no body: that is no mismatch (RFC 9110 8.6). */
static void
test_bodyless_responses_keep_their_content_length (void)
{
  const char *paths[] = { "/head", "/not-modified" };
  Fixture f;

  fixture_init (&f, framing_app);
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GBytes) body = NULL;
      g_autofree char *address = url (&f, paths[i]);

      msg = soup_message_new (i == 0 ? "HEAD" : "GET", address);
      body = fetch (&f, msg);
      g_assert_cmpuint (soup_message_get_status (msg), ==, i == 0 ? 200 : 304);
      g_assert_cmpuint (g_bytes_get_size (body), ==, 0);
    }

  fixture_stop (&f);
  fixture_clear (&f);
}

/* HTTP/1.0 has no chunked framing: an application's transfer-encoding
 * is not passed on to such a client, whose body ends with the
 * connection. */
static void
test_http_1_0_gets_no_chunked_body (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *got = NULL;
  Fixture f;

  fixture_init (&f, framing_app);
  connection = raw_connect (&f);
  raw_send (connection, "GET /chunked HTTP/1.0\r\n\r\n");
  got = raw_read_to_end (connection);
  g_assert_true (g_str_has_prefix (got, "HTTP/1.0 200 "));
  g_assert_null (strstr (got, "Transfer-Encoding"));
  g_assert_true (g_str_has_suffix (got, "\r\n\r\nhello"));

  fixture_stop (&f);
  fixture_clear (&f);
}

static gboolean
not_gated (gpointer data)
{
  return ((Fixture *) data)->log.paused_task == NULL;
}

/* Runs the main context until gated_app holds a request. */
static void
wait_until_gated (Fixture *f)
{
  iterate_while (not_gated, f, "the application to hold a request");
}

/* At max-instances, a request is answered 503 with Retry-After and no
 * instance starts; one warning counts such answers; once an instance
 * ended, requests are served again. */
static void
test_requests_beyond_max_instances_get_503 (void)
{
  g_autoptr(GSocketConnection) held = NULL;
  g_autoptr(GString) pending = g_string_new (NULL);
  g_autofree char *head = NULL;
  g_autofree char *body = NULL;
  Fixture f;

  fixture_init (&f, gated_app);
  g_assert_cmpuint (asgiref_server_get_max_instances (f.server), ==, 0);
  asgiref_server_set_max_instances (f.server, 1);

  held = raw_connect (&f);
  raw_send (held, "GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
  wait_until_gated (&f);

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING, "*answered 503*max-instances (1)*: 1");
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GSocketConnection) refused = raw_connect (&f);
      g_autofree char *got = NULL;

      raw_send (refused, "GET /refused HTTP/1.1\r\nHost: x\r\n\r\n");
      got = raw_read_to_end (refused);
      g_assert_true (g_str_has_prefix (got, "HTTP/1.1 503 "));
      g_assert_nonnull (strstr (got, "\r\nRetry-After: 1\r\n"));
    }
  /* One line for the three, until ten seconds have passed. */
  g_test_assert_expected_messages ();

  gated_read (&f.log);
  raw_read_response (g_io_stream_get_input_stream (G_IO_STREAM (held)), pending, &head, &body);
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 200 "));

  /* The instance ended: the next request gets one. */
  raw_send (held, "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  wait_until_gated (&f);
  gated_read (&f.log);
  g_clear_pointer (&head, g_free);
  g_clear_pointer (&body, g_free);
  raw_read_response (g_io_stream_get_input_stream (G_IO_STREAM (held)), pending, &head, &body);
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 200 "));

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A client that sends `Expect: 100-continue` gets 100 Continue only when
 * the application asks for the body, so that it never uploads a body the
 * application would not read. */
static void
test_continue_is_answered_when_the_body_is_read (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GString) pending = g_string_new (NULL);
  g_autofree char *head = NULL;
  g_autofree char *body = NULL;
  GInputStream *input;
  Fixture f;

  fixture_init (&f, gated_app);
  connection = raw_connect (&f);
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  raw_send (connection, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                        "Expect: 100-continue\r\n\r\n");
  wait_until_gated (&f);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  /* libsoup alone would have written it with the headers parsed. */
  g_assert_cmpint (g_socket_condition_check (g_socket_connection_get_socket (connection), G_IO_IN), ==, 0);

  gated_read (&f.log);
  while (strstr (pending->str, "\r\n\r\n") == NULL)
    g_assert_cmpint (read_some (input, pending), >, 0);
  g_assert_true (g_str_has_prefix (pending->str, "HTTP/1.1 100 Continue\r\n"));
  g_assert_true (g_str_has_suffix (pending->str, "\r\n\r\n"));
  g_string_truncate (pending, 0);

  raw_send (connection, "hello");
  raw_read_response (input, pending, &head, &body);
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 200 "));
  g_assert_cmpstr (body, ==, "5");
  g_assert_cmpstr (f.log.body->str, ==, "hello");

  fixture_stop (&f);
  fixture_clear (&f);
}

static void
failing_app (AsgirefScope   *scope,
             AsgirefChannel *channel,
             GTask          *task,
             gpointer        data)
{
  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "failing on purpose");
}

/* An application that answers without reading the body, or fails: the
 * client gets that answer (or the 500) instead of 100 Continue, and the
 * connection closes, since the client may send the body it held back. */
static void
test_continue_is_not_answered_when_the_body_is_not_read (void)
{
  static const AsgirefApplicationFunc apps[] = { framing_app, failing_app };

  for (guint i = 0; i < G_N_ELEMENTS (apps); i++)
    {
      g_autoptr(GSocketConnection) connection = NULL;
      g_autofree char *got = NULL;
      Fixture f;

      fixture_init (&f, apps[i]);
      if (apps[i] == failing_app)
        g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING, "*POST /fine*failing on purpose*");
      connection = raw_connect (&f);
      raw_send (connection, "POST /fine HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                            "Expect: 100-continue\r\n\r\n");
      got = raw_read_to_end (connection);
      g_test_assert_expected_messages ();
      g_assert_true (g_str_has_prefix (got, apps[i] == failing_app ? "HTTP/1.1 500 " : "HTTP/1.1 200 "));
      g_assert_null (strstr (got, " 100 Continue"));

      fixture_stop (&f);
      fixture_clear (&f);
    }
}

/* The process's resident memory, and its peak since reset_peak(), KiB. */
static guint64
status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, field);
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen (field), NULL, 10);
}

static void
reset_peak (void)
{
  FILE *clear_refs = fopen ("/proc/self/clear_refs", "w");

  g_assert_nonnull (clear_refs);
  g_assert_cmpint (fputs ("5", clear_refs), >=, 0);
  g_assert_cmpint (fclose (clear_refs), ==, 0);
}

static void
on_body_sent_or_refused (GObject      *source,
                         GAsyncResult *result,
                         gpointer      data)
{
  /* Refused: the server may close before it read it all. */
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  *(gint *) data = TRUE;
}

/* A 64 MiB body that nobody reads, to an application that answers without
 * reading it, or over max-request-body-size (413 at once, no Expect):
 * the server's memory stays where it was, rather than grow by the body. */
static void
test_unread_bodies_do_not_fill_memory (void)
{
  const gsize body_size = 64 * 1024 * 1024;
  g_autoptr(GBytes) body = pattern_bytes (body_size, 2);
  g_autofree char *request = g_strdup_printf ("POST /fine HTTP/1.1\r\nHost: x\r\nContent-Length: %"
                                              G_GSIZE_FORMAT "\r\n\r\n", body_size);

  for (guint limited = 0; limited < 2; limited++)
    {
      g_autoptr(GSocketConnection) connection = NULL;
      g_autofree char *got = NULL;
      guint64 before;
      gint sent = FALSE;
      Fixture f;

      fixture_init (&f, framing_app);
      if (limited)
        asgiref_server_set_max_request_body_size (f.server, 1024 * 1024);
      connection = raw_connect (&f);
      before = status_kib ("VmRSS:");
      reset_peak ();

      raw_send (connection, request);
      g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                       g_bytes_get_data (body, NULL), body_size, G_PRIORITY_DEFAULT,
                                       NULL, on_body_sent_or_refused, &sent);
      test_iterate_until ("the body sent or refused", &sent);
      if (!limited)
        g_assert_true (g_socket_shutdown (g_socket_connection_get_socket (connection), FALSE, TRUE, NULL));
      got = raw_read_to_end (connection);
      g_assert_true (g_str_has_prefix (got, limited ? "HTTP/1.1 413 " : "HTTP/1.1 200 "));

      g_test_message ("peak growth: %" G_GUINT64_FORMAT " KiB", status_kib ("VmHWM:") - before);
#ifndef __SANITIZE_ADDRESS__
      /* (AddressSanitizer keeps freed memory in quarantine.) */
      g_assert_cmpuint (status_kib ("VmHWM:"), <, before + 16 * 1024);
#endif

      fixture_stop (&f);
      fixture_clear (&f);
    }
}

/* }}} */

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Server/Limits/ambiguous-framing-is-refused",
                   test_ambiguous_framing_is_refused);
  g_test_add_func ("/Asgiref/Server/Limits/request-body-waits-for-a-slow-reader",
                   test_request_body_waits_for_a_slow_reader);
  g_test_add_func ("/Asgiref/Server/Limits/sends-fail-once-the-client-left",
                   test_sends_fail_once_the_client_left);
  g_test_add_func ("/Asgiref/Server/Limits/response-timeout-answers-504",
                   test_response_timeout_answers_504);
  g_test_add_func ("/Asgiref/Server/Limits/bodyless-responses-keep-their-content-length",
                   test_bodyless_responses_keep_their_content_length);
  g_test_add_func ("/Asgiref/Server/Limits/http-1-0-gets-no-chunked-body",
                   test_http_1_0_gets_no_chunked_body);
  g_test_add_func ("/Asgiref/Server/Limits/requests-beyond-max-instances-get-503",
                   test_requests_beyond_max_instances_get_503);
  g_test_add_func ("/Asgiref/Server/Limits/unread-bodies-do-not-fill-memory",
                   test_unread_bodies_do_not_fill_memory);
  g_test_add_func ("/Asgiref/Server/Limits/continue-is-answered-when-the-body-is-read",
                   test_continue_is_answered_when_the_body_is_read);
  g_test_add_func ("/Asgiref/Server/Limits/continue-is-not-answered-when-the-body-is-not-read",
                   test_continue_is_not_answered_when_the_body_is_not_read);

  return g_test_run ();
}
