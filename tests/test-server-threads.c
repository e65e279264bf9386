/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A server with serving threads: requests served on several threads at
 * once, each instance with its own Local values, the lifespan on the main
 * context, limits and stops across the threads. The clients are raw
 * sockets read on the test's main context, which adds no threads of its
 * own, so that ThreadSanitizer sees only the server's.
 */
#include "config.h"

#include "asgiref.h"
#include "test-server-util.h"

#define N_THREADS 3

typedef struct
{
  GThread *main_thread;
  AsgirefLocal *local;
  gint lifespan_on_main;     /* the lifespan instance ran on the main thread */
  gint started;              /* chain: instances that started */
  gint failures;             /* what an instance found wrong, counted */
  gint cancelled;            /* hold_app: instances that saw their cancellation */
  gint holding;              /* hold_app: instances waiting to be released */
  /* many: instances parked until all arrived, then resumed. */
  GMutex lock;
  GPtrArray *parked;         /* GSource *, each with its main context as data */
  GPtrArray *parked_contexts;
  guint expected;
} ThreadsLog;

typedef struct
{
  ThreadsLog log;
  AsgirefServer *server;
} ThreadsFixture;

/* The thread an instance runs on, as the text its response carries. */
static char *
thread_text (void)
{
  return g_strdup_printf ("%p", (gpointer) g_thread_self ());
}

static void
respond_text (AsgirefChannel *channel,
              const char     *text,
              GTask          *task)
{
  send_response (channel, 200, text, task);
}

/* Answers lifespan like an application that uses it, noting its thread. */
static gboolean
handle_lifespan (AsgirefScope   *scope,
                 AsgirefChannel *channel,
                 GTask          *task,
                 ThreadsLog     *log);

static void
on_lifespan_message (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  g_autoptr(GTask) task = data;
  AsgirefChannel *channel = ASGIREF_CHANNEL (source);
  g_autoptr(AsgirefMessage) message = asgiref_channel_receive_finish (channel, result, NULL);

  if (message == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (asgiref_message_get_kind (message) == ASGIREF_MESSAGE_LIFESPAN_STARTUP)
    test_channel_send (channel, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE),
                       NULL, NULL, NULL);
  else
    test_channel_send (channel, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_COMPLETE),
                       NULL, NULL, NULL);
  asgiref_channel_receive_async (channel, NULL, on_lifespan_message, g_steal_pointer (&task));
}

static gboolean
handle_lifespan (AsgirefScope   *scope,
                 AsgirefChannel *channel,
                 GTask          *task,
                 ThreadsLog     *log)
{
  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_LIFESPAN)
    return FALSE;
  if (g_thread_self () == log->main_thread)
    g_atomic_int_inc (&log->lifespan_on_main);
  asgiref_channel_receive_async (channel, NULL, on_lifespan_message, g_object_ref (task));
  return TRUE;
}

static void
threads_fixture_init (ThreadsFixture         *f,
                      AsgirefApplicationFunc  func,
                      guint                   n_threads,
                      guint                   max_instances)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (func, &f->log, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  memset (f, 0, sizeof *f);
  f->log.main_thread = g_thread_self ();
  f->log.local = asgiref_local_new ();
  g_mutex_init (&f->log.lock);
  f->log.parked = g_ptr_array_new ();
  f->log.parked_contexts = g_ptr_array_new ();

  asgiref_application_set_thread_safe (app, TRUE);
  f->server = asgiref_server_new (app);
  asgiref_server_set_serving_threads (f->server, n_threads);
  asgiref_server_set_max_instances (f->server, max_instances);
  g_assert_cmpuint (asgiref_server_get_serving_threads (f->server), ==, n_threads);

  asgiref_server_start_async (f->server, NULL, test_store_result, &result);
  test_wait_for_result (&result);
  g_assert_true (asgiref_server_start_finish (f->server, result, &error));
  g_assert_no_error (error);
  g_assert_true (asgiref_server_listen_local (f->server, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_atomic_int_get (&f->log.lifespan_on_main), ==, 1);
}

static void
threads_fixture_stop (ThreadsFixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  asgiref_server_stop_async (f->server, NULL, test_store_result, &result);
  test_wait_for_result (&result);
  g_assert_true (asgiref_server_stop_finish (f->server, result, &error));
  g_assert_no_error (error);
}

static void
threads_fixture_clear (ThreadsFixture *f)
{
  /* The threads hold the server until they ended: it goes, so they did. */
  test_unref_and_wait_finalized ("the threaded server", f->server);
  g_assert_cmpint (g_atomic_int_get (&f->log.failures), ==, 0);
  g_clear_object (&f->log.local);
  g_ptr_array_unref (f->log.parked);
  g_ptr_array_unref (f->log.parked_contexts);
  g_mutex_clear (&f->log.lock);
}

static GSocketConnection *
connect_to (ThreadsFixture *f)
{
  Fixture plain = { .port = asgiref_server_get_port (f->server) };

  return raw_connect (&plain);
}

static void
send_get (GSocketConnection *connection,
          const char        *path)
{
  g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path);

  raw_send (connection, request);
}

