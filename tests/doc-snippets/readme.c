/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The C fragments of README.md's API tour, run. Each fragment is here as
 * it is (check-snippets.py compares them), with what it leaves out around
 * it (the objects it uses, the test that runs it) and assertions on what
 * it shows.
 */
#include <asgiref.h>

#include "doc-util.h"

/* {{{ Context and Local */

static AsgirefLocal *request_local;   /* asgiref_local_new () at startup */

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  /* Later, from the main loop: still this request's values. */
  g_message ("request %s loaded its file",
             (char *) asgiref_local_get_pointer (request_local, "request_id"));
}

static void
handle_request (gpointer user_data)
{
  GFile *file = user_data;

  asgiref_local_set_pointer (request_local, "request_id", g_strdup ("42"), g_free);
  g_file_load_contents_async (file, NULL,
                              ASGIREF_CONTEXT_ASYNC_READY (on_loaded, NULL));
}

static void
test_context_follows_the_callback (void)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_test_get_filename (G_TEST_DIST, "readme.c", NULL));

  doc_forget_messages ();
  request_local = asgiref_local_new ();
  {
  /* Each request in a context of its own: */
  g_autoptr(AsgirefContext) context = asgiref_context_new ();
  asgiref_context_run (context, handle_request, file);
  }
  /* The value went into the request's context only. */
  g_assert_null (asgiref_local_get_pointer (request_local, "request_id"));
  doc_wait_for_messages (1);
  g_assert_cmpstr (g_ptr_array_index (doc_messages, 0), ==, "request 42 loaded its file");
  g_clear_object (&request_local);
}

/* }}} */

/* {{{ The bridge */

/* The legacy library of the fragment: it says which thread it ran on. */
typedef struct
{
  char *sql;
  GThread *thread;
} Rows;

static Rows *
legacy_db_query (const char *sql)
{
  Rows *rows = g_new0 (Rows, 1);

  rows->sql = g_strdup (sql);
  rows->thread = g_thread_self ();
  return rows;
}

static void
rows_free (Rows *rows)
{
  g_free (rows->sql);
  g_free (rows);
}

typedef struct
{
  Rows *rows;
} Page;

static void
on_rows (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Page *self = user_data;
  g_autoptr(GError) error = NULL;

  self->rows = asgiref_bridge_sync_to_async_finish (asgiref_bridge_get_default (), result, &error);
  g_assert_no_error (error);
}

static void
query_database (GTask *task, gpointer bridge, gpointer sql, GCancellable *cancellable)
{
  /* On the one thread of thread-sensitive code, never the main loop's. */
  g_task_return_pointer (task, legacy_db_query (sql), (GDestroyNotify) rows_free);
}

static void
test_sync_to_async (void)
{
  Page page = { NULL };
  Page *self = &page;
  GCancellable *cancellable = NULL;

  asgiref_bridge_sync_to_async (asgiref_bridge_get_default (), query_database,
                                g_strdup ("SELECT 1"), g_free,
                                ASGIREF_SYNC_FLAGS_NONE, cancellable, on_rows, self);

  doc_wait_for_pointer ((gpointer *) &self->rows);
  g_assert_cmpstr (self->rows->sql, ==, "SELECT 1");
  g_assert_true (self->rows->thread != g_thread_self ());
  rows_free (self->rows);
}

static void
on_downloaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GBytes *bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);

  if (bytes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

/* The async operation of the fragment: a download, of a file: URI here. */
static void
start_download (GTask *task, gpointer bridge, gpointer url, GCancellable *cancellable)
{
  g_autoptr(GFile) file = g_file_new_for_uri (url);

  g_file_load_bytes_async (file, cancellable, on_downloaded, g_object_ref (task));
}

/* Called from the test's thread with no main loop running, as a
 * command-line tool would. */
static void
test_async_to_sync (void)
{
  const char *path = g_test_get_filename (G_TEST_DIST, "readme.c", NULL);
  g_autofree char *url = g_filename_to_uri (path, NULL, NULL);
  g_autofree char *expected = NULL;
  gsize expected_size;
  GCancellable *cancellable = NULL;
  g_autoptr(GError) error = NULL;

  /* On a worker thread, or in a command-line tool: */
  g_autoptr(GAsyncResult) done =
    asgiref_bridge_async_to_sync (asgiref_bridge_get_default (), start_download,
                                  url, NULL, cancellable);
  GBytes *bytes = g_task_propagate_pointer (G_TASK (done), &error);

  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &expected, &expected_size, NULL));
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), expected, expected_size);
  g_bytes_unref (bytes);
}

