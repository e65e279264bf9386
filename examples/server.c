/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An HTTP server whose application keeps a request-scoped Local and calls
 * a blocking function through the bridge: the function runs on a worker
 * thread, reads the Local of its own request there, and the main loop
 * serves other requests meanwhile.
 *
 *   cc server.c -o server $(pkg-config --cflags --libs asgiref-1.0)
 *   ./server [PORT]        (0, the default, for any free port; Ctrl-C stops)
 */
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <asgiref.h>

typedef struct
{
  AsgirefLocal *local;
  gint requests;              /* counted, to name each request */
} App;

typedef struct
{
  AsgirefChannel *channel;
  GTask *task;                /* the instance's */
} Request;

static void
request_free (Request *request)
{
  g_object_unref (request->channel);
  g_object_unref (request->task);
  g_free (request);
}

/* On a worker thread: where a database query or a file read would go. */
static void
look_up (GTask        *task,
         gpointer      source,
         gpointer      data,
         GCancellable *cancellable)
{
  AsgirefLocal *local = data;

  g_usleep (20 * 1000);
  /* The request's context came along: its Local value is here. */
  g_task_return_pointer (task, g_strdup (asgiref_local_get_pointer (local, "request")), g_free);
}

static void
on_body_sent (GObject      *source,
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
on_looked_up (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  Request *request = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *seen = asgiref_bridge_sync_to_async_finish (ASGIREF_BRIDGE (source), result, &error);
  g_autofree char *text = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(AsgirefMessage) message = NULL;

  if (error != NULL)
    {
      g_task_return_error (request->task, g_steal_pointer (&error));
      request_free (request);
      return;
    }

  text = g_strdup_printf ("%s, read on a worker thread: %s\n", seen, seen);
  body = g_bytes_new_take (text, strlen (text));
  text = NULL;
  start = asgiref_message_new_http_response_start (200, NULL, FALSE);
  message = asgiref_message_new_http_response_body (body, FALSE);
  asgiref_channel_send_async (request->channel, start, NULL, NULL, NULL);
  asgiref_channel_send_async (request->channel, message, NULL, on_body_sent,
                              g_object_ref (request->task));
  request_free (request);
}

static void
app_call (AsgirefScope   *scope,
          AsgirefChannel *channel,
          GTask          *task,
          gpointer        data)
{
  App *app = data;
  Request *request;

  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      /* No lifespan: ending the instance says so. */
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* This instance's own value: no other request sees it. */
  asgiref_local_set_pointer (app->local, "request",
                             g_strdup_printf ("request %d", g_atomic_int_add (&app->requests, 1) + 1),
                             g_free);

  request = g_new0 (Request, 1);
  request->channel = g_object_ref (channel);
  request->task = g_object_ref (task);
  asgiref_bridge_sync_to_async (asgiref_bridge_get_default (), look_up,
                                g_object_ref (app->local), g_object_unref,
                                ASGIREF_SYNC_FLAGS_NOT_THREAD_SENSITIVE,
                                g_task_get_cancellable (task), on_looked_up, request);
}

static void
app_free (gpointer data)
{
  App *app = data;

  g_object_unref (app->local);
  g_free (app);
}

typedef struct
{
  AsgirefServer *server;
  GMainLoop *loop;
  guint port;
  int status;
} Main;

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Main *main_ = data;
  g_autoptr(GError) error = NULL;

  /* Listening once the application started, as the lifespan wants. */
  if (!asgiref_server_start_finish (main_->server, result, &error) ||
      !asgiref_server_listen_local (main_->server, main_->port, &error))
    {
      g_printerr ("server: %s\n", error->message);
      main_->status = 1;
      g_main_loop_quit (main_->loop);
      return;
    }
  g_print ("Serving on http://127.0.0.1:%u/\n", asgiref_server_get_port (main_->server));
  fflush (stdout);
}

static void
on_stopped (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Main *main_ = data;
  g_autoptr(GError) error = NULL;

  if (!asgiref_server_stop_finish (main_->server, result, &error))
    g_printerr ("server: %s\n", error->message);
  g_main_loop_quit (main_->loop);
}

static gboolean
on_signal (gpointer data)
{
  Main *main_ = data;

  asgiref_server_stop_async (main_->server, NULL, on_stopped, main_);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  Main main_ = { 0 };
  App *app = g_new0 (App, 1);
  g_autoptr(AsgirefApplication) application = NULL;

  main_.port = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 0;
  app->local = asgiref_local_new ();
  application = asgiref_function_application_new (app_call, app, app_free);

  main_.loop = g_main_loop_new (NULL, FALSE);
  main_.server = asgiref_server_new (application);
  g_unix_signal_add (SIGINT, on_signal, &main_);
  g_unix_signal_add (SIGTERM, on_signal, &main_);
  asgiref_server_start_async (main_.server, NULL, on_started, &main_);
  g_main_loop_run (main_.loop);

  g_object_unref (main_.server);
  g_main_loop_unref (main_.loop);
  return main_.status;
}
