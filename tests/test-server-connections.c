/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefServer's connections: it accepts them itself, so that running out
 * of descriptors only pauses it; it closes the ones whose clients left,
 * times out slow and idle ones, and never serves a request that ended
 * before its headers did. Client and server share the test's main
 * context, as in test-server.c.
 */
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "asgiref-server-private.h"
#include "test-server-util.h"

/* {{{ Helpers */

/* The paths hello_app was asked for, in order. */
static GPtrArray *served_paths;

/* hello_app: counts its requests in log->requests, records their paths in
 * served_paths and the last scope in log->scope, answers "hello". */
static void
hello_app (AsgirefScope   *scope,
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
  log->requests++;
  g_ptr_array_add (served_paths, g_strdup (asgiref_scope_get_path (scope)));
  g_clear_pointer (&log->scope, asgiref_scope_unref);
  log->scope = asgiref_scope_ref (scope);
  send_response (channel, 200, "hello", g_object_ref (task));
}

static guint
open_descriptors (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
run_pending (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

typedef struct
{
  Fixture *f;
  guint n;
} Connections;

static gboolean
other_connections (gpointer data)
{
  Connections *wanted = data;

  return asgiref_server_get_n_connections (wanted->f->server) != wanted->n;
}

/* Runs the main context until @f's server has @n connections open. */
static void
wait_for_connections (Fixture *f,
                      guint    n)
{
  Connections wanted = { f, n };

  iterate_while (other_connections, &wanted, "the connections to close");
}

/* Sends @request on @connection and reads the response to it. */
static void
request (GSocketConnection *connection,
         const char        *request)
{
  g_autoptr(GString) pending = g_string_new (NULL);
  g_autofree char *head = NULL;
  g_autofree char *body = NULL;

  raw_send (connection, request);
  raw_read_response (g_io_stream_get_input_stream (G_IO_STREAM (connection)), pending, &head, &body);
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 200 "));
  g_assert_cmpstr (body, ==, "hello");
  g_assert_cmpuint (pending->len, ==, 0);
}

static const char get_request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

/* A request on a new connection, which then waits for the next one, as a
 * browser's does. */
static GSocketConnection *
kept_alive (Fixture *f)
{
  GSocketConnection *connection = raw_connect (f);

  request (connection, get_request);
  return connection;
}

/* }}} */

/* {{{ Clients that leave */

/* Connections that their clients close while idle are closed on the
 * server too: libsoup 3.2 alone keeps each one's descriptor, and a server
 * with the common limit of 1024 stops accepting after about a thousand
 * clients. */
static void
test_idle_connections_closed_by_clients_close (void)
{
  guint before;
  Fixture f;

  fixture_init (&f, hello_app);
  g_object_unref (kept_alive (&f));
  wait_for_connections (&f, 0);
  run_pending ();
  before = open_descriptors ();

  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(GSocketConnection) connection = kept_alive (&f);

      g_assert_cmpuint (asgiref_server_get_n_connections (f.server), ==, 1);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      wait_for_connections (&f, 0);
    }
  run_pending ();
  g_assert_cmpuint (open_descriptors (), ==, before);
  g_assert_cmpuint (f.log.requests, ==, 201);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* The probe: 300 clients one after the other, each closing its
 * connection after its response, to a server limited to 256 descriptors
 * (in a child process, which alone has the low limit). libsoup alone
 * stopped accepting for good at the 249th. */
static void
test_many_clients_fit_a_low_descriptor_limit (void)
{
  if (g_test_subprocess ())
    {
      struct rlimit limit;
      Fixture f;

      g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &limit), ==, 0);
      limit.rlim_cur = 256;
      g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);

      fixture_init (&f, hello_app);
      for (guint i = 0; i < 300; i++)
        {
          g_autoptr(GSocketConnection) connection = kept_alive (&f);

          g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
          run_pending ();
        }
      g_assert_cmpuint (f.log.requests, ==, 300);
      wait_for_connections (&f, 0);
      fixture_stop (&f);
      fixture_clear (&f);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* The same for a client that resets its connection. */
static void
test_idle_connections_reset_by_clients_close (void)
{
  struct linger linger = { .l_onoff = 1, .l_linger = 0 };
  g_autoptr(GSocketConnection) connection = NULL;
  Fixture f;

  fixture_init (&f, hello_app);
  connection = kept_alive (&f);
  /* A zero linger time turns close into a reset. */
  g_assert_cmpint (setsockopt (g_socket_get_fd (g_socket_connection_get_socket (connection)),
                               SOL_SOCKET, SO_LINGER, &linger, sizeof linger), ==, 0);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  wait_for_connections (&f, 0);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A client that shuts its side after its last request gets the response,
 * then the end of the stream: nothing after it, no error response. */
static void
test_half_closed_client_gets_its_response_then_the_end (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *got = NULL;
  Fixture f;

  fixture_init (&f, hello_app);
  connection = kept_alive (&f);
  raw_send (connection, get_request);
  g_assert_true (g_socket_shutdown (g_socket_connection_get_socket (connection), FALSE, TRUE, NULL));
  got = raw_read_to_end (connection);
  g_assert_true (g_str_has_prefix (got, "HTTP/1.1 200 "));
  g_assert_true (g_str_has_suffix (got, "\r\n\r\nhello"));
  g_assert_null (strstr (got + 1, "HTTP/"));
  wait_for_connections (&f, 0);
  g_assert_cmpuint (f.log.requests, ==, 2);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* libsoup 3.2 serves a request whose stream ended after a line of headers
 * as if they were complete: the server does not, on a new connection or
 * after a response. */
static void
test_request_cut_short_is_not_served (void)
{
  static const char cut[] = "GET /cut HTTP/1.1\r\nHost: x\r\n";
  Fixture f;

  fixture_init (&f, hello_app);
  for (guint after_a_response = 0; after_a_response < 2; after_a_response++)
    {
      g_autoptr(GSocketConnection) connection = after_a_response ? kept_alive (&f) : raw_connect (&f);
      g_autofree char *got = NULL;

      raw_send (connection, cut);
      g_assert_true (g_socket_shutdown (g_socket_connection_get_socket (connection), FALSE, TRUE, NULL));
      got = raw_read_to_end (connection);
      g_assert_cmpstr (got, ==, "");
      wait_for_connections (&f, 0);
    }
  /* Only the one before. */
  g_assert_cmpuint (f.log.requests, ==, 1);

  /* Pipelined behind a whole one, and cut short. */
  {
    g_autoptr(GSocketConnection) connection = raw_connect (&f);
    g_autofree char *both = g_strconcat (get_request, cut, NULL);
    g_autofree char *got = NULL;

    raw_send (connection, both);
    g_assert_true (g_socket_shutdown (g_socket_connection_get_socket (connection), FALSE, TRUE, NULL));
    got = raw_read_to_end (connection);
    g_assert_true (g_str_has_suffix (got, "\r\n\r\nhello"));
    g_assert_null (strstr (got + 1, "HTTP/"));
    wait_for_connections (&f, 0);
  }
  g_assert_cmpuint (f.log.requests, ==, 2);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* Pipelined requests are answered, in order, on one connection. */
static void
test_pipelined_requests_are_answered_in_order (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GString) pending = g_string_new (NULL);
  Fixture f;

  fixture_init (&f, hello_app);
  g_ptr_array_set_size (served_paths, 0);
  connection = raw_connect (&f);
  raw_send (connection, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *head = NULL;
      g_autofree char *body = NULL;

      raw_read_response (g_io_stream_get_input_stream (G_IO_STREAM (connection)), pending, &head, &body);
      g_assert_true (g_str_has_prefix (head, "HTTP/1.1 200 "));
      g_assert_cmpstr (body, ==, "hello");
    }
  g_assert_cmpuint (served_paths->len, ==, 3);
  g_assert_cmpstr (served_paths->pdata[0], ==, "/1");
  g_assert_cmpstr (served_paths->pdata[1], ==, "/2");
  g_assert_cmpstr (served_paths->pdata[2], ==, "/3");
  g_assert_cmpuint (asgiref_server_get_n_connections (f.server), ==, 1);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* HTTP/1.0 keeps a connection only when the client asks to. */
static void
test_http_1_0_keeps_alive_when_asked (void)
{
  g_autoptr(GSocketConnection) kept = NULL;
  g_autoptr(GSocketConnection) closed = NULL;
  g_autoptr(GString) pending = g_string_new (NULL);
  g_autofree char *got = NULL;
  Fixture f;

  fixture_init (&f, hello_app);
  kept = raw_connect (&f);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *head = NULL;
      g_autofree char *body = NULL;

      raw_send (kept, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      raw_read_response (g_io_stream_get_input_stream (G_IO_STREAM (kept)), pending, &head, &body);
      g_assert_true (g_str_has_prefix (head, "HTTP/1.0 200 "));
      g_assert_nonnull (strstr (head, "\r\nconnection: keep-alive\r\n"));
      g_assert_cmpstr (body, ==, "hello");
    }

  closed = raw_connect (&f);
  raw_send (closed, "GET / HTTP/1.0\r\n\r\n");
  got = raw_read_to_end (closed);
  g_assert_true (g_str_has_prefix (got, "HTTP/1.0 200 "));
  g_assert_true (g_str_has_suffix (got, "\r\n\r\nhello"));
  wait_for_connections (&f, 1);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* With access-log on, each request makes a line in the Common Log Format,
 * in the log domain Asgiref-Access. */
static void
test_access_log_has_a_line_per_request (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  Fixture f;

  fixture_init (&f, hello_app);
  asgiref_server_set_access_log (f.server, TRUE);
  g_assert_true (asgiref_server_get_access_log (f.server));
  connection = raw_connect (&f);

  g_test_expect_message ("Asgiref-Access", G_LOG_LEVEL_INFO,
                         "127.0.0.1 - - [*/*/*:*:*:* *] \"GET /a%20b?c=1 HTTP/1.1\" 200 5");
  request (connection, "GET /a%20b?c=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  g_test_assert_expected_messages ();

  /* Refused before any instance: 400, no body. */
  g_test_expect_message ("Asgiref-Access", G_LOG_LEVEL_INFO, "127.0.0.1 - - [*] \"POST / HTTP/1.1\" 400 -");
  raw_send (connection, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy");
  g_free (raw_read_to_end (connection));
  g_test_assert_expected_messages ();

  fixture_stop (&f);
  fixture_clear (&f);
}

/* }}} */

/* {{{ Request framing */

static gboolean
path_was_served (const char *path)
{
  for (guint i = 0; i < served_paths->len; i++)
    if (g_str_equal (served_paths->pdata[i], path))
      return TRUE;
  return FALSE;
}

/* Sends @size bytes of @text on a new connection, shuts the client's
 * side, and returns all the server wrote until it closed. */
static char *
exchange_all (Fixture    *f,
              const char *text,
              gsize       size)
{
  g_autoptr(GSocketConnection) connection = raw_connect (f);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             text, size, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_shutdown (g_socket_connection_get_socket (connection), FALSE, TRUE, NULL));
  return raw_read_to_end (connection);
}

typedef struct
{
  const char *text;
  gsize size;
} Bytes;

#define BYTES(literal) { literal, sizeof literal - 1 }

#define POST_CHUNKED "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
#define SMUGGLED "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

/* Bodies libsoup 3.2 frames leniently, so that the rest would be read as a
 * request of its own: the connection is closed instead, and what follows
 * is never served. */
static void
test_malformed_body_framing_closes_the_connection (void)
{
  static const Bytes requests[] = {
    /* strtoul() reads "zz" as 0: the last chunk. */
    BYTES (POST_CHUNKED "zz\r\nhello\r\n0\r\n\r\n" SMUGGLED),
    BYTES (POST_CHUNKED "0x5\r\nhello\r\n0\r\n\r\n" SMUGGLED),
    BYTES (POST_CHUNKED " 5\r\nhello\r\n0\r\n\r\n" SMUGGLED),
    BYTES (POST_CHUNKED "-1\r\nhello\r\n0\r\n\r\n" SMUGGLED),
    /* A chunk longer than its size: libsoup skips the rest of its line. */
    BYTES (POST_CHUNKED "5\r\nhelloGET /smuggled HTTP/1.1\r\n0\r\n\r\n" SMUGGLED),
    /* A trailer section: libsoup stops after its first line. */
    BYTES (POST_CHUNKED "5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n" SMUGGLED),
    /* A length that is not a number: libsoup reads "1e3" as 1. */
    BYTES ("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n" SMUGGLED),
    /* A NUL inside the name, which libsoup drops before reading it. */
    BYTES ("POST /upload HTTP/1.1\r\nHost: x\r\nContent-\0Length: x\r\n\r\n" SMUGGLED),
  };
  Fixture f;

  fixture_init (&f, hello_app);
  for (gsize i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autofree char *got = exchange_all (&f, requests[i].text, requests[i].size);

      /* Closed where the framing broke, before any response. */
      g_assert_cmpstr (got, ==, "");
      g_assert_false (path_was_served ("/smuggled"));
    }
  wait_for_connections (&f, 0);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* Framing that is valid, with what libsoup reads as leniently, keeps the
 * requests after it in step. */
static void
test_valid_body_framing_keeps_requests_in_step (void)
{
  static const char * const requests[] = {
    POST_CHUNKED "5;name=value\r\nhello\r\n6 ; x\r\n world\r\n0\r\n\r\n",
    POST_CHUNKED "A\nhelloworld\n0\n\n",
    "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length:  11 \r\n\r\nhello world",
    "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    "GET /upload HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
  };
  Fixture f;

  fixture_init (&f, hello_app);
  for (gsize i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autofree char *both = g_strconcat (requests[i], "GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", NULL);
      g_autofree char *got = exchange_all (&f, both, strlen (both));
      const char *second = strstr (got + 1, "HTTP/1.1 200 ");

      g_assert_true (g_str_has_prefix (got, "HTTP/1.1 200 "));
      g_assert_nonnull (second);
      g_assert_true (g_str_has_suffix (second, "\r\n\r\nhello"));
      g_assert_cmpstr (served_paths->pdata[served_paths->len - 1], ==, "/next");
    }
  wait_for_connections (&f, 0);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* What docs/server.md says `raw_path` carries: libsoup's parse of the
 * request target, with dot segments removed (also written as escapes)
 * and escapes in upper case; bytes that are not UTF-8 become U+FFFD in
 * `path`. */
static void
test_raw_path_is_libsoups_parse_of_the_target (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GBytes) raw_path = NULL;
  Fixture f;

  fixture_init (&f, hello_app);
  connection = raw_connect (&f);
  request (connection, "GET /a/%2e%2e/b%2fc/d%ff HTTP/1.1\r\nHost: x\r\n\r\n");
  raw_path = asgiref_scope_get_raw_path (f.log.scope);
  assert_body (raw_path, "/b%2Fc/d%FF");
  g_assert_cmpstr (asgiref_scope_get_path (f.log.scope), ==, "/b/c/d\xef\xbf\xbd");

  fixture_stop (&f);
  fixture_clear (&f);
}

/* The root path the server is given is every scope's. */
static void
test_root_path_is_in_every_scope (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  Fixture f;

  fixture_init (&f, hello_app);
  g_assert_null (asgiref_server_get_root_path (f.server));
  asgiref_server_set_root_path (f.server, "/app");
  g_assert_cmpstr (asgiref_server_get_root_path (f.server), ==, "/app");
  connection = raw_connect (&f);
  request (connection, "GET /app/page HTTP/1.1\r\nHost: x\r\n\r\n");
  g_assert_cmpstr (asgiref_scope_get_root_path (f.log.scope), ==, "/app");
  g_assert_cmpstr (asgiref_scope_get_path (f.log.scope), ==, "/app/page");
  g_assert_true (asgiref_scope_validate (f.log.scope, NULL));

  asgiref_server_set_root_path (f.server, "");
  g_assert_null (asgiref_server_get_root_path (f.server));
  request (connection, get_request);
  g_assert_cmpstr (asgiref_scope_get_root_path (f.log.scope), ==, "");

  fixture_stop (&f);
  fixture_clear (&f);
}

/* }}} */

/* {{{ Timeouts */

/* Reads @connection to its end, which the server makes, and returns how
 * long that took, in seconds. */
static double
seconds_to_end (GSocketConnection *connection,
                const char        *expected)
{
  gint64 start = g_get_monotonic_time ();
  g_autofree char *got = raw_read_to_end (connection);

  g_assert_cmpstr (got, ==, expected);
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static void
test_idle_connections_time_out (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  double waited;
  Fixture f;

  fixture_init (&f, hello_app);
  g_assert_cmpuint (asgiref_server_get_keep_alive_timeout (f.server), ==, 60);
  asgiref_server_set_keep_alive_timeout (f.server, 1);
  connection = kept_alive (&f);
  waited = seconds_to_end (connection, "");
  g_assert_cmpfloat (waited, >, 0.5);
  wait_for_connections (&f, 0);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* A client that sends its headers too slowly is dropped, no instance
 * started for it, while others are served. */
static void
test_slow_headers_time_out_without_an_instance (void)
{
  Fixture f;

  fixture_init (&f, hello_app);
  g_assert_cmpuint (asgiref_server_get_header_timeout (f.server), ==, 30);
  asgiref_server_set_header_timeout (f.server, 1);

  for (guint after_a_response = 0; after_a_response < 2; after_a_response++)
    {
      g_autoptr(GSocketConnection) slow = after_a_response ? kept_alive (&f) : raw_connect (&f);
      guint requests = f.log.requests;
      double waited;

      raw_send (slow, "GET /slow HTTP/1.1\r\nHost: x\r\n");
      /* Meanwhile, another client. */
      {
        g_autoptr(GSocketConnection) other = raw_connect (&f);

        request (other, get_request);
      }
      waited = seconds_to_end (slow, "");
      g_assert_cmpfloat (waited, >, 0.5);
      g_assert_cmpuint (f.log.requests, ==, requests + 1);
    }
  wait_for_connections (&f, 0);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* Iterates the main context for @ms milliseconds. */
static void
iterate_for (guint ms)
{
  gint done = FALSE;
  GSource *timer = g_timeout_source_new (ms);

  g_source_set_callback (timer, test_guard_flag_cb, &done, NULL);
  g_source_attach (timer, g_main_context_get_thread_default ());
  test_iterate_until ("a pause", &done);
  g_source_destroy (timer);
  g_source_unref (timer);
}

/* The timeouts run from the connection's latest request, however long it
 * was busy before: a keep-alive connection serving requests for longer
 * than both timeouts is kept, and once idle it is dropped a full idle
 * timeout after its last response. */
static void
test_timeouts_follow_a_busy_connection (void)
{
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *rest = NULL;
  gint64 last_response;
  double idle;
  Fixture f;

  fixture_init (&f, hello_app);
  asgiref_server_set_header_timeout (f.server, 1);
  asgiref_server_set_keep_alive_timeout (f.server, 1);
  connection = raw_connect (&f);

  for (guint i = 0; i < 8; i++)
    {
      request (connection, get_request);
      iterate_for (300);
    }
  last_response = g_get_monotonic_time ();
  request (connection, get_request);
  rest = raw_read_to_end (connection);
  g_assert_cmpstr (rest, ==, "");
  idle = (g_get_monotonic_time () - last_response) / (double) G_USEC_PER_SEC;
  g_assert_cmpfloat (idle, >, 0.9);
  g_assert_cmpfloat (idle, <, 5.0);
  wait_for_connections (&f, 0);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* }}} */

/* {{{ Listening */

/* Sends a request on @connection and checks the answer. */
static void
assert_served_on (GSocketConnection *connection)
{
  request (connection, get_request);
}

static GSocketConnection *
connect_to (GSocketAddress *address)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_assert_no_error (error);
  return connection;
}

/* IPv6, port 0: the URI says which port the system chose. */
static void
test_listens_on_ipv6 (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) chosen = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *first = NULL;
  GSList *uris;
  Fixture f;

  fixture_init (&f, hello_app);
  if (!asgiref_server_listen (f.server, any_port, &error))
    {
      g_test_skip_printf ("no IPv6 loopback: %s", error->message);
      fixture_stop (&f);
      fixture_clear (&f);
      return;
    }

  uris = asgiref_server_get_uris (f.server);
  /* The fixture's 127.0.0.1, then ::1. */
  g_assert_cmpuint (g_slist_length (uris), ==, 2);
  first = g_uri_to_string (uris->data);
  expected = g_strdup_printf ("http://127.0.0.1:%u/", f.port);
  g_assert_cmpstr (first, ==, expected);
  g_assert_cmpstr (g_uri_get_host (uris->next->data), ==, "::1");
  g_assert_cmpint (g_uri_get_port (uris->next->data), >, 0);

  chosen = g_inet_socket_address_new (loopback, (guint16) g_uri_get_port (uris->next->data));
  connection = connect_to (chosen);
  assert_served_on (connection);
  {
    const char *host = NULL;
    int port = 0;

    g_assert_true (asgiref_scope_get_client (f.log.scope, &host, &port));
    g_assert_cmpstr (host, ==, "::1");
  }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  fixture_stop (&f);
  fixture_clear (&f);
}

static void
test_listens_on_a_unix_socket (void)
{
  g_autofree char *dir = g_dir_make_tmp ("asgiref-test-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "socket", NULL);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;
  Fixture f;

  fixture_init (&f, hello_app);
  g_assert_true (asgiref_server_listen (f.server, address, &error));
  g_assert_no_error (error);
  /* No URI for it: only the fixture's. */
  uris = asgiref_server_get_uris (f.server);
  g_assert_cmpuint (g_slist_length (uris), ==, 1);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  connection = connect_to (address);
  assert_served_on (connection);
  g_assert_false (asgiref_scope_get_client (f.log.scope, NULL, NULL));

  fixture_stop (&f);
  fixture_clear (&f);
  g_unlink (path);
  g_rmdir (dir);
}

/* Socket activation: the sockets named by LISTEN_FDS and LISTEN_PID (from
 * descriptor 100 here: the test's process has its own at 3). */
static void
test_listens_on_sockets_systemd_passed (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) passed = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  Fixture f;

  passed = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (passed, any_port, TRUE, &error));
  g_assert_true (g_socket_listen (passed, &error));
  bound = g_socket_get_local_address (passed, &error);
  g_assert_cmpint (dup2 (g_socket_get_fd (passed), 100), ==, 100);

  fixture_init (&f, hello_app);
  /* Not for this process: refused, and the variables are gone. */
  g_setenv ("LISTEN_PID", "1", TRUE);
  g_setenv ("LISTEN_FDS", "1", TRUE);
  g_assert_false (_asgiref_server_listen_systemd_from (f.server, 100, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (g_getenv ("LISTEN_FDS"));

  g_setenv ("LISTEN_PID", pid, TRUE);
  g_setenv ("LISTEN_FDS", "1", TRUE);
  g_assert_true (_asgiref_server_listen_systemd_from (f.server, 100, &error));
  g_assert_no_error (error);
  g_assert_null (g_getenv ("LISTEN_PID"));

  connection = connect_to (bound);
  assert_served_on (connection);

  fixture_stop (&f);
  fixture_clear (&f);
}

/* }}} */

/* {{{ Descriptors */

/* Out of descriptors, the server warns and tries again, rather than
 * never accept again as libsoup 3.2's listener does. */
static void
test_accepting_survives_running_out_of_descriptors (void)
{
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);
  struct rlimit saved, low;
  Fixture f;

  fixture_init (&f, hello_app);
  g_object_unref (kept_alive (&f));
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  low = saved;
  low.rlim_cur = open_descriptors () + 8;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);

  /* Clients until the process has no descriptor left: the last ones are
   * connected (the kernel's backlog takes them) but not accepted. */
  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING, "*Cannot accept connections:*trying again*");
  for (;;)
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GError) error = NULL;
      GSocketConnection *connection;

      g_socket_client_set_enable_proxy (client, FALSE);
      connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) f.port, NULL, &error);
      if (connection == NULL)
        break;
      g_ptr_array_add (clients, connection);
      run_pending ();
    }
  run_pending ();
  g_test_assert_expected_messages ();

  /* Descriptors again: the server accepts again, and serves. */
  g_test_expect_message ("Asgiref", G_LOG_LEVEL_MESSAGE, "Accepting connections again");
  g_ptr_array_set_size (clients, 0);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  g_object_unref (kept_alive (&f));
  g_test_assert_expected_messages ();

  fixture_stop (&f);
  fixture_clear (&f);
}

