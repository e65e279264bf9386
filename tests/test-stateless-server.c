/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefStatelessServer, through a subclass whose "stream" is the test:
 * it feeds messages by scope id and collects what the instances send.
 */
#include "config.h"

#include "asgiref.h"
#include "test-server-util.h"

/* ---- The subclass ------------------------------------------------------- */

#define TEST_TYPE_FEED_SERVER (test_feed_server_get_type ())
G_DECLARE_FINAL_TYPE (TestFeedServer, test_feed_server, TEST, FEED_SERVER, AsgirefStatelessServer)

struct _TestFeedServer
{
  AsgirefStatelessServer parent_instance;

  GTask *handle;               /* the stream is "open" while held */
  GPtrArray *sent;             /* "scope-path text" of each message out */
  gboolean refuse_output;
};

G_DEFINE_FINAL_TYPE (TestFeedServer, test_feed_server, ASGIREF_TYPE_STATELESS_SERVER)

static void
on_handle_cancelled (GCancellable *cancellable,
                     gpointer      data)
{
  TestFeedServer *self = data;
  g_autoptr(GTask) handle = g_steal_pointer (&self->handle);

  /* The stream closes when the run is cancelled. */
  if (handle != NULL)
    g_task_return_new_error (handle, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped");
}

static void
test_feed_server_handle (AsgirefStatelessServer *server,
                         GTask                  *task)
{
  TestFeedServer *self = TEST_FEED_SERVER (server);
  GCancellable *cancellable = g_task_get_cancellable (task);

  self->handle = g_object_ref (task);
  if (cancellable != NULL)
    g_cancellable_connect (cancellable, G_CALLBACK (on_handle_cancelled), self, NULL);
}

static gboolean
test_feed_server_application_send (AsgirefStatelessServer  *server,
                                   AsgirefScope            *scope,
                                   AsgirefMessage          *message,
                                   GError                 **error)
{
  TestFeedServer *self = TEST_FEED_SERVER (server);

  if (self->refuse_output)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "the stream is broken");
      return FALSE;
    }
  /* The answer to websocket.connect is not a line of the stream. */
  if (asgiref_message_get_kind (message) == ASGIREF_MESSAGE_WEBSOCKET_SEND)
    g_ptr_array_add (self->sent, g_strdup_printf ("%s %s", asgiref_scope_get_path (scope),
                                                  asgiref_message_get_text (message)));
  return TRUE;
}

static void
test_feed_server_finalize (GObject *object)
{
  TestFeedServer *self = TEST_FEED_SERVER (object);

  g_clear_object (&self->handle);
  g_ptr_array_unref (self->sent);
  G_OBJECT_CLASS (test_feed_server_parent_class)->finalize (object);
}

static void
test_feed_server_class_init (TestFeedServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_feed_server_finalize;
  ASGIREF_STATELESS_SERVER_CLASS (klass)->handle = test_feed_server_handle;
  ASGIREF_STATELESS_SERVER_CLASS (klass)->application_send = test_feed_server_application_send;
}

static void
test_feed_server_init (TestFeedServer *self)
{
  self->sent = g_ptr_array_new_with_free_func (g_free);
}

/* Hands @text to the instance of @id, as a websocket.receive of the scope
 * of path /@id. */
static void
feed (TestFeedServer *self,
      const char     *id,
      const char     *text)
{
  g_autofree char *path = g_strdup_printf ("/%s", id);
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_websocket (path, NULL, NULL, NULL);
  g_autoptr(AsgirefMessage) message = asgiref_message_new_websocket_receive (NULL, text);
  AsgirefChannel *channel;

  channel = asgiref_stateless_server_get_input_channel (ASGIREF_STATELESS_SERVER (self), id, scope);
  g_assert_true (asgiref_channel_put_input (channel, message, NULL));
}

/* ---- The application: numbers what each instance receives --------------- */

typedef struct
{
  AsgirefChannel *channel;
  GTask *task;
  guint count;
} Counter;

static void counter_next (Counter *counter);

static void
counter_free (Counter *counter)
{
  g_object_unref (counter->channel);
  g_object_unref (counter->task);
  g_free (counter);
}

