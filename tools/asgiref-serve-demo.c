/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What `asgiref-serve` serves without --module: a small application that
 * shows the library at work, each page one feature.
 *
 *   /          a page that links to the others
 *   /stream    a response streamed a line at a time, every 200 ms
 *   /blocking  a blocking function run on a worker thread by the bridge,
 *              while the main loop goes on serving
 *   /local     a value set in a Local for this request only, read back on
 *              that worker thread, where the request's context followed
 *   /ws        a WebSocket that answers each text message with "echo: "
 *              and the message (the page at / talks to it)
 */
#include "config.h"

#include <string.h>

#include "asgiref-serve-demo.h"

#define STREAM_LINES 10
#define STREAM_INTERVAL_MS 200

static const char index_page[] =
  "<!DOCTYPE html>\n"
  "<html lang=\"en\"><head><meta charset=\"utf-8\"><title>asgiref-glib</title></head>\n"
  "<body>\n"
  "<h1>asgiref-glib</h1>\n"
  "<p>This page comes from an ASGI application written in C, served by\n"
  "<code>AsgirefServer</code> on libsoup and the GLib main loop.</p>\n"
  "<ul>\n"
  "<li><a href=\"/stream\">/stream</a>: a response streamed a line at a time\n"
  "(each send completes once its chunk was written).</li>\n"
  "<li><a href=\"/blocking\">/blocking</a>: a blocking function run on a\n"
  "worker thread through <code>AsgirefBridge</code>, while the main loop\n"
  "serves other requests.</li>\n"
  "<li><a href=\"/local\">/local</a>: a value set in an <code>AsgirefLocal</code>\n"
  "for this request, read back on that worker thread.</li>\n"
  "</ul>\n"
  "<h2>WebSocket echo</h2>\n"
  "<form id=\"form\"><input id=\"text\" value=\"hello\"> <button>Send</button></form>\n"
  "<pre id=\"log\"></pre>\n"
  "<script>\n"
  "const log = document.getElementById('log');\n"
  "const socket = new WebSocket(`ws://${location.host}/ws`);\n"
  "socket.onopen = () => {\n"
  "  log.textContent += 'connected\\n';\n"
  "  socket.send(document.getElementById('text').value);\n"
  "};\n"
  "socket.onmessage = event => { log.textContent += event.data + '\\n'; };\n"
  "socket.onclose = event => { log.textContent += `closed (${event.code})\\n`; };\n"
  "document.getElementById('form').onsubmit = event => {\n"
  "  event.preventDefault();\n"
  "  socket.send(document.getElementById('text').value);\n"
  "};\n"
  "</script>\n"
  "</body></html>\n";

typedef struct
{
  AsgirefLocal *local;          /* per request: its number */
  gint requests;   /* atomic: served on several threads with --threads */
} Demo;

static void
demo_free (gpointer data)
{
  Demo *demo = data;

  g_object_unref (demo->local);
  g_free (demo);
}

static void
on_sent_last (GObject      *source,
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
respond (AsgirefChannel *channel,
         GTask          *task,
         int             status,
         const char     *content_type,
         GBytes         *body)
{
  const char *names[] = { "content-type", NULL };
  const char *values[] = { content_type, NULL };
  g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, NULL);

  g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (status, headers, FALSE);
  g_autoptr(AsgirefMessage) whole = asgiref_message_new_http_response_body (body, FALSE);

  asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
  asgiref_channel_send_async (channel, whole, g_task_get_cancellable (task), on_sent_last, g_object_ref (task));
}

static void
respond_text (AsgirefChannel *channel,
              GTask          *task,
              int             status,
              char           *text)   /* transfer full */
{
  g_autoptr(GBytes) body = g_bytes_new_take (text, strlen (text));

  respond (channel, task, status, "text/plain; charset=utf-8", body);
}

/* ---- /stream ------------------------------------------------------------ */

typedef struct
{
  AsgirefChannel *channel;
  GTask *task;
  guint line;
} Stream;