static char *
read_body (GSocketConnection *connection,
           int                status)
{
  g_autoptr(GString) pending = g_string_new (NULL);
  g_autofree char *head = NULL;
  g_autofree char *expected = g_strdup_printf ("HTTP/1.1 %d ", status);
  char *body = NULL;

  raw_read_response (g_io_stream_get_input_stream (G_IO_STREAM (connection)), pending, &head, &body);
  g_assert_true (g_str_has_prefix (head, expected));
  return body;
}

/* ---- N threads at once -------------------------------------------------- */

/* Spins until *@counter reaches @n; FALSE after the test guard's time.
 * The test's own thread also runs its main context (@iterate), without
 * blocking in it: with serving threads, nothing happens there to wake it. */
static gboolean
spin_until_at_least (const gint *counter,
                     gint        n,
                     gboolean    iterate)
{
  gint64 deadline = g_get_monotonic_time () + TEST_GUARD_SECONDS * G_USEC_PER_SEC;

  while (g_atomic_int_get (counter) < n)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      if (!iterate || !g_main_context_iteration (NULL, FALSE))
        g_thread_yield ();
    }
  return TRUE;
}

/* Instance k of the chain holds its thread until every instance of the
 * chain started: the next one can only have been accepted by another
 * thread, so the chain proves N threads serving at once. */
static void
chain_app (AsgirefScope   *scope,
           AsgirefChannel *channel,
           GTask          *task,
           gpointer        data)
{
  ThreadsLog *log = data;
  const char *path = asgiref_scope_get_path (scope);
  g_autofree char *thread = NULL;

  if (handle_lifespan (scope, channel, task, log))
    return;

  if (g_thread_self () == log->main_thread || test_get_string (log->local, "request") != NULL)
    g_atomic_int_inc (&log->failures);
  test_set_string (log->local, "request", path);

  g_atomic_int_inc (&log->started);
  if (!spin_until_at_least (&log->started, N_THREADS, FALSE))
    g_atomic_int_inc (&log->failures);

  if (g_strcmp0 (test_get_string (log->local, "request"), path) != 0)
    g_atomic_int_inc (&log->failures);
  thread = thread_text ();
  respond_text (channel, thread, g_object_ref (task));
}

static void
test_threads_serve_at_once (void)
{
  ThreadsFixture f;
  GSocketConnection *connections[N_THREADS];
  g_autoptr(GHashTable) threads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  threads_fixture_init (&f, chain_app, N_THREADS, 0);

  for (guint i = 0; i < N_THREADS; i++)
    {
      g_autofree char *path = g_strdup_printf ("/chain/%u", i);

      connections[i] = connect_to (&f);
      send_get (connections[i], path);
      /* The next connection comes once this instance holds its thread. */
      if (i + 1 < N_THREADS)
        g_assert_true (spin_until_at_least (&f.log.started, (gint) i + 1, TRUE));
    }

  for (guint i = 0; i < N_THREADS; i++)
    {
      g_hash_table_add (threads, read_body (connections[i], 200));
      g_object_unref (connections[i]);
    }
  g_assert_cmpuint (g_hash_table_size (threads), ==, N_THREADS);

  threads_fixture_stop (&f);
  threads_fixture_clear (&f);
}