static void
on_counter_received (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  Counter *counter = data;
  g_autoptr(AsgirefMessage) message = NULL;
  g_autofree char *text = NULL;
  GError *error = NULL;

  message = asgiref_channel_receive_finish (counter->channel, result, &error);
  if (message == NULL)
    {
      g_task_return_error (counter->task, error);
      counter_free (counter);
      return;
    }
  if (asgiref_message_get_kind (message) == ASGIREF_MESSAGE_WEBSOCKET_CONNECT)
    {
      test_channel_send (counter->channel, asgiref_message_new_websocket_accept (NULL, NULL),
                         NULL, NULL, NULL);
      counter_next (counter);
      return;
    }
  if (g_strcmp0 (asgiref_message_get_text (message), "fail") == 0)
    {
      g_task_return_new_error (counter->task, G_IO_ERROR, G_IO_ERROR_FAILED, "asked to fail");
      counter_free (counter);
      return;
    }
  if (g_strcmp0 (asgiref_message_get_text (message), "quit") == 0)
    {
      g_task_return_boolean (counter->task, TRUE);
      counter_free (counter);
      return;
    }

  text = g_strdup_printf ("%u %s", ++counter->count, asgiref_message_get_text (message));
  test_channel_send (counter->channel, asgiref_message_new_websocket_send (NULL, text), NULL, NULL, NULL);
  counter_next (counter);
}

static void
counter_next (Counter *counter)
{
  asgiref_channel_receive_async (counter->channel, g_task_get_cancellable (counter->task),
                                 on_counter_received, counter);
}

static void
counter_app (AsgirefScope   *scope,
             AsgirefChannel *channel,
             GTask          *task,
             gpointer        data)
{
  Counter *counter = g_new0 (Counter, 1);

  counter->channel = g_object_ref (channel);
  counter->task = g_object_ref (task);
  counter_next (counter);
}

/* ---- Fixture ------------------------------------------------------------ */

typedef struct
{
  TestFeedServer *server;
  GCancellable *stop;
  GAsyncResult *result;
  guint expected;
} FeedFixture;

static void
feed_fixture_init (FeedFixture *f)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (counter_app, NULL, NULL);

  memset (f, 0, sizeof *f);
  f->server = g_object_new (TEST_TYPE_FEED_SERVER, "application", app, "checker-interval", 5, NULL);
  f->stop = g_cancellable_new ();
  asgiref_stateless_server_run_async (ASGIREF_STATELESS_SERVER (f->server), f->stop,
                                      test_store_result, &f->result);
}

static gboolean
fewer_sent (gpointer data)
{
  FeedFixture *f = data;

  return f->server->sent->len < f->expected;
}

static void
wait_for_sent (FeedFixture *f,
               guint        n)
{
  f->expected = n;
  iterate_while (fewer_sent, f, "the instances' messages");
}

static gboolean
instances_above (gpointer data)
{
  FeedFixture *f = data;

  return asgiref_stateless_server_get_n_instances (ASGIREF_STATELESS_SERVER (f->server)) > f->expected;
}

static void
wait_for_instances (FeedFixture *f,
                    guint        n)
{
  f->expected = n;
  iterate_while (instances_above, f, "the checker to let instances go");
}

