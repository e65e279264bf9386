/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * docs/context-and-local.md's C fragment, run: a request's Local value
 * read in the GIO callback of the work it started. The fragment is here
 * as it is (check-snippets.py compares them).
 */
#include <asgiref.h>

#include "doc-util.h"

static AsgirefLocal *request_local;

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  /* Runs later, from the main loop, in the context of the request that
   * started the load: request_id is that request's. */
  const char *id = asgiref_local_get_pointer (request_local, "request_id");
  g_message ("request %s: file loaded", id);
}

static void
handle_request (gpointer data)
{
  GFile *file = data;

  asgiref_local_set_pointer (request_local, "request_id",
                             g_strdup ("42"), g_free);
  g_file_load_contents_async (file, NULL,
                              ASGIREF_CONTEXT_ASYNC_READY (on_loaded, NULL));
}

static void
test_the_callback_sees_its_request (void)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_test_get_filename (G_TEST_DIST, "context-and-local.c", NULL));

  request_local = asgiref_local_new ();
  /* Set where the callback runs, outside any request: not what it reads. */
  asgiref_local_set_pointer (request_local, "request_id", g_strdup ("outside"), g_free);

  {
  /* ... once per request, each in its own context: */
  g_autoptr(AsgirefContext) context = asgiref_context_new ();
  asgiref_context_run (context, handle_request, file);
  }

  g_assert_cmpstr (asgiref_local_get_pointer (request_local, "request_id"), ==, "outside");
  doc_wait_for_messages (1);
  g_assert_cmpstr (g_ptr_array_index (doc_messages, 0), ==, "request 42: file loaded");
  g_clear_object (&request_local);
}

int
main (int argc, char **argv)
{
  doc_init (&argc, &argv);
  g_test_add_func ("/Doc/ContextAndLocal/the-callback-sees-its-request", test_the_callback_sees_its_request);
  return doc_run ();
}