static void stream_next (Stream *stream);

static void
stream_free (Stream *stream)
{
  g_object_unref (stream->channel);
  g_object_unref (stream->task);
  g_free (stream);
}

static gboolean
on_stream_due (gpointer data)
{
  stream_next (data);
  return G_SOURCE_REMOVE;
}

static void
on_stream_sent (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  Stream *stream = data;
  GError *error = NULL;
  g_autoptr(GSource) pause = NULL;

  if (!asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, &error))
    {
      /* The client left: the send says so, and the stream ends. */
      g_task_return_error (stream->task, error);
      stream_free (stream);
      return;
    }
  if (stream->line == STREAM_LINES)
    {
      g_task_return_boolean (stream->task, TRUE);
      stream_free (stream);
      return;
    }
  /* On the instance's own main context: a serving thread's, maybe. */
  pause = g_timeout_source_new (STREAM_INTERVAL_MS);
  g_source_set_static_name (pause, "[asgiref-serve] stream line due");
  g_source_set_callback (pause, on_stream_due, stream, NULL);
  g_source_attach (pause, g_main_context_get_thread_default ());
}

static void
stream_next (Stream *stream)
{
  g_autofree char *text = NULL;
  g_autoptr(GBytes) line = NULL;
  g_autoptr(AsgirefMessage) message = NULL;

  stream->line++;
  text = g_strdup_printf ("line %u of %u\n", stream->line, STREAM_LINES);
  line = g_bytes_new (text, strlen (text));
  message = asgiref_message_new_http_response_body (line, stream->line < STREAM_LINES);
  asgiref_channel_send_async (stream->channel, message, g_task_get_cancellable (stream->task),
                              on_stream_sent, stream);
}

static void
serve_stream (AsgirefChannel *channel,
              GTask          *task)
{
  const char *names[] = { "content-type", NULL };
  const char *values[] = { "text/plain; charset=utf-8", NULL };
  g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, NULL);
  g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (200, headers, FALSE);
  Stream *stream = g_new0 (Stream, 1);

  stream->channel = g_object_ref (channel);
  stream->task = g_object_ref (task);
  asgiref_channel_send_async (channel, start, NULL, NULL, NULL);
  stream_next (stream);
}

/* ---- /blocking and /local ----------------------------------------------- */

typedef struct
{
  AsgirefChannel *channel;
  GTask *task;
  AsgirefLocal *local;
} Blocking;

static void
blocking_free (gpointer data)
{
  Blocking *blocking = data;

  g_object_unref (blocking->channel);
  g_object_unref (blocking->task);
  g_object_unref (blocking->local);
  g_free (blocking);
}

/* On a worker thread of the bridge: a stand-in for a blocking call (a
 * database, a file), which the main loop never waits for. */
static void
blocking_work (GTask        *task,
               gpointer      source,
               gpointer      data,
               GCancellable *cancellable)
{
  Blocking *blocking = data;
  const char *request = asgiref_local_get_pointer (blocking->local, "request");

  g_usleep (100 * 1000);
  g_task_return_pointer (task,
                         g_strdup_printf ("Ran for 100 ms on a worker thread (%p), not the main loop's.\n"
                                          "This request's Local value, read there: %s\n",
                                          (void *) g_thread_self (),
                                          request != NULL ? request : "(none)"),
                         g_free);
}

static void
on_blocking_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  Blocking *blocking = data;
  g_autoptr(GError) error = NULL;
  char *text = asgiref_bridge_sync_to_async_finish (ASGIREF_BRIDGE (source), result, &error);

  if (text == NULL)
    g_task_return_error (blocking->task, g_steal_pointer (&error));
  else
    respond_text (blocking->channel, blocking->task, 200, text);
  blocking_free (blocking);
}