/* }}} */

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  served_paths = g_ptr_array_new_with_free_func (g_free);

  g_test_add_func ("/Asgiref/Server/Connections/idle-connections-closed-by-clients-close",
                   test_idle_connections_closed_by_clients_close);
  g_test_add_func ("/Asgiref/Server/Connections/many-clients-fit-a-low-descriptor-limit",
                   test_many_clients_fit_a_low_descriptor_limit);
  g_test_add_func ("/Asgiref/Server/Connections/idle-connections-reset-by-clients-close",
                   test_idle_connections_reset_by_clients_close);
  g_test_add_func ("/Asgiref/Server/Connections/half-closed-client-gets-its-response-then-the-end",
                   test_half_closed_client_gets_its_response_then_the_end);
  g_test_add_func ("/Asgiref/Server/Connections/request-cut-short-is-not-served",
                   test_request_cut_short_is_not_served);
  g_test_add_func ("/Asgiref/Server/Connections/pipelined-requests-are-answered-in-order",
                   test_pipelined_requests_are_answered_in_order);
  g_test_add_func ("/Asgiref/Server/Connections/http-1-0-keeps-alive-when-asked",
                   test_http_1_0_keeps_alive_when_asked);
  g_test_add_func ("/Asgiref/Server/Connections/access-log-has-a-line-per-request",
                   test_access_log_has_a_line_per_request);
  g_test_add_func ("/Asgiref/Server/Connections/malformed-body-framing-closes-the-connection",
                   test_malformed_body_framing_closes_the_connection);
  g_test_add_func ("/Asgiref/Server/Connections/valid-body-framing-keeps-requests-in-step",
                   test_valid_body_framing_keeps_requests_in_step);
  g_test_add_func ("/Asgiref/Server/Connections/raw-path-is-libsoups-parse-of-the-target",
                   test_raw_path_is_libsoups_parse_of_the_target);
  g_test_add_func ("/Asgiref/Server/Connections/root-path-is-in-every-scope",
                   test_root_path_is_in_every_scope);
  g_test_add_func ("/Asgiref/Server/Connections/idle-connections-time-out",
                   test_idle_connections_time_out);
  g_test_add_func ("/Asgiref/Server/Connections/slow-headers-time-out-without-an-instance",
                   test_slow_headers_time_out_without_an_instance);
  g_test_add_func ("/Asgiref/Server/Connections/timeouts-follow-a-busy-connection",
                   test_timeouts_follow_a_busy_connection);
  g_test_add_func ("/Asgiref/Server/Connections/listens-on-ipv6", test_listens_on_ipv6);
  g_test_add_func ("/Asgiref/Server/Connections/listens-on-a-unix-socket", test_listens_on_a_unix_socket);
  g_test_add_func ("/Asgiref/Server/Connections/listens-on-sockets-systemd-passed",
                   test_listens_on_sockets_systemd_passed);
  g_test_add_func ("/Asgiref/Server/Connections/accepting-survives-running-out-of-descriptors",
                   test_accepting_survives_running_out_of_descriptors);

  status = g_test_run ();
  g_ptr_array_unref (served_paths);
  return status;
}
