/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The WebSocket entry of bench/run: a text message's round trip (client
 * sends, server echoes, client receives) through AsgirefServer and a C
 * application, against a bare libsoup WebSocket handler that echoes,
 * with libsoup's client, all on this thread's main loop. Prints
 *
 *   websocket-echo  ours  baseline  us/op  ratio
 *
 * medians of REPS runs of ROUND_TRIPS each, ours and the baseline
 * alternating.
 *
 * Usage: bench-websocket [ROUND_TRIPS [REPS]]   (defaults: 2000 7)
 */
#include <stdio.h>
#include <string.h>

#include <asgiref.h>
#include <libsoup/soup.h>

#include "bench-util.h"

/* ---- The echo, ours ----------------------------------------------------- */

static void echo_next (AsgirefChannel *channel,
                       GTask          *task);

static void
on_echo_received (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_autoptr(GTask) task = data;
  AsgirefChannel *channel = ASGIREF_CHANNEL (source);
  g_autoptr(AsgirefMessage) message = asgiref_channel_receive_finish (channel, result, NULL);
  g_autoptr(AsgirefMessage) reply = NULL;

  if (message == NULL || asgiref_message_get_kind (message) == ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (asgiref_message_get_kind (message) == ASGIREF_MESSAGE_WEBSOCKET_CONNECT)
    reply = asgiref_message_new_websocket_accept (NULL, NULL);
  else
    reply = asgiref_message_new_websocket_send (NULL, asgiref_message_get_text (message));
  asgiref_channel_send_async (channel, reply, NULL, NULL, NULL);
  echo_next (channel, g_steal_pointer (&task));
}

static void
echo_next (AsgirefChannel *channel,
           GTask          *task)
{
  asgiref_channel_receive_async (channel, NULL, on_echo_received, task);
}

static void
echo_app (AsgirefScope   *scope,
          AsgirefChannel *channel,
          GTask          *task,
          gpointer        data)
{
  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_WEBSOCKET)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  echo_next (channel, g_object_ref (task));
}

/* ---- The echo, bare libsoup --------------------------------------------- */

static void
on_bare_message (SoupWebsocketConnection *ws,
                 SoupWebsocketDataType    type,
                 GBytes                  *message,
                 gpointer                 data)
{
  soup_websocket_connection_send_message (ws, type, message);
}

static void
on_bare_websocket (SoupServer              *server,
                   SoupServerMessage       *msg,
                   const char              *path,
                   SoupWebsocketConnection *ws,
                   gpointer                 data)
{
  g_ptr_array_add (data, g_object_ref (ws));
  g_signal_connect (ws, "message", G_CALLBACK (on_bare_message), NULL);
}

/* ---- The client --------------------------------------------------------- */

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  *(SoupWebsocketConnection **) data =
    soup_session_websocket_connect_finish (SOUP_SESSION (source), result, NULL);
}

static SoupWebsocketConnection *
connect_to (SoupSession *session,
            guint        port)
{
  g_autofree char *uri = g_strdup_printf ("ws://127.0.0.1:%u/echo", port);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
  SoupWebsocketConnection *ws = NULL;

  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_connected, &ws);
  while (ws == NULL)
    g_main_context_iteration (NULL, TRUE);
  return ws;
}

static void
on_reply (SoupWebsocketConnection *ws,
          SoupWebsocketDataType    type,
          GBytes                  *message,
          gpointer                 data)
{
  (*(guint *) data)++;
}

/* Microseconds per round trip, over @n of them. */
static double
round_trips (SoupWebsocketConnection *ws,
             guint                    n)
{
  guint replies = 0;
  gulong handler = g_signal_connect (ws, "message", G_CALLBACK (on_reply), &replies);
  gint64 start = bench_now_ns ();

  for (guint i = 0; i < n; i++)
    {
      soup_websocket_connection_send_text (ws, "ping, and its echo");
      while (replies <= i)
        g_main_context_iteration (NULL, TRUE);
    }
  g_signal_handler_disconnect (ws, handler);
  return (bench_now_ns () - start) / 1000.0 / n;
}

static guint
listen_local (SoupServer *server)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;
  guint port;

  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("%s", error->message);
  uris = soup_server_get_uris (server);
  port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return port;
}

int
main (int   argc,
      char *argv[])
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 2000;
  guint reps = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 7;
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (echo_app, NULL, NULL);
  g_autoptr(AsgirefServer) ours = asgiref_server_new (app);
  g_autoptr(SoupServer) bare = soup_server_new (NULL, NULL);
  g_autoptr(GPtrArray) bare_connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  g_autoptr(SoupWebsocketConnection) to_ours = NULL;
  g_autoptr(SoupWebsocketConnection) to_bare = NULL;
  g_autofree double *ours_us = g_new (double, reps);
  g_autofree double *bare_us = g_new (double, reps);
  g_autoptr(GError) error = NULL;
  double o, b;

  if (!asgiref_server_listen_local (ours, 0, &error))
    g_error ("%s", error->message);
  soup_server_add_websocket_handler (bare, "/echo", NULL, NULL, on_bare_websocket, bare_connections, NULL);

  to_ours = connect_to (session, asgiref_server_get_port (ours));
  to_bare = connect_to (session, listen_local (bare));

  /* Warm-up, then the pairs, alternating. */
  round_trips (to_ours, n / 4 + 1);
  round_trips (to_bare, n / 4 + 1);
  for (guint i = 0; i < reps; i++)
    {
      bare_us[i] = round_trips (to_bare, n);
      ours_us[i] = round_trips (to_ours, n);
    }

  o = bench_median (ours_us, reps);
  b = bench_median (bare_us, reps);
  printf ("websocket-echo\t%.2f\t%.2f\tus/op\t%.3f\n", o, b, o / b);
  return 0;
}