/* }}} */

/* {{{ An application, and its server */

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (asgiref_channel_send_finish (ASGIREF_CHANNEL (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The application of the fragment: "hello" to every request (and
 * nothing to the lifespan protocol, which a server allows). */
static void
hello_app (AsgirefScope *scope, AsgirefChannel *channel, GTask *task, gpointer user_data)
{
  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_autoptr(GBytes) hello = g_bytes_new_static ("hello", 5);
  g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (200, NULL, FALSE);
  g_autoptr(AsgirefMessage) body = asgiref_message_new_http_response_body (hello, FALSE);

  asgiref_channel_send_async (channel, start, NULL, NULL, NULL);     /* in its call */
  asgiref_channel_send_async (channel, body, NULL, on_sent, g_object_ref (task));
}

static void
test_application (void)
{
  g_autoptr(AsgirefApplication) application = asgiref_function_application_new (hello_app, NULL, NULL);
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_http ("GET", "/", NULL, NULL);
  g_autoptr(AsgirefCommunicator) comm = asgiref_communicator_new (application, scope);
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(AsgirefMessage) body = NULL;
  g_autoptr(GBytes) text = NULL;
  g_autoptr(GError) error = NULL;

  start = asgiref_communicator_receive_output (comm, G_USEC_PER_SEC, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (asgiref_message_get_status (start), ==, 200);
  body = asgiref_communicator_receive_output (comm, G_USEC_PER_SEC, NULL, &error);
  g_assert_no_error (error);
  text = asgiref_message_get_body (body);
  g_assert_cmpmem (g_bytes_get_data (text, NULL), g_bytes_get_size (text), "hello", 5);
  g_assert_true (asgiref_communicator_wait (comm, G_USEC_PER_SEC, NULL, &error));
  g_assert_no_error (error);
}

static void
on_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!asgiref_server_start_finish (ASGIREF_SERVER (source), result, &error) ||
      !asgiref_server_listen_local (ASGIREF_SERVER (source), 0, &error))  /* 127.0.0.1, any port */
    g_error ("%s", error->message);
}

static void
on_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AsgirefTimeout) grace = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (asgiref_server_stop_finish (ASGIREF_SERVER (source), result, &error));
  g_assert_no_error (error);
  /* No request was running: the stop did not wait for the grace. */
  g_assert_false (asgiref_timeout_get_expired (grace));
  g_message ("stopped");
}

static void
test_server (void)
{
  g_autoptr(AsgirefApplication) application = asgiref_function_application_new (hello_app, NULL, NULL);
  g_autoptr(AsgirefServer) server = NULL;
  AsgirefTimeout *grace;
  g_autofree char *body = NULL;
  guint status;

  doc_forget_messages ();
  server = asgiref_server_new (application);
  asgiref_server_start_async (server, NULL, on_started, NULL);   /* lifespan */

  body = doc_get (doc_wait_for_port (server), "/", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (body, ==, "hello");

  /* ... later, giving running requests five seconds to end (the timer runs
   * as long as grace is kept: on_stopped drops it): */
  grace = asgiref_timeout_new (5 * G_USEC_PER_SEC, NULL);
  asgiref_server_stop_async (server, asgiref_timeout_get_cancellable (grace),
                             on_stopped, grace);

  doc_wait_for_messages (1);
  g_assert_cmpstr (g_ptr_array_index (doc_messages, 0), ==, "stopped");
}

/* }}} */

int
main (int argc, char **argv)
{
  doc_init (&argc, &argv);
  g_test_add_func ("/Doc/Readme/context-follows-the-callback", test_context_follows_the_callback);
  g_test_add_func ("/Doc/Readme/sync-to-async", test_sync_to_async);
  g_test_add_func ("/Doc/Readme/async-to-sync", test_async_to_sync);
  g_test_add_func ("/Doc/Readme/application", test_application);
  g_test_add_func ("/Doc/Readme/server", test_server);
  return doc_run ();
}