/* ---- Locals kept apart -------------------------------------------------- */

#define MANY 24

static gboolean
on_resumed (gpointer data)
{
  GTask *task = data;
  AsgirefChannel *channel = g_task_get_task_data (task);
  const char *seen = test_get_string (g_object_get_data (G_OBJECT (task), "local"), "request");

  /* Read back in the instance's context, after the others set theirs. */
  respond_text (channel, seen != NULL ? seen : "(none)", g_object_ref (task));
  return G_SOURCE_REMOVE;
}

/* Each instance reads the Local (nobody else's value), sets it to its
 * path, and parks until all MANY did; then each answers with what it
 * reads, in its own context. */
static void
many_app (AsgirefScope   *scope,
          AsgirefChannel *channel,
          GTask          *task,
          gpointer        data)
{
  ThreadsLog *log = data;
  GSource *resume;

  if (handle_lifespan (scope, channel, task, log))
    return;

  if (test_get_string (log->local, "request") != NULL)
    g_atomic_int_inc (&log->failures);
  test_set_string (log->local, "request", asgiref_scope_get_path (scope));

  g_task_set_task_data (task, g_object_ref (channel), g_object_unref);
  g_object_set_data (G_OBJECT (task), "local", log->local);
  resume = g_idle_source_new ();
  asgiref_context_source_set_callback (resume, on_resumed, g_object_ref (task), g_object_unref);

  g_mutex_lock (&log->lock);
  g_ptr_array_add (log->parked, resume);
  g_ptr_array_add (log->parked_contexts, g_main_context_ref_thread_default ());
  if (log->parked->len == log->expected)
    for (guint i = 0; i < log->parked->len; i++)
      {
        g_source_attach (log->parked->pdata[i], log->parked_contexts->pdata[i]);
        g_source_unref (log->parked->pdata[i]);
        g_main_context_unref (log->parked_contexts->pdata[i]);
      }
  g_mutex_unlock (&log->lock);
}

static void
test_threads_keep_locals_apart (void)
{
  ThreadsFixture f;
  GSocketConnection *connections[MANY];

  threads_fixture_init (&f, many_app, N_THREADS, 0);
  f.log.expected = MANY;

  for (guint i = 0; i < MANY; i++)
    {
      g_autofree char *path = g_strdup_printf ("/many/%u", i);

      connections[i] = connect_to (&f);
      send_get (connections[i], path);
    }
  for (guint i = 0; i < MANY; i++)
    {
      g_autofree char *path = g_strdup_printf ("/many/%u", i);
      g_autofree char *body = read_body (connections[i], 200);

      g_assert_cmpstr (body, ==, path);
      g_object_unref (connections[i]);
    }

  threads_fixture_stop (&f);
  threads_fixture_clear (&f);
}

/* ---- Limits and stops --------------------------------------------------- */

static void
on_hold_cancelled (GCancellable *cancellable,
                   gpointer      data)
{
  ThreadsLog *log = data;

  g_atomic_int_inc (&log->cancelled);
}

