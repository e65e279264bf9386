/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the server tests share: the log an application writes for its test
 * to read, a fixture with a server and a client on the test's main
 * context, raw connections for what libsoup's client would not do, and a
 * watch on what libsoup's server hands out and writes.
 */
#pragma once

#include <string.h>

#include <libsoup/soup.h>

#include "test-util.h"

/* What an application saw, for the test to check. */
typedef struct
{
  AsgirefScope *scope;
  GString *body;
  guint requests;            /* http.request messages */
  guint requests_before_end; /* of them, those with more_body */
  gint got_first_chunk;
  gint got_request;
  gint got_disconnect;
  gint ended;
  GPtrArray *lifespan;       /* the lifespan messages received, by type */
  AsgirefMessageKind startup_answer;
  AsgirefLocal *local;
  char *seen_before;         /* the Local's value when the instance began */
  const char * const *parts; /* parts_app: the body, in messages */
  /* stream_app: continues after its first chunk when set. */
  AsgirefChannel *paused_channel;
  GTask *paused_task;
  /* echo_app: when set, each http.request body that says more follows. */
  GPtrArray *request_chunks;
  /* bytes_app: the body, in messages, as the test made it. */
  GPtrArray *response_chunks;
  /* try_send_app: what each of its try_send() calls gave. */
  GPtrArray *try_sends;
} AppLog;

static inline void
app_log_clear (AppLog *log)
{
  g_clear_pointer (&log->scope, asgiref_scope_unref);
  if (log->body != NULL)
    g_string_free (log->body, TRUE);
  g_clear_pointer (&log->lifespan, g_ptr_array_unref);
  g_clear_object (&log->local);
  g_clear_pointer (&log->seen_before, g_free);
  g_clear_pointer (&log->request_chunks, g_ptr_array_unref);
  g_clear_pointer (&log->response_chunks, g_ptr_array_unref);
  g_clear_pointer (&log->try_sends, g_ptr_array_unref);
}

static inline void
send_response (AsgirefChannel *channel,
               int             status,
               const char     *text,
               GTask          *task)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  test_channel_send (channel, asgiref_message_new_http_response_start (status, NULL, FALSE),
                     NULL, NULL, NULL);
  test_channel_send (channel, asgiref_message_new_http_response_body (bytes, FALSE),
                     NULL, test_complete_with_send_result, task);
}

typedef struct
{
  AppLog log;
  AsgirefServer *server;
  SoupSession *session;
  guint port;
} Fixture;

static inline void
fixture_init (Fixture                *f,
              AsgirefApplicationFunc  func)
{
  g_autoptr(AsgirefApplication) app = NULL;
  g_autoptr(GError) error = NULL;

  memset (f, 0, sizeof *f);
  f->log.body = g_string_new (NULL);
  f->log.lifespan = g_ptr_array_new_with_free_func (g_free);
  f->log.startup_answer = ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE;
  app = asgiref_function_application_new (func, &f->log, NULL);
  f->server = asgiref_server_new (app);
  g_assert_true (asgiref_server_listen_local (f->server, 0, &error));
  g_assert_no_error (error);
  f->port = asgiref_server_get_port (f->server);
  g_assert_cmpuint (f->port, >, 0);
  /* No proxy lookups: they would run libproxy on a thread of its own. */
  f->session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
}

/* Runs the lifespan startup; the result (which holds the server) goes. */
static inline gboolean
fixture_start (Fixture  *f,
               GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  asgiref_server_start_async (f->server, NULL, test_store_result, &result);
  test_wait_for_result (&result);
  return asgiref_server_start_finish (f->server, result, error);
}

static inline void
fixture_stop (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  asgiref_server_stop_async (f->server, NULL, test_store_result, &result);
  test_wait_for_result (&result);
  g_assert_true (asgiref_server_stop_finish (f->server, result, &error));
  g_assert_no_error (error);
}

static inline void
fixture_clear (Fixture *f)
{
  g_object_unref (f->session);
  test_unref_and_wait_finalized ("the server", f->server);
  app_log_clear (&f->log);
}

static inline char *
url (Fixture    *f,
     const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", f->port, path);
}

/* Sends @msg and waits for the whole response body. */
static inline GBytes *
fetch (Fixture     *f,
       SoupMessage *msg)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *body;

  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, test_store_result, &result);
  test_wait_for_result (&result);
  body = soup_session_send_and_read_finish (f->session, result, &error);
  g_assert_no_error (error);
  return body;
}

static inline void
assert_body (GBytes     *body,
             const char *text)
{
  g_autofree char *got = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  g_assert_cmpstr (got, ==, text);
}

/* A raw connection, for what libsoup's client would not do. */
static inline GSocketConnection *
raw_connect (Fixture *f)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) f->port, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

static inline void
raw_send (GSocketConnection *connection,
          const char        *text)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             text, strlen (text), NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Reads what @input has now (waiting for something) onto @got; 0 at the
 * end of the stream. */
static inline gssize
read_some (GInputStream *input,
           GString      *got)
{
  g_autoptr(GAsyncResult) read = NULL;
  g_autoptr(GError) error = NULL;
  char buffer[256];
  gssize n;

  g_input_stream_read_async (input, buffer, sizeof buffer, G_PRIORITY_DEFAULT, NULL,
                             test_store_result, &read);
  test_wait_for_result (&read);
  n = g_input_stream_read_finish (input, read, &error);
  g_assert_no_error (error);
  g_string_append_len (got, buffer, n);
  return n;
}

/* Reads until the server closes the connection. */
static inline char *
raw_read_to_end (GSocketConnection *connection)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GString *got = g_string_new (NULL);

  while (read_some (input, got) > 0)
    ;
  return g_string_free (got, FALSE);
}

