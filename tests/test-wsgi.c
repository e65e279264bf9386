/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefWsgiApplication: synchronous handlers on worker threads, served
 * by AsgirefServer to raw clients on the test's main context.
 */
#include "config.h"

#include "asgiref.h"
#include "test-server-util.h"

typedef struct
{
  GThread *main_thread;
  AsgirefLocal *local;
  gint calls;
  gint on_main_thread;        /* handlers that ran on the main thread */
  gint a_waiting;             /* blocking: A runs, holding its thread */
  gint b_done;                /* blocking: B answered */
  gint write_failures;        /* disconnect: the write that failed */
  GError *write_error;
  gint first_half_read;
  GThread *handler_thread;    /* thread_handler: where it ran */
} WsgiLog;

typedef struct
{
  WsgiLog log;
  AsgirefServer *server;
  Fixture plain;               /* for raw_connect() */
} WsgiFixture;

/* With @bridge (or NULL for the default one) running the handlers. */
static void
wsgi_fixture_init_with_bridge (WsgiFixture        *f,
                               AsgirefWsgiHandler  handler,
                               AsgirefBridge      *bridge)
{
  g_autoptr(AsgirefApplication) app = asgiref_wsgi_application_new (handler, &f->log, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  memset (f, 0, sizeof *f);
  asgiref_wsgi_application_set_bridge (ASGIREF_WSGI_APPLICATION (app), bridge);
  f->log.main_thread = g_thread_self ();
  f->log.local = asgiref_local_new ();
  f->server = asgiref_server_new (app);
  /* Not WSGI's: the lifespan instance ends at once, and the server starts. */
  asgiref_server_start_async (f->server, NULL, test_store_result, &result);
  test_wait_for_result (&result);
  g_assert_true (asgiref_server_start_finish (f->server, result, &error));
  g_assert_no_error (error);
  g_assert_true (asgiref_server_listen_local (f->server, 0, &error));
  g_assert_no_error (error);
  f->plain.port = asgiref_server_get_port (f->server);
}

static void
wsgi_fixture_init (WsgiFixture        *f,
                   AsgirefWsgiHandler  handler)
{
  wsgi_fixture_init_with_bridge (f, handler, NULL);
}

static void
wsgi_fixture_clear (WsgiFixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  asgiref_server_stop_async (f->server, NULL, test_store_result, &result);
  test_wait_for_result (&result);
  g_assert_true (asgiref_server_stop_finish (f->server, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  test_unref_and_wait_finalized ("the server", f->server);
  g_assert_cmpint (g_atomic_int_get (&f->log.on_main_thread), ==, 0);
  g_clear_object (&f->log.local);
  g_clear_error (&f->log.write_error);
}

static void
note_call (WsgiLog *log)
{
  g_atomic_int_inc (&log->calls);
  if (g_thread_self () == log->main_thread)
    g_atomic_int_inc (&log->on_main_thread);
}

/* Sets @flag from a handler's thread, and wakes the test's main context,
 * which test_iterate_until() may be waiting in. */
static void
raise_flag (gint *flag)
{
  g_atomic_int_set (flag, 1);
  g_main_context_wakeup (NULL);
}

static gboolean
write_text (AsgirefWsgiResponse  *response,
            const char           *text,
            GError              **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  return asgiref_wsgi_response_write (response, bytes, NULL, error);
}

/* Sends @request (whose headers end in "Connection: close\r\n", which
 * this adds) on a raw connection, and gives back the response's head,
 * a blank line and its body, unchunked. */
static char *
request_raw (WsgiFixture *f,
             const char  *request)
{
  g_autoptr(GSocketConnection) connection = raw_connect (&f->plain);
  g_autofree char *got = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  const char *end;
  const char *p;
  g_autofree char *head = NULL;
  const char *blank = strstr (request, "\r\n\r\n");

  g_assert_nonnull (blank);
  raw_send (connection, head = g_strndup (request, blank - request + 2));
  raw_send (connection, "Connection: close\r\n");
  raw_send (connection, blank + 2);
  got = raw_read_to_end (connection);

  end = strstr (got, "\r\n\r\n");
  g_assert_nonnull (end);
  p = end + 4;
  if (g_strstr_len (got, end - got, "Transfer-Encoding: chunked") == NULL)
    g_string_append (body, p);
  else
    for (;;)
      {
        char *after;
        guint64 size = g_ascii_strtoull (p, &after, 16);

        g_assert_true (g_str_has_prefix (after, "\r\n"));
        if (size == 0)
          break;
        g_string_append_len (body, after + 2, (gssize) size);
        p = after + 2 + size + 2;
      }
  return g_strdup_printf ("%.*s\r\n\r\n%s", (int) (end - got), got, body->str);
}

/* ---- The request -------------------------------------------------------- */

static gboolean
echo_handler (AsgirefScope         *scope,
              GInputStream         *body,
              AsgirefWsgiResponse  *response,
              gpointer              data,
              GError              **error)
{
  WsgiLog *log = data;
  g_autoptr(GByteArray) read = g_byte_array_new ();
  g_autoptr(GBytes) query = asgiref_scope_get_query_string (scope);
  g_autoptr(GString) tests = g_string_new (NULL);
  g_autofree char *text = NULL;
  AsgirefHeaders *headers;
  guint8 buffer[3];
  gssize n;

  note_call (log);
  /* Small reads: the stream hands out a chunk in as many as it takes. */
  while ((n = g_input_stream_read (body, buffer, sizeof buffer, NULL, error)) > 0)
    g_byte_array_append (read, buffer, (guint) n);
  if (n < 0)
    return FALSE;

  /* Every X-Test, in order: a repeated header stays repeated. */
  headers = asgiref_scope_get_headers (scope);
  for (guint i = 0; i < asgiref_headers_get_length (headers); i++)
    if (strcmp (asgiref_headers_get_name (headers, i), "x-test") == 0)
      g_string_append_printf (tests, "%s%s", tests->len > 0 ? "," : "", asgiref_headers_get_value (headers, i));
  text = g_strdup_printf ("%s %s ?%.*s [%.*s] %s", asgiref_scope_get_method (scope),
                          asgiref_scope_get_path (scope),
                          (int) g_bytes_get_size (query), (const char *) g_bytes_get_data (query, NULL),
                          (int) read->len, (const char *) read->data, tests->str);
  return asgiref_wsgi_response_start (response, 200, NULL, error) &&
         write_text (response, text, error);
}

static void
test_wsgi_request (void)
{
  WsgiFixture f;
  g_autofree char *got = NULL;

  wsgi_fixture_init (&f, echo_handler);

  got = request_raw (&f, "POST /a%20b?x=1 HTTP/1.1\r\nHost: t\r\nX-Test: yes\r\n"
                         "Content-Length: 11\r\n\r\nhello world");
  g_assert_true (g_str_has_prefix (got, "HTTP/1.1 200 "));
  g_assert_nonnull (strstr (got, "\r\n\r\nPOST /a b ?x=1 [hello world] yes"));
  g_clear_pointer (&got, g_free);

  /* Chunked, and no body. */
  got = request_raw (&f, "POST /c HTTP/1.1\r\nHost: t\r\nX-Test: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  g_assert_nonnull (strstr (got, "\r\n\r\nPOST /c ? [abcde] 2"));
  g_clear_pointer (&got, g_free);
  got = request_raw (&f, "GET /d HTTP/1.0\r\nX-Test: 3\r\n\r\n");
  g_assert_nonnull (strstr (got, "\r\n\r\nGET /d ? [] 3"));
  g_clear_pointer (&got, g_free);

  /* A repeated header, and an encoded query kept as sent. */
  got = request_raw (&f, "GET /e%2Fx?a=%20&b HTTP/1.1\r\nHost: t\r\nX-Test: one\r\nX-Test: two\r\n\r\n");
  g_assert_nonnull (strstr (got, "\r\n\r\nGET /e/x ?a=%20&b [] one,two"));

  g_assert_cmpint (g_atomic_int_get (&f.log.calls), ==, 4);
  wsgi_fixture_clear (&f);
}

/* ---- Streaming both ways ------------------------------------------------ */

/* Reads the first half of the body, which arrives before the second,
 * then the second; then answers in two writes. (libsoup 3.2 writes no
 * response before it read the whole request body, so the answer cannot
 * overtake the body.) */
static gboolean
half_handler (AsgirefScope         *scope,
              GInputStream         *body,
              AsgirefWsgiResponse  *response,
              gpointer              data,
              GError              **error)
{
  WsgiLog *log = data;
  char first[6] = { 0 };
  char second[6] = { 0 };
  g_autofree char *text = NULL;
  gsize n;

  note_call (log);
  if (!g_input_stream_read_all (body, first, 5, &n, NULL, error))
    return FALSE;
  raise_flag (&log->first_half_read);
  if (!g_input_stream_read_all (body, second, 5, &n, NULL, error) ||
      !asgiref_wsgi_response_start (response, 200, NULL, error))
    return FALSE;
  text = g_strdup_printf ("got %s;", first);
  if (!write_text (response, text, error))
    return FALSE;
  g_clear_pointer (&text, g_free);
  text = g_strdup_printf ("got %s", second);
  return write_text (response, text, error);
}

static void
test_wsgi_streams_both_ways (void)
{
  WsgiFixture f;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *got = NULL;

  wsgi_fixture_init (&f, half_handler);
  connection = raw_connect (&f.plain);

  /* Half the body: the handler reads it before the rest exists. */
  raw_send (connection, "POST /h HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                        "Content-Length: 10\r\n\r\nhello");
  test_iterate_until ("the handler to read the first half", &f.log.first_half_read);
  raw_send (connection, "world");

  /* Two writes, two chunks, in order. */
  got = raw_read_to_end (connection);
  g_assert_nonnull (strstr (got, "Transfer-Encoding: chunked"));
  g_assert_nonnull (strstr (got, "\r\n\r\na\r\ngot hello;\r\n9\r\ngot world\r\n0\r\n\r\n"));

  wsgi_fixture_clear (&f);
}

/* ---- start_response's rules --------------------------------------------- */

static gboolean
rules_handler (AsgirefScope         *scope,
               GInputStream         *body,
               AsgirefWsgiResponse  *response,
               gpointer              data,
               GError              **error)
{
  WsgiLog *log = data;
  const char *path = asgiref_scope_get_path (scope);
  static const char * const names[] = { "content-length", NULL };
  static const char * const five[] = { "5", NULL };
  g_autoptr(AsgirefHeaders) length = asgiref_headers_new (names, five, NULL);
  g_autoptr(GError) refused = NULL;

  note_call (log);
  if (strcmp (path, "/write-first") == 0)
    {
      /* Writing before starting is refused; the handler goes on. */
      g_assert_false (write_text (response, "x", &refused));
      g_assert_error (refused, ASGIREF_ERROR, ASGIREF_ERROR_FAILED);
      return asgiref_wsgi_response_start (response, 201, NULL, error) &&
             write_text (response, "after", error);
    }
  if (strcmp (path, "/restart") == 0)
    {
      /* Started again before the headers went out: the second counts. */
      g_assert_true (asgiref_wsgi_response_start (response, 200, NULL, error));
      g_assert_false (asgiref_wsgi_response_get_headers_sent (response));
      g_assert_true (asgiref_wsgi_response_start (response, 503, NULL, error));
      if (!write_text (response, "sorry", error))
        return FALSE;
      g_assert_true (asgiref_wsgi_response_get_headers_sent (response));
      g_assert_false (asgiref_wsgi_response_start (response, 500, NULL, &refused));
      g_assert_error (refused, ASGIREF_ERROR, ASGIREF_ERROR_FAILED);
      g_assert_cmpuint (asgiref_wsgi_response_get_status (response), ==, 503);
      return TRUE;
    }
  if (strcmp (path, "/bad-status") == 0)
    {
      g_assert_false (asgiref_wsgi_response_start (response, 99, NULL, &refused));
      g_assert_error (refused, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
      return asgiref_wsgi_response_start (response, 200, NULL, error) && write_text (response, "ok", error);
    }
  if (strcmp (path, "/capped") == 0)
    {
      /* content-length 5: the rest is not sent, and the writes succeed. */
      return asgiref_wsgi_response_start (response, 200, length, error) &&
             write_text (response, "hel", error) &&
             write_text (response, "lo world", error) &&
             write_text (response, "more", error);
    }
  if (strcmp (path, "/empty") == 0)
    return asgiref_wsgi_response_start (response, 204, NULL, error);
  if (strcmp (path, "/fails") == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the database is down");
      return FALSE;
    }
  /* /silent: returns without a response. */
  return TRUE;
}

static void
test_wsgi_start_rules (void)
{
  WsgiFixture f;
  g_autofree char *got = NULL;

  wsgi_fixture_init (&f, rules_handler);

  got = request_raw (&f, "GET /write-first HTTP/1.1\r\nHost: t\r\n\r\n");
  g_assert_true (g_str_has_prefix (got, "HTTP/1.1 201 "));
  g_assert_true (g_str_has_suffix (got, "\r\n\r\nafter"));
  g_clear_pointer (&got, g_free);

  got = request_raw (&f, "GET /restart HTTP/1.1\r\nHost: t\r\n\r\n");
  g_assert_true (g_str_has_prefix (got, "HTTP/1.1 503 "));
  g_assert_true (g_str_has_suffix (got, "\r\n\r\nsorry"));
  g_clear_pointer (&got, g_free);

  got = request_raw (&f, "GET /bad-status HTTP/1.1\r\nHost: t\r\n\r\n");
  g_assert_true (g_str_has_prefix (got, "HTTP/1.1 200 "));
  g_clear_pointer (&got, g_free);

  got = request_raw (&f, "GET /capped HTTP/1.1\r\nHost: t\r\n\r\n");
  g_assert_true (g_str_has_prefix (got, "HTTP/1.1 200 "));
  g_assert_nonnull (strstr (got, "\r\nContent-Length: 5\r\n"));
  g_assert_true (g_str_has_suffix (got, "\r\n\r\nhello"));
  g_clear_pointer (&got, g_free);

  got = request_raw (&f, "GET /empty HTTP/1.1\r\nHost: t\r\n\r\n");
  g_assert_true (g_str_has_prefix (got, "HTTP/1.1 204 "));
  g_clear_pointer (&got, g_free);

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING, "*GET /fails*the database is down*");
  got = request_raw (&f, "GET /fails HTTP/1.1\r\nHost: t\r\n\r\n");
  g_assert_true (g_str_has_prefix (got, "HTTP/1.1 500 "));
  g_test_assert_expected_messages ();
  g_clear_pointer (&got, g_free);

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING, "*GET /silent*without starting a response*");
  got = request_raw (&f, "GET /silent HTTP/1.1\r\nHost: t\r\n\r\n");
  g_assert_true (g_str_has_prefix (got, "HTTP/1.1 500 "));
  g_test_assert_expected_messages ();

  wsgi_fixture_clear (&f);
}

/* ---- The client leaves -------------------------------------------------- */

#define MAX_WRITES 100000

static gboolean
endless_handler (AsgirefScope         *scope,
                 GInputStream         *body,
                 AsgirefWsgiResponse  *response,
                 gpointer              data,
                 GError              **error)
{
  WsgiLog *log = data;

  note_call (log);
  if (!asgiref_wsgi_response_start (response, 200, NULL, error))
    return FALSE;
  /* Bounded: a failure guard. The client leaves after the first chunk. */
  for (guint i = 0; i < MAX_WRITES; i++)
    {
      if (!write_text (response, "chunk of an endless response\n", &log->write_error))
        {
          raise_flag (&log->write_failures);
          return TRUE;
        }
    }
  return TRUE;
}

static void
test_wsgi_client_leaves (void)
{
  WsgiFixture f;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GString) got = g_string_new (NULL);

  wsgi_fixture_init (&f, endless_handler);
  connection = raw_connect (&f.plain);
  raw_send (connection, "GET /endless HTTP/1.1\r\nHost: t\r\n\r\n");
  while (strstr (got->str, "endless response") == NULL)
    g_assert_cmpint (read_some (g_io_stream_get_input_stream (G_IO_STREAM (connection)), got), >, 0);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  test_iterate_until ("the handler's write to fail", &f.log.write_failures);
  g_assert_error (f.log.write_error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  wsgi_fixture_clear (&f);
}

/* ---- Handlers run at once, in their request's context ------------------- */

/* /a waits, holding its worker thread, until /b was answered: /b's handler
 * ran on another thread meanwhile, and the main loop served it. */
static gboolean
blocking_handler (AsgirefScope         *scope,
                  GInputStream         *body,
                  AsgirefWsgiResponse  *response,
                  gpointer              data,
                  GError              **error)
{
  WsgiLog *log = data;
  gboolean is_a = strcmp (asgiref_scope_get_path (scope), "/a") == 0;
  const char *before = asgiref_local_get_pointer (log->local, "request");

  note_call (log);
  /* Each request's own context: nothing of the other's. */
  if (before != NULL)
    return asgiref_wsgi_response_start (response, 500, NULL, error) && write_text (response, before, error);
  asgiref_local_set_pointer (log->local, "request", g_strdup (asgiref_scope_get_path (scope)), g_free);

  if (is_a)
    {
      raise_flag (&log->a_waiting);
      test_spin_until ("request /b to be answered", &log->b_done);
    }
  return asgiref_wsgi_response_start (response, 200, NULL, error) &&
         write_text (response, asgiref_local_get_pointer (log->local, "request"), error);
}

static void
test_wsgi_handlers_run_at_once (void)
{
  WsgiFixture f;
  g_autoptr(GSocketConnection) a = NULL;
  g_autofree char *got_b = NULL;
  g_autofree char *got_a = NULL;

  wsgi_fixture_init (&f, blocking_handler);
  a = raw_connect (&f.plain);
  raw_send (a, "GET /a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  test_iterate_until ("/a's handler to hold its thread", &f.log.a_waiting);

  got_b = request_raw (&f, "GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
  g_assert_true (g_str_has_suffix (got_b, "\r\n\r\n/b"));
  g_atomic_int_set (&f.log.b_done, 1);

  got_a = raw_read_to_end (a);
  g_assert_nonnull (strstr (got_a, "\r\n\r\n2\r\n/a\r\n"));

  wsgi_fixture_clear (&f);
}

static void
test_wsgi_declines_websocket (void)
{
  WsgiFixture f;
  g_autofree char *got = NULL;
  g_autoptr(GSocketConnection) connection = NULL;

  wsgi_fixture_init (&f, echo_handler);
  connection = raw_connect (&f.plain);
  raw_send (connection, "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  got = raw_read_to_end (connection);
  g_assert_true (g_str_has_prefix (got, "HTTP/1.1 403 "));
  g_assert_cmpint (g_atomic_int_get (&f.log.calls), ==, 0);
  wsgi_fixture_clear (&f);
}

/* ---- The bridge that runs them ------------------------------------------ */

static gboolean
thread_handler (AsgirefScope         *scope,
                GInputStream         *body,
                AsgirefWsgiResponse  *response,
                gpointer              data,
                GError              **error)
{
  WsgiLog *log = data;

  note_call (log);
  g_atomic_pointer_set (&log->handler_thread, g_thread_self ());
  return asgiref_wsgi_response_start (response, 200, NULL, error) && write_text (response, "ok", error);
}

static void
note_thread (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  g_task_return_pointer (task, g_thread_self (), NULL);
}

/* The application's bridge has one thread: the handler ran there, as a
 * job given to that bridge afterwards does. */
static void
test_wsgi_bridge_runs_the_handlers (void)
{
  g_autoptr(AsgirefBridge) bridge = asgiref_bridge_new (1);
  g_autoptr(AsgirefBridge) property = NULL;
  g_autoptr(AsgirefBridge) got = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  AsgirefApplication *app;
  WsgiFixture f;

  wsgi_fixture_init_with_bridge (&f, thread_handler, bridge);
  app = asgiref_server_get_application (f.server);
  got = asgiref_wsgi_application_get_bridge (ASGIREF_WSGI_APPLICATION (app));
  g_assert_true (got == bridge);
  g_object_get (app, "bridge", &property, NULL);
  g_assert_true (property == bridge);

  answer = request_raw (&f, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  g_assert_true (g_str_has_suffix (answer, "\r\n\r\nok"));
  g_assert_nonnull (g_atomic_pointer_get (&f.log.handler_thread));

  asgiref_bridge_sync_to_async (bridge, note_thread, NULL, NULL, ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE,
                                NULL, test_store_result, &result);
  test_wait_for_result (&result);
  g_assert_true (asgiref_bridge_sync_to_async_finish (bridge, result, &error) ==
                 g_atomic_pointer_get (&f.log.handler_thread));
  g_assert_no_error (error);

  /* NULL goes back to the default bridge. */
  asgiref_wsgi_application_set_bridge (ASGIREF_WSGI_APPLICATION (app), NULL);
  g_clear_object (&got);
  got = asgiref_wsgi_application_get_bridge (ASGIREF_WSGI_APPLICATION (app));
  g_assert_null (got);

  wsgi_fixture_clear (&f);
}

static void
test_wsgi_thread_sensitive_property (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_wsgi_application_new (echo_handler, NULL, NULL);

  g_assert_false (asgiref_wsgi_application_get_thread_sensitive (ASGIREF_WSGI_APPLICATION (app)));
  g_object_set (app, "thread-sensitive", TRUE, NULL);
  g_assert_true (asgiref_wsgi_application_get_thread_sensitive (ASGIREF_WSGI_APPLICATION (app)));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  test_add_in_own_context ("/wsgi/request", test_wsgi_request);
  test_add_in_own_context ("/wsgi/streams-both-ways", test_wsgi_streams_both_ways);
  test_add_in_own_context ("/wsgi/start-rules", test_wsgi_start_rules);
  test_add_in_own_context ("/wsgi/client-leaves", test_wsgi_client_leaves);
  test_add_in_own_context ("/wsgi/handlers-run-at-once", test_wsgi_handlers_run_at_once);
  test_add_in_own_context ("/wsgi/declines-websocket", test_wsgi_declines_websocket);
  test_add_in_own_context ("/wsgi/thread-sensitive-property", test_wsgi_thread_sensitive_property);
  test_add_in_own_context ("/wsgi/bridge-runs-the-handlers", test_wsgi_bridge_runs_the_handlers);

  return g_test_run ();
}