static void
on_hold_received (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  message = asgiref_channel_receive_finish (ASGIREF_CHANNEL (source), result, &error);
  if (message == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (asgiref_message_get_kind (message) == ASGIREF_MESSAGE_HTTP_DISCONNECT)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* The body ("release") arrived: answer. */
  respond_text (ASGIREF_CHANNEL (source), "released", g_steal_pointer (&task));
}

/* Answers once the request body arrives; ends when cancelled. */
static void
hold_app (AsgirefScope   *scope,
          AsgirefChannel *channel,
          GTask          *task,
          gpointer        data)
{
  ThreadsLog *log = data;
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (handle_lifespan (scope, channel, task, log))
    return;

  g_cancellable_connect (cancellable, G_CALLBACK (on_hold_cancelled), log, NULL);
  /* Past the http.request of the headers: the body comes when the test says. */
  asgiref_channel_receive_async (channel, cancellable, on_hold_received, g_object_ref (task));
  g_atomic_int_inc (&log->holding);
}

static void
test_threads_max_instances (void)
{
  ThreadsFixture f;
  g_autoptr(GSocketConnection) held = NULL;
  g_autoptr(GSocketConnection) refused = NULL;
  g_autoptr(GString) pending = g_string_new (NULL);
  g_autofree char *head = NULL;
  g_autofree char *body = NULL;

  threads_fixture_init (&f, hold_app, 2, 1);
  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING, "*max-instances (1)*");

  held = connect_to (&f);
  raw_send (held, "POST /held HTTP/1.1\r\nHost: test\r\nContent-Length: 7\r\n\r\n");
  g_assert_true (spin_until_at_least (&f.log.holding, 1, TRUE));

  /* Whichever thread takes it, the one instance allowed is running. */
  refused = connect_to (&f);
  send_get (refused, "/refused");
  raw_read_response (g_io_stream_get_input_stream (G_IO_STREAM (refused)), pending, &head, &body);
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 503 "));
  g_assert_nonnull (strstr (head, "\r\nretry-after: 1\r\n"));
  g_test_assert_expected_messages ();

  raw_send (held, "release");
  g_free (body);
  body = read_body (held, 200);
  g_assert_cmpstr (body, ==, "released");

  threads_fixture_stop (&f);
  threads_fixture_clear (&f);
}

/* A graceful stop waits for the instance running on a thread; a stop cut
 * short cancels it, and the threads still end. */
static void
test_threads_stop (void)
{
  ThreadsFixture f;
  g_autoptr(GSocketConnection) held = NULL;
  g_autoptr(GSocketConnection) late = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *refused = NULL;

  threads_fixture_init (&f, hold_app, 2, 0);

  held = connect_to (&f);
  raw_send (held, "POST /held HTTP/1.1\r\nHost: test\r\nContent-Length: 7\r\n\r\n");
  g_assert_true (spin_until_at_least (&f.log.holding, 1, TRUE));

  asgiref_server_stop_async (f.server, cancellable, test_store_result, &result);

  /* Stopping: a new request gets a 503, on whichever thread. */
  late = connect_to (&f);
  send_get (late, "/late");
  refused = read_body (late, 503);
  g_assert_null (result);

  g_cancellable_cancel (cancellable);
  test_wait_for_result (&result);
  g_assert_false (asgiref_server_stop_finish (f.server, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_atomic_int_get (&f.log.cancelled), ==, 1);

  g_clear_object (&result);   /* it holds the server */
  threads_fixture_clear (&f);
}

/* ---- What is refused ---------------------------------------------------- */

static void
test_threads_refuse_unsafe_application (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (chain_app, NULL, NULL);
  g_autoptr(AsgirefServer) server = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (asgiref_application_get_thread_safe (app));
  server = asgiref_server_new (app);
  g_object_set (server, "serving-threads", 2, NULL);
  g_assert_false (asgiref_server_listen_local (server, 0, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "thread-safe"));
}

static void
test_threads_fix_settings (void)
{
  if (g_test_subprocess ())
    {
      ThreadsFixture f;

      threads_fixture_init (&f, chain_app, 2, 0);
      test_allow_criticals ();
      asgiref_server_set_max_instances (f.server, 3);
      g_assert_cmpuint (asgiref_server_get_max_instances (f.server), ==, 0);
      threads_fixture_stop (&f);
      threads_fixture_clear (&f);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*max-instances cannot change once the server serves on threads*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  test_add_in_own_context ("/server/threads/serve-at-once", test_threads_serve_at_once);
  test_add_in_own_context ("/server/threads/keep-locals-apart", test_threads_keep_locals_apart);
  test_add_in_own_context ("/server/threads/max-instances", test_threads_max_instances);
  test_add_in_own_context ("/server/threads/stop", test_threads_stop);
  test_add_in_own_context ("/server/threads/refuse-unsafe-application",
                           test_threads_refuse_unsafe_application);
  test_add_in_own_context ("/server/threads/fix-settings", test_threads_fix_settings);

  return g_test_run ();
}
