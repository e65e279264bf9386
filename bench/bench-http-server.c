/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The server side of the HTTP benchmarks (bench/run drives it with wrk):
 *
 *   bench-http-server asgi[:THREADS]|wsgi|bare
 *
 * serves, on 127.0.0.1 and a port the system chooses (printed as the
 * first line of standard output):
 *   /       "Hello" (5 bytes)
 *   /now    "Hello", sent with try_send() instead of waiting on the
 *           body's send (ASGI only)
 *   /big    1 MiB of one GBytes, in one piece
 *   /count  how many requests were answered before this one
 *   /stream 1 GiB in chunks of 64 KiB, each sent once the previous one
 *           was written (ASGI only: the memory benchmark)
 *   /fail   a failing application: the instance ends with an error, and
 *           the server answers 500 (the bare handler answers 500)
 * either through AsgirefServer and a C function application (`asgi`), or
 * through AsgirefServer and a synchronous C handler on the WSGI adapter
 * (`wsgi`; not /stream), or
 * through a bare SoupServer handler doing the same work (`bare`), with the
 * same listening socket (backlog 4096). Both run on this thread's main
 * loop, unless `asgi:THREADS` asks for that many serving threads; the
 * program ends when its standard input closes.
 */
#include <stdio.h>
#include <string.h>

#include <asgiref.h>
#include <libsoup/soup.h>

#define BIG_SIZE (1024 * 1024)

static GBytes *hello;
static GBytes *big;
static gint answered;   /* atomic: with serving threads */

static GBytes *
answer_for (const char *path)
{
  if (strcmp (path, "/big") == 0)
    return g_bytes_ref (big);
  if (strcmp (path, "/count") == 0)
    {
      g_autofree char *text = g_strdup_printf ("%d\n", g_atomic_int_get (&answered));

      return g_bytes_new (text, strlen (text));
    }
  return g_bytes_ref (hello);
}

/* ---- bare libsoup ------------------------------------------------------- */

static void
bare_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           data)
{
  g_autoptr(GBytes) body = answer_for (path);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (strcmp (path, "/fail") == 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
      return;
    }

  soup_message_headers_append (headers, "content-type", "text/plain");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), body);
  g_atomic_int_inc (&answered);
}

/* ---- ASGI --------------------------------------------------------------- */