static void
feed_fixture_stop (FeedFixture *f)
{
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (f->stop);
  test_wait_for_result (&f->result);
  g_assert_true (asgiref_stateless_server_run_finish (ASGIREF_STATELESS_SERVER (f->server),
                                                      f->result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (asgiref_stateless_server_get_n_instances (ASGIREF_STATELESS_SERVER (f->server)), ==, 0);
  g_clear_object (&f->result);
  g_object_unref (f->stop);
  test_unref_and_wait_finalized ("the stateless server", f->server);
}

static int
compare_lines (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* What was sent from @first on, sorted (instances interleave; each one's
 * messages keep their order, which their numbers show), joined by "|". */
static char *
sent_from (FeedFixture *f,
           guint        first)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new ();

  for (guint i = first; i < f->server->sent->len; i++)
    g_ptr_array_add (lines, f->server->sent->pdata[i]);
  g_ptr_array_sort (lines, compare_lines);
  g_ptr_array_add (lines, NULL);
  return g_strjoinv ("|", (char **) lines->pdata);
}

/* ---- Tests -------------------------------------------------------------- */

static void
test_instance_per_scope_id (void)
{
  FeedFixture f;
  g_autofree char *got = NULL;

  feed_fixture_init (&f);
  feed (f.server, "ann", "hello");
  feed (f.server, "ann", "again");
  feed (f.server, "bob", "hi");
  wait_for_sent (&f, 3);
  g_assert_cmpuint (asgiref_stateless_server_get_n_instances (ASGIREF_STATELESS_SERVER (f.server)), ==, 2);

  /* Each scope id has its own instance, with its own count. */
  got = sent_from (&f, 0);
  g_assert_cmpstr (got, ==, "/ann 1 hello|/ann 2 again|/bob 1 hi");

  feed_fixture_stop (&f);
}

static void
test_oldest_is_evicted (void)
{
  FeedFixture f;
  g_autofree char *got = NULL;

  feed_fixture_init (&f);
  asgiref_stateless_server_set_max_instances (ASGIREF_STATELESS_SERVER (f.server), 2);
  /* Each answered before the next, so that no instance is evicted with a
   * message still unread. */
  feed (f.server, "a", "one");
  wait_for_sent (&f, 1);
  feed (f.server, "b", "one");
  wait_for_sent (&f, 2);
  feed (f.server, "a", "two");     /* a is used last: b is the oldest now */
  wait_for_sent (&f, 3);
  feed (f.server, "c", "one");
  wait_for_sent (&f, 4);
  g_assert_cmpuint (asgiref_stateless_server_get_n_instances (ASGIREF_STATELESS_SERVER (f.server)), ==, 2);

  /* b starts over (evicting a, now the oldest); c kept its count. */
  feed (f.server, "b", "again");
  feed (f.server, "c", "two");
  wait_for_sent (&f, 6);
  got = sent_from (&f, 4);
  g_assert_cmpstr (got, ==, "/b 1 again|/c 2 two");

  feed_fixture_stop (&f);
}

static void
test_checker_reaps_and_logs (void)
{
  FeedFixture f;

  feed_fixture_init (&f);
  feed (f.server, "ok", "hello");
  wait_for_sent (&f, 1);

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING, "*instance of “bad” failed: asked to fail*");
  feed (f.server, "bad", "fail");
  feed (f.server, "done", "quit");
  /* Both ended; the checker lets them go, and logs the failure. */
  wait_for_instances (&f, 1);
  g_test_assert_expected_messages ();

  g_assert_true (asgiref_stateless_server_delete_instance (ASGIREF_STATELESS_SERVER (f.server), "ok"));
  g_assert_false (asgiref_stateless_server_delete_instance (ASGIREF_STATELESS_SERVER (f.server), "ok"));
  g_assert_cmpuint (asgiref_stateless_server_get_n_instances (ASGIREF_STATELESS_SERVER (f.server)), ==, 0);

  feed_fixture_stop (&f);
}

static void
test_refused_output_cancels_the_instance (void)
{
  FeedFixture f;

  feed_fixture_init (&f);
  f.server->refuse_output = TRUE;
  g_test_expect_message ("Asgiref", G_LOG_LEVEL_WARNING, "*instance of “x” sent: the stream is broken*");
  feed (f.server, "x", "hello");
  wait_for_instances (&f, 0);
  g_test_assert_expected_messages ();
  feed_fixture_stop (&f);
}

static void
test_stop_cancels_running_instances (void)
{
  FeedFixture f;

  feed_fixture_init (&f);
  feed (f.server, "a", "one");
  feed (f.server, "b", "one");
  wait_for_sent (&f, 2);
  /* Both wait in a receive: the stop cancels them, and the run ends. */
  feed_fixture_stop (&f);
}

static void
failing_handle (AsgirefStatelessServer *server,
                GTask                  *task)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "no stream");
}

static void
test_handle_error_ends_the_run (void)
{
  g_autoptr(AsgirefApplication) app = asgiref_function_application_new (counter_app, NULL, NULL);
  g_autoptr(TestFeedServer) server = g_object_new (TEST_TYPE_FEED_SERVER, "application", app, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  AsgirefStatelessServerClass *klass = ASGIREF_STATELESS_SERVER_GET_CLASS (server);
  void (*handle) (AsgirefStatelessServer *, GTask *) = klass->handle;

  klass->handle = failing_handle;
  asgiref_stateless_server_run_async (ASGIREF_STATELESS_SERVER (server), NULL, test_store_result, &result);
  klass->handle = handle;
  test_wait_for_result (&result);
  g_assert_false (asgiref_stateless_server_run_finish (ASGIREF_STATELESS_SERVER (server), result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  g_assert_true (asgiref_stateless_server_get_application (ASGIREF_STATELESS_SERVER (server)) == app);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  test_add_in_own_context ("/stateless-server/instance-per-scope-id", test_instance_per_scope_id);
  test_add_in_own_context ("/stateless-server/oldest-is-evicted", test_oldest_is_evicted);
  test_add_in_own_context ("/stateless-server/checker-reaps-and-logs", test_checker_reaps_and_logs);
  test_add_in_own_context ("/stateless-server/refused-output-cancels-the-instance",
                           test_refused_output_cancels_the_instance);
  test_add_in_own_context ("/stateless-server/stop-cancels-running-instances",
                           test_stop_cancels_running_instances);
  test_add_in_own_context ("/stateless-server/handle-error-ends-the-run", test_handle_error_ends_the_run);

  return g_test_run ();
}
