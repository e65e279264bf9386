/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * context-demo: AsgirefContext and AsgirefLocal at work.
 *
 * Two "requests" are started on the main thread, each in its own context.
 * Each hands its blocking part to a worker thread and gets its answer back
 * on the main loop through a GTask, while a timeout source fires for it on
 * the main loop too. Every callback prints what it sees:
 *
 *  - the context Local ("request_id", "user") follows each request to its
 *    worker thread, its GTask callback and its timeout source, and the two
 *    requests never see each other's values;
 *  - the thread-critical Local ("thread") stays on the thread that set it;
 *  - a child context starts with its parent's values, and its own writes
 *    never reach the parent;
 *  - the "initialize" signal gives every new context a default user.
 *
 * The program checks what it sees and exits with status 1 when anything
 * differs from what the library promises, so it doubles as a smoke test.
 */
#include <locale.h>

#include <asgiref.h>

#define N_REQUESTS 2

static AsgirefLocal *request_local; /* scope CONTEXT: follows the work */
static AsgirefLocal *thread_local;  /* scope THREAD_CRITICAL: stays put */
static GMainLoop *loop;
static guint pending;      /* callbacks still to come on the main loop */
static guint failures;

typedef struct
{
  int             n;
  AsgirefContext *context; /* the request's context, captured for the worker */
  GTask          *task;    /* answered by the worker; its callback runs on main */
  GThread        *thread;
} Job;

static Job jobs[N_REQUESTS];

static const char *users[N_REQUESTS] = { "alice", "bob" };

/* Reads what the two Locals hold here and now, prints it, and compares it
 * with what should be there (expected_id 0: "request_id" must be unset). */
static void
report (const char *where,
        int         expected_id,
        const char *expected_user,
        const char *expected_thread)
{
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  const char *user, *thread;
  int id = 0;

  if (asgiref_local_get_value (request_local, "request_id", &value, &error))
    id = g_value_get_int (&value);
  user = asgiref_local_get_pointer (request_local, "user");
  thread = asgiref_local_get_pointer (thread_local, "thread");

  if (id != 0)
    g_print ("%-44s request_id=%d user=%s thread-critical=%s\n",
             where, id, user, thread ? thread : "(not set)");
  else
    g_print ("%-44s request_id=(%s) user=%s thread-critical=%s\n",
             where,
             g_error_matches (error, ASGIREF_ERROR, ASGIREF_ERROR_NOT_SET) ? "not set" : "?",
             user, thread ? thread : "(not set)");

  if (id != expected_id ||
      g_strcmp0 (user, expected_user) != 0 ||
      g_strcmp0 (thread, expected_thread) != 0)
    {
      g_printerr ("  UNEXPECTED: wanted request_id=%d user=%s thread-critical=%s\n",
                  expected_id, expected_user, expected_thread ? expected_thread : "(not set)");
      failures++;
    }
}

/* Runs once in every context (or thread, for the thread-critical Local)
 * the first time the Local is used there, before that use. */
static void
on_initialize (AsgirefLocal *local,
               gpointer      user_data)
{
  asgiref_local_set_pointer (local, "user", g_strdup ("anonymous"), g_free);
}

static void
set_request (int         n,
             const char *user)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, n);
  asgiref_local_set_value (request_local, "request_id", &value);
  asgiref_local_set_pointer (request_local, "user", g_strdup (user), g_free);
}

/* Worker thread, inside the request's context. */
static void
worker_body (gpointer data)
{
  Job *job = data;
  g_autofree char *where = g_strdup_printf ("[worker %d] before any work", job->n);
  g_autofree char *name = g_strdup_printf ("worker-%d", job->n);

  /* The context values came along; the main thread's thread-critical value
   * did not. */
  report (where, job->n, users[job->n - 1], NULL);

  asgiref_local_set_pointer (thread_local, "thread", g_strdup (name), g_free);
  g_usleep (20 * 1000); /* the "blocking" part */

  g_free (where);
  where = g_strdup_printf ("[worker %d] after 20 ms of work", job->n);
  report (where, job->n, users[job->n - 1], name);

  g_task_return_pointer (job->task,
                         g_strdup_printf ("result of request %d", job->n),
                         g_free);
}

static gpointer
worker_main (gpointer data)
{
  Job *job = data;

  asgiref_context_run (job->context, worker_body, job);
  return NULL;
}