/* What libsoup's server handed out and wrote, seen from the signals of
 * each SoupServerMessage (all on the test's main context). */
typedef struct
{
  goffset offset;      /* in the response body */
  gconstpointer data;  /* what libsoup wrote from */
  gsize size;
} WrittenSpan;

typedef struct
{
  GPtrArray *got_chunks;    /* the GBytes of each got-chunk, kept alive */
  gconstpointer at_headers; /* the response body's first chunk when the
                             * headers were written */
  GArray *written;          /* WrittenSpan, for each wrote-body-data */
  goffset written_size;
} SoupWatch;

static inline void
soup_watch_init (SoupWatch *watch)
{
  memset (watch, 0, sizeof *watch);
  watch->got_chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  watch->written = g_array_new (FALSE, FALSE, sizeof (WrittenSpan));
}

static inline void
soup_watch_clear (SoupWatch *watch)
{
  g_ptr_array_unref (watch->got_chunks);
  g_array_unref (watch->written);
}

static inline void
on_watched_got_chunk (SoupServerMessage *msg,
                      GBytes            *chunk,
                      gpointer           data)
{
  SoupWatch *watch = data;

  g_ptr_array_add (watch->got_chunks, g_bytes_ref (chunk));
}

static inline void
on_watched_wrote_headers (SoupServerMessage *msg,
                          gpointer           data)
{
  SoupWatch *watch = data;
  g_autoptr(GBytes) first = NULL;

  first = soup_message_body_get_chunk (soup_server_message_get_response_body (msg), 0);
  watch->at_headers = first != NULL ? g_bytes_get_data (first, NULL) : NULL;
}

/* libsoup emits this after each write, before it drops the chunk it wrote
 * from: the body still holds that chunk at the offset written from. */
static inline void
on_watched_wrote_body_data (SoupServerMessage *msg,
                            guint              size,
                            gpointer           data)
{
  SoupWatch *watch = data;
  g_autoptr(GBytes) chunk = NULL;
  WrittenSpan span;

  span.offset = watch->written_size;
  span.size = size;
  chunk = soup_message_body_get_chunk (soup_server_message_get_response_body (msg), span.offset);
  g_assert_nonnull (chunk);
  g_assert_cmpuint (g_bytes_get_size (chunk), >=, size);
  span.data = g_bytes_get_data (chunk, NULL);
  g_array_append_val (watch->written, span);
  watch->written_size += size;
}

/* Connected before the server's own handlers on each message: "got-chunk"
 * handlers run in the order they were connected. */
static inline void
on_watched_request_started (SoupServer        *soup,
                            SoupServerMessage *msg,
                            gpointer           data)
{
  SoupWatch *watch = data;

  watch->written_size = 0;
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_watched_got_chunk), watch);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (on_watched_wrote_headers), watch);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_watched_wrote_body_data), watch);
}

static inline void
soup_watch_attach (SoupWatch *watch,
                   Fixture   *f)
{
  g_signal_connect (asgiref_server_get_soup_server (f->server), "request-started",
                    G_CALLBACK (on_watched_request_started), watch);
}

/* @size bytes of a pattern that differs for each @seed. */
static inline GBytes *
pattern_bytes (gsize size,
               guint seed)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (seed * 31 + i * 7 + i / 251);
  return g_bytes_new_take (data, size);
}

/* Reads one response framed by its Content-Length from @input, after
 * what was read before into @pending, and leaves there whatever follows
 * it; gives back the head (status line and headers, each ending in CRLF,
 * names lower-cased) and the body. */
static inline void
raw_read_response (GInputStream  *input,
                   GString       *pending,
                   char         **head,
                   char         **body)
{
  static const char length_header[] = "\r\ncontent-length: ";
  const char *blank;
  const char *length;
  gsize head_size;
  guint64 body_size;

  while ((blank = strstr (pending->str, "\r\n\r\n")) == NULL)
    g_assert_cmpint (read_some (input, pending), >, 0);
  head_size = blank + 2 - pending->str;
  *head = g_ascii_strdown (pending->str, head_size);
  /* The status line as it came. */
  memcpy (*head, pending->str, strcspn (pending->str, "\r"));

  g_assert_null (strstr (*head, "\r\ntransfer-encoding:"));
  length = strstr (*head, length_header);
  g_assert_nonnull (length);
  /* One length, or the client could not tell where the body ends. */
  g_assert_null (strstr (length + 1, length_header));
  body_size = g_ascii_strtoull (length + strlen (length_header), NULL, 10);

  while (pending->len < head_size + 2 + body_size)
    g_assert_cmpint (read_some (input, pending), >, 0);
  *body = g_strndup (pending->str + head_size + 2, body_size);
  g_string_erase (pending, 0, head_size + 2 + body_size);
}

/* Iterates the thread-default main context while @pending (@data) says
 * so; fails the test, naming @what, after TEST_GUARD_SECONDS (a guard
 * source wakes the loop, so that a wait with nothing happening ends). */
static inline void
iterate_while (gboolean   (*pending) (gpointer data),
               gpointer     data,
               const char  *what)
{
  gboolean timed_out = FALSE;
  GSource *guard = g_timeout_source_new_seconds (TEST_GUARD_SECONDS);

  g_source_set_callback (guard, test_guard_flag_cb, &timed_out, NULL);
  g_source_attach (guard, NULL);
  while (pending (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (guard);
  g_source_unref (guard);
  if (timed_out)
    g_error ("timed out after %d s waiting for %s", TEST_GUARD_SECONDS, what);
}
