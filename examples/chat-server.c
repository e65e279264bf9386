/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A toy chat protocol on standard input, served by an AsgirefStatelessServer
 * subclass: each line "NAME: TEXT" goes to the application instance of
 * NAME (one per user, started on the user's first line), and what the
 * instances send is printed as "[NAME] TEXT". The application counts each
 * user's lines, which only works because each user keeps one instance.
 *
 *   printf 'ann: hi\nbob: hello\nann: bye\n' | ./chat-server
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <gio/gunixinputstream.h>
#include <asgiref.h>

/* ---- The server: lines in, lines out ------------------------------------ */

#define CHAT_TYPE_SERVER (chat_server_get_type ())
G_DECLARE_FINAL_TYPE (ChatServer, chat_server, CHAT, SERVER, AsgirefStatelessServer)

struct _ChatServer
{
  AsgirefStatelessServer parent_instance;

  GDataInputStream *input;
};

G_DEFINE_FINAL_TYPE (ChatServer, chat_server, ASGIREF_TYPE_STATELESS_SERVER)

static void read_next_line (ChatServer *self, GTask *task);

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  g_autoptr(GTask) task = data;
  ChatServer *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (self->input, result, NULL, &error);
  g_autofree char *path = NULL;
  g_autoptr(AsgirefScope) scope = NULL;
  g_autoptr(AsgirefMessage) message = NULL;
  const char *colon;

  if (line == NULL)
    {
      /* The end of the stream (or its error, or the run's cancellation). */
      if (error != NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  colon = strchr (line, ':');
  if (colon == NULL || colon == line)
    {
      g_printerr ("chat-server: not “NAME: TEXT”: %s\n", line);
      read_next_line (self, g_steal_pointer (&task));
      return;
    }

  /* One WebSocket-like session per user: its path names the user. */
  path = g_strdup_printf ("/%.*s", (int) (colon - line), line);
  scope = asgiref_scope_new_websocket (path, NULL, NULL, NULL);
  message = asgiref_message_new_websocket_receive (NULL, g_strstrip ((char *) colon + 1));
  asgiref_channel_put_input (asgiref_stateless_server_get_input_channel (ASGIREF_STATELESS_SERVER (self),
                                                                         path + 1, scope),
                             message, NULL);
  read_next_line (self, g_steal_pointer (&task));
}

static void
read_next_line (ChatServer *self,
                GTask      *task)
{
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT,
                                       g_task_get_cancellable (task), on_line, task);
}

static void
chat_server_handle (AsgirefStatelessServer *server,
                    GTask                  *task)
{
  read_next_line (CHAT_SERVER (server), g_object_ref (task));
}

static gboolean
chat_server_application_send (AsgirefStatelessServer  *server,
                              AsgirefScope            *scope,
                              AsgirefMessage          *message,
                              GError                 **error)
{
  /* websocket.accept says the user joined: nothing to print. */
  if (asgiref_message_get_kind (message) == ASGIREF_MESSAGE_WEBSOCKET_SEND)
    {
      g_print ("[%s] %s\n", asgiref_scope_get_path (scope) + 1, asgiref_message_get_text (message));
      fflush (stdout);
    }
  return TRUE;
}

static void
chat_server_finalize (GObject *object)
{
  g_clear_object (&CHAT_SERVER (object)->input);
  G_OBJECT_CLASS (chat_server_parent_class)->finalize (object);
}

static void
chat_server_class_init (ChatServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = chat_server_finalize;
  ASGIREF_STATELESS_SERVER_CLASS (klass)->handle = chat_server_handle;
  ASGIREF_STATELESS_SERVER_CLASS (klass)->application_send = chat_server_application_send;
}

static void
chat_server_init (ChatServer *self)
{
  g_autoptr(GInputStream) in = g_unix_input_stream_new (0, FALSE);

  self->input = g_data_input_stream_new (in);
}

/* ---- The application: one instance per user ----------------------------- */

typedef struct
{
  AsgirefChannel *channel;
  GTask *task;
  char *user;
  guint lines;
} Session;

static void session_next (Session *session);

static void
session_end (Session *session,
             GError  *error)
{
  if (error != NULL)
    g_task_return_error (session->task, error);
  else
    g_task_return_boolean (session->task, TRUE);
  g_object_unref (session->channel);
  g_object_unref (session->task);
  g_free (session->user);
  g_free (session);
}

static void
on_received (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Session *session = data;
  GError *error = NULL;
  g_autoptr(AsgirefMessage) message = asgiref_channel_receive_finish (session->channel, result, &error);
  g_autoptr(AsgirefMessage) reply = NULL;
  g_autofree char *text = NULL;

  if (message == NULL)
    {
      session_end (session, error);
      return;
    }

  if (asgiref_message_get_kind (message) == ASGIREF_MESSAGE_WEBSOCKET_CONNECT)
    reply = asgiref_message_new_websocket_accept (NULL, NULL);
  else if (asgiref_message_get_kind (message) == ASGIREF_MESSAGE_WEBSOCKET_RECEIVE)
    {
      text = g_strdup_printf ("line %u of %s: %s", ++session->lines, session->user,
                              asgiref_message_get_text (message));
      reply = asgiref_message_new_websocket_send (NULL, text);
    }
  else
    {
      session_end (session, NULL);
      return;
    }
  asgiref_channel_send_async (session->channel, reply, NULL, NULL, NULL);
  session_next (session);
}

static void
session_next (Session *session)
{
  asgiref_channel_receive_async (session->channel, g_task_get_cancellable (session->task),
                                 on_received, session);
}

static void
chat_app (AsgirefScope   *scope,
          AsgirefChannel *channel,
          GTask          *task,
          gpointer        user_data)
{
  Session *session = g_new0 (Session, 1);

  session->channel = g_object_ref (channel);
  session->task = g_object_ref (task);
  session->user = g_strdup (asgiref_scope_get_path (scope) + 1);
  session_next (session);
}

/* ---- main --------------------------------------------------------------- */

static void
on_run (GObject      *source,
        GAsyncResult *result,
        gpointer      data)
{
  g_autoptr(GError) error = NULL;
  int *status = data;

  if (!asgiref_stateless_server_run_finish (ASGIREF_STATELESS_SERVER (source), result, &error))
    {
      g_printerr ("chat-server: %s\n", error->message);
      *status = 1;
    }
  else
    *status = 0;
}

int
main (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (chat_app, NULL, NULL);
  g_autoptr(ChatServer) server = g_object_new (CHAT_TYPE_SERVER, "application", app, NULL);
  int status = -1;

  setlocale (LC_ALL, "");
  asgiref_stateless_server_run_async (ASGIREF_STATELESS_SERVER (server), NULL, on_run, &status);
  while (status < 0)
    g_main_context_iteration (NULL, TRUE);
  return status;
}