/* Main loop: the GTask callback, in the context the task was created in. */
static void
on_job_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *where = g_strdup_printf ("[main loop] GTask callback of request %d", job->n);

  /* The main thread is dispatching now, so the thread-critical Local is per
   * (thread, context): the value "main" set outside the loop is not here. */
  report (where, job->n, users[job->n - 1], NULL);
  g_print ("%-44s got \"%s\"\n", "", answer);

  if (--pending == 0)
    g_main_loop_quit (loop);
}

/* Main loop: a timeout source, in the context it was set up in. */
static gboolean
on_timeout (gpointer user_data)
{
  int n = GPOINTER_TO_INT (user_data);
  g_autofree char *where = g_strdup_printf ("[main loop] timeout of request %d", n);

  report (where, n, users[n - 1], NULL);

  if (--pending == 0)
    g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* Main thread, inside request n's new context. */
static void
start_request (gpointer data)
{
  Job *job = data;
  g_autofree char *where = g_strdup_printf ("[main] request %d started", job->n);
  g_autofree char *name = g_strdup_printf ("worker-%d", job->n);
  GSource *source;

  /* A new context is initialised on first use: user=anonymous. */
  report ("[main] fresh context of the request", 0, "anonymous", "main");

  set_request (job->n, users[job->n - 1]);
  report (where, job->n, users[job->n - 1], "main");

  /* The GTask's callback will run in this context, on the main loop. */
  job->task = asgiref_context_create_task (NULL, NULL, on_job_done, job);

  /* So will every dispatch of this source. */
  source = g_timeout_source_new (5);
  asgiref_context_source_set_callback (source, on_timeout, GINT_TO_POINTER (job->n), NULL);
  g_source_attach (source, NULL);
  g_source_unref (source);

  /* And the worker runs in a copy of it. */
  job->context = asgiref_context_capture ();
  job->thread = g_thread_new (name, worker_main, job);
}

static void
child_body (gpointer data)
{
  report ("[main] child context, inherited", 3, "carol", "main");
  asgiref_local_set_pointer (request_local, "user", g_strdup ("dave"), g_free);
  report ("[main] child context, after its own write", 3, "dave", "main");
}

static void
parent_body (gpointer data)
{
  g_autoptr(AsgirefContext) child = NULL;

  set_request (3, "carol");
  report ("[main] parent context", 3, "carol", "main");

  child = asgiref_context_capture ();
  asgiref_context_run (child, child_body, NULL);

  report ("[main] parent context, after the child ran", 3, "carol", "main");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AsgirefContext) parent = NULL;

  setlocale (LC_ALL, "");

  request_local = asgiref_local_new ();
  g_signal_connect (request_local, "initialize", G_CALLBACK (on_initialize), NULL);
  thread_local = asgiref_local_new_thread_critical ();
  loop = g_main_loop_new (NULL, FALSE);

  /* Not dispatching a main loop: one thread-critical value per thread. */
  asgiref_local_set_pointer (thread_local, "thread", g_strdup ("main"), g_free);
  report ("[main] outside any request", 0, "anonymous", "main");

  for (int i = 0; i < N_REQUESTS; i++)
    {
      g_autoptr(AsgirefContext) context = asgiref_context_new ();

      jobs[i].n = i + 1;
      asgiref_context_run (context, start_request, &jobs[i]);
      pending += 2; /* its GTask callback and its timeout */
    }

  /* Nothing the requests set leaked out here. */
  report ("[main] outside, requests running", 0, "anonymous", "main");

  g_main_loop_run (loop);

  for (int i = 0; i < N_REQUESTS; i++)
    {
      g_thread_join (jobs[i].thread);
      g_clear_pointer (&jobs[i].context, asgiref_context_unref);
      g_clear_object (&jobs[i].task);
    }

  /* A child context sees its parent as of its creation, and its writes stay
   * in the child. */
  parent = asgiref_context_new ();
  asgiref_context_run (parent, parent_body, NULL);

  report ("[main] outside, at the end", 0, "anonymous", "main");

  g_main_loop_unref (loop);
  g_object_unref (thread_local);
  g_object_unref (request_local);

  if (failures > 0)
    {
      g_printerr ("context-demo: %u unexpected observation(s)\n", failures);
      return 1;
    }
  g_print ("context-demo: everything was where it should be\n");
  return 0;
}