static void
on_body_sent (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;

  if (!asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* /stream: one chunk after the other, each sent when the one before it
 * was written to the socket, so memory stays flat whatever the reader's
 * speed. */
#define STREAM_CHUNK (64 * 1024)
#define STREAM_CHUNKS (16 * 1024)   /* 1 GiB */

typedef struct
{
  GTask *task;
  GBytes *chunk;
  guint sent;
} Stream;

static void
stream_next (AsgirefChannel *channel,
             Stream         *stream);

static void
on_stream_sent (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  Stream *stream = data;
  GError *error = NULL;

  if (!asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, &error) ||
      stream->sent == STREAM_CHUNKS)
    {
      if (error != NULL)
        g_task_return_error (stream->task, error);
      else
        g_task_return_boolean (stream->task, TRUE);
      g_object_unref (stream->task);
      g_bytes_unref (stream->chunk);
      g_free (stream);
      return;
    }
  stream_next (ASGIREF_CHANNEL (source), stream);
}

static void
stream_next (AsgirefChannel *channel,
             Stream         *stream)
{
  g_autoptr(AsgirefMessage) chunk = NULL;

  stream->sent++;
  chunk = asgiref_message_new_http_response_body (stream->chunk, stream->sent < STREAM_CHUNKS);
  asgiref_channel_send_async (channel, chunk, NULL, on_stream_sent, stream);
}

static void
asgi_app (AsgirefScope   *scope,
          AsgirefChannel *channel,
          GTask          *task,
          gpointer        data)
{
  AsgirefHeaders *headers = data;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(AsgirefMessage) chunk = NULL;

  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (strcmp (asgiref_scope_get_path (scope), "/fail") == 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "failing on purpose");
      return;
    }

  start = asgiref_message_new_http_response_start (200, headers, FALSE);
  if (strcmp (asgiref_scope_get_path (scope), "/stream") == 0)
    {
      Stream *stream = g_new0 (Stream, 1);

      stream->task = g_object_ref (task);
      stream->chunk = g_bytes_new_from_bytes (big, 0, STREAM_CHUNK);
      asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
      stream_next (channel, stream);
      return;
    }

  body = answer_for (asgiref_scope_get_path (scope));
  chunk = asgiref_message_new_http_response_body (body, FALSE);
  if (strcmp (asgiref_scope_get_path (scope), "/now") == 0)
    {
      GError *error = NULL;

      /* The server takes a start and a whole body at once: nothing to
       * wait for. */
      if (asgiref_channel_try_send (channel, start, &error) &&
          asgiref_channel_try_send (channel, chunk, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      g_atomic_int_inc (&answered);
      return;
    }
  asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
  asgiref_channel_send_async (channel, chunk, NULL, on_body_sent, g_object_ref (task));
  g_atomic_int_inc (&answered);
}

/* ---- WSGI --------------------------------------------------------------- */

static AsgirefHeaders *wsgi_hello_headers;
static AsgirefHeaders *wsgi_big_headers;

/* On a worker thread: the answer, framed by its length as the bare
 * handler's is. */
static gboolean
wsgi_handler (AsgirefScope         *scope,
              GInputStream         *body,
              AsgirefWsgiResponse  *response,
              gpointer              data,
              GError              **error)
{
  const char *path = asgiref_scope_get_path (scope);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(AsgirefHeaders) count = NULL;
  AsgirefHeaders *headers;

  if (strcmp (path, "/fail") == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "failing on purpose");
      return FALSE;
    }
  answer = answer_for (path);
  if (strcmp (path, "/big") == 0)
    headers = wsgi_big_headers;
  else if (strcmp (path, "/count") == 0)
    {
      static const char * const names[] = { "content-type", "content-length", NULL };
      g_autofree char *length = g_strdup_printf ("%" G_GSIZE_FORMAT, g_bytes_get_size (answer));
      const char *values[] = { "text/plain", length, NULL };

      headers = count = asgiref_headers_new (names, values, NULL);
    }
  else
    headers = wsgi_hello_headers;
  if (!asgiref_wsgi_response_start (response, 200, headers, error) ||
      !asgiref_wsgi_response_write (response, answer, NULL, error))
    return FALSE;
  g_atomic_int_inc (&answered);
  return TRUE;
}

/* ---- main --------------------------------------------------------------- */

static gboolean
on_stdin (GIOChannel   *source,
          GIOCondition  condition,
          gpointer      data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static GSocket *
listening_socket (GError **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_DEFAULT, error);

  if (socket == NULL)
    return NULL;
  g_socket_set_listen_backlog (socket, 4096);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

int
main (int   argc,
      char *argv[])
{
  static const char * const names[] = { "content-type", NULL };
  static const char * const values[] = { "text/plain", NULL };
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(SoupServer) bare = NULL;
  g_autoptr(AsgirefServer) asgi = NULL;
  g_autoptr(GIOChannel) input = NULL;
  guint8 *big_data;
  guint64 threads = 1;

  if (argc != 2 ||
      (strcmp (argv[1], "bare") != 0 && strcmp (argv[1], "asgi") != 0 &&
       strcmp (argv[1], "wsgi") != 0 &&
       !(g_str_has_prefix (argv[1], "asgi:") &&
         g_ascii_string_to_unsigned (argv[1] + 5, 10, 1, 64, &threads, NULL))))
    {
      g_printerr ("usage: %s asgi[:THREADS]|wsgi|bare\n", argv[0]);
      return 2;
    }

  hello = g_bytes_new_static ("Hello", 5);
  big_data = g_malloc (BIG_SIZE);
  memset (big_data, 'x', BIG_SIZE);
  big = g_bytes_new_take (big_data, BIG_SIZE);

  socket = listening_socket (&error);
  if (socket == NULL)
    g_error ("%s", error->message);

  if (strcmp (argv[1], "wsgi") == 0)
    {
      static const char * const wsgi_names[] = { "content-type", "content-length", NULL };
      static const char * const hello_values[] = { "text/plain", "5", NULL };
      g_autofree char *big_size = g_strdup_printf ("%d", BIG_SIZE);
      const char *big_values[] = { "text/plain", big_size, NULL };
      g_autoptr(AsgirefApplication) app = asgiref_wsgi_application_new (wsgi_handler, NULL, NULL);

      wsgi_hello_headers = asgiref_headers_new (wsgi_names, hello_values, NULL);
      wsgi_big_headers = asgiref_headers_new (wsgi_names, big_values, NULL);
      asgi = asgiref_server_new (app);
      if (!asgiref_server_listen_socket (asgi, socket, &error))
        g_error ("%s", error->message);
    }
  else if (strcmp (argv[1], "bare") == 0)
    {
      bare = soup_server_new ("server-header", "bench ", NULL);
      soup_server_add_handler (bare, NULL, bare_handler, NULL, NULL);
      if (!soup_server_listen_socket (bare, socket, 0, &error))
        g_error ("%s", error->message);
    }
  else
    {
      g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, NULL);
      g_autoptr(AsgirefApplication) app =
        asgiref_function_application_new (asgi_app, asgiref_headers_ref (headers),
                                          (GDestroyNotify) asgiref_headers_unref);

      asgiref_application_set_thread_safe (app, TRUE);
      asgi = asgiref_server_new (app);
      asgiref_server_set_serving_threads (asgi, (guint) threads);
      if (!asgiref_server_listen_socket (asgi, socket, &error))
        g_error ("%s", error->message);
    }

  address = g_socket_get_local_address (socket, &error);
  g_print ("%u\n", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
  fflush (stdout);

  input = g_io_channel_unix_new (0);
  g_io_add_watch (input, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, loop);
  g_main_loop_run (loop);

  g_bytes_unref (hello);
  g_bytes_unref (big);
  return 0;
}