static void
serve_blocking (Demo           *demo,
                AsgirefChannel *channel,
                GTask          *task,
                gboolean        with_local)
{
  Blocking *blocking = g_new0 (Blocking, 1);

  blocking->channel = g_object_ref (channel);
  blocking->task = g_object_ref (task);
  blocking->local = g_object_ref (demo->local);
  /* This request's own value: no other request sees it, also on the
   * worker thread, which the request's context follows to. */
  if (with_local)
    asgiref_local_set_pointer (demo->local, "request",
                               g_strdup_printf ("request number %d",
                                                g_atomic_int_add (&demo->requests, 1) + 1),
                               g_free);
  asgiref_bridge_sync_to_async (asgiref_bridge_get_default (), blocking_work, blocking, NULL,
                                ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE, g_task_get_cancellable (task),
                                on_blocking_done, blocking);
}

/* ---- /ws ---------------------------------------------------------------- */

static void ws_next (AsgirefChannel *channel,
                     GTask          *task);

static void
on_ws_received (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(GTask) task = data;
  AsgirefChannel *channel = ASGIREF_CHANNEL (source);
  g_autoptr(AsgirefMessage) message = NULL;
  GError *error = NULL;

  message = asgiref_channel_receive_finish (channel, result, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  switch (asgiref_message_get_kind (message))
    {
    case ASGIREF_MESSAGE_WEBSOCKET_CONNECT:
      {
        g_autoptr(AsgirefMessage) accept = asgiref_message_new_websocket_accept (NULL, NULL);

        asgiref_channel_send_async (channel, accept, NULL, NULL, NULL);
      }
      break;
    case ASGIREF_MESSAGE_WEBSOCKET_RECEIVE:
      if (asgiref_message_get_text (message) != NULL)
        {
          g_autofree char *echo = g_strconcat ("echo: ", asgiref_message_get_text (message), NULL);
          g_autoptr(AsgirefMessage) reply = asgiref_message_new_websocket_send (NULL, echo);

          asgiref_channel_send_async (channel, reply, NULL, NULL, NULL);
        }
      break;
    case ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT:
    default:
      g_task_return_boolean (task, TRUE);
      return;
    }
  ws_next (channel, g_steal_pointer (&task));
}

static void
ws_next (AsgirefChannel *channel,
         GTask          *task)
{
  asgiref_channel_receive_async (channel, g_task_get_cancellable (task), on_ws_received, task);
}

/* ---- The application ---------------------------------------------------- */

static void
demo_call (AsgirefScope   *scope,
           AsgirefChannel *channel,
           GTask          *task,
           gpointer        data)
{
  Demo *demo = data;
  const char *path;

  if (asgiref_scope_get_kind (scope) == ASGIREF_SCOPE_WEBSOCKET &&
      strcmp (asgiref_scope_get_path (scope), "/ws") == 0)
    {
      ws_next (channel, g_object_ref (task));
      return;
    }
  /* No lifespan (the server serves it all the same), and no other
   * WebSocket (returning without accepting denies it: 403). */
  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  path = asgiref_scope_get_path (scope);
  if (strcmp (path, "/") == 0)
    {
      g_autoptr(GBytes) page = g_bytes_new_static (index_page, sizeof index_page - 1);

      respond (channel, task, 200, "text/html; charset=utf-8", page);
    }
  else if (strcmp (path, "/stream") == 0)
    serve_stream (channel, task);
  else if (strcmp (path, "/blocking") == 0)
    serve_blocking (demo, channel, task, FALSE);
  else if (strcmp (path, "/local") == 0)
    serve_blocking (demo, channel, task, TRUE);
  else
    respond_text (channel, task, 404, g_strdup_printf ("Nothing at %s\n", path));
}

AsgirefApplication *
asgiref_serve_demo_new (void)
{
  Demo *demo = g_new0 (Demo, 1);
  AsgirefApplication *application;

  demo->local = asgiref_local_new ();
  application = asgiref_function_application_new (demo_call, demo, demo_free);
  /* Its state is a Local and an atomic counter: --threads may serve it. */
  asgiref_application_set_thread_safe (application, TRUE);
  return application;
}
