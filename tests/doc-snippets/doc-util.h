/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the programs of tests/doc-snippets share. The guides' fragments
 * show their results the way a reader's program would, with g_message()
 * and g_print(): these helpers keep both, so that a test asserts on what
 * the reader would see, and an HTTP client for the fragments that serve.
 */

#include <stdio.h>
#include <string.h>

#include <libsoup/soup.h>

#include "test-util.h"

/* What was logged in this program's domain at the message and info
 * levels, and what was printed while doc_capture_print() was on. */
static GPtrArray *doc_messages;
static GString *doc_printed;
static gboolean doc_capturing;

static inline GLogWriterOutput
doc_log_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (strcmp (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }
  if (g_strcmp0 (domain, G_LOG_DOMAIN) == 0 &&
      (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO)) != 0)
    g_ptr_array_add (doc_messages, g_strdup (message));
  /* Still written out, and warnings are still fatal. */
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* GTest prints its TAP lines with g_print() too, and debug messages as
 * TAP comments ("# ..."): only the rest of what is printed while
 * capturing is kept; everything else goes to standard output. */
static inline void
doc_print_handler (const char *text)
{
  if (doc_capturing && !g_str_has_prefix (text, "# "))
    g_string_append (doc_printed, text);
  else
    fputs (text, stdout);
}

static inline void
doc_init (int    *argc,
          char ***argv)
{
  g_test_init (argc, argv, NULL);
  doc_messages = g_ptr_array_new_with_free_func (g_free);
  doc_printed = g_string_new (NULL);
  g_log_set_writer_func (doc_log_writer, NULL, NULL);
  g_set_print_handler (doc_print_handler);
}

static inline int
doc_run (void)
{
  int status = g_test_run ();

  g_ptr_array_unref (doc_messages);
  g_string_free (doc_printed, TRUE);
  return status;
}

/* Starts keeping what g_print() prints, forgetting what was kept. */
static inline void
doc_capture_print (void)
{
  g_string_truncate (doc_printed, 0);
  doc_capturing = TRUE;
}

/* Stops keeping, and returns what was printed since doc_capture_print(). */
static inline const char *
doc_printed_text (void)
{
  doc_capturing = FALSE;
  return doc_printed->str;
}

static inline void
doc_forget_messages (void)
{
  g_ptr_array_set_size (doc_messages, 0);
}

static inline gboolean
doc_wake_up (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the thread-default main context until @n messages were
 * logged; fails the test after TEST_GUARD_SECONDS. */
static inline void
doc_wait_for_messages (guint n)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gint64 deadline = g_get_monotonic_time () + TEST_GUARD_SECONDS * G_USEC_PER_SEC;
  GSource *guard = g_timeout_source_new_seconds (1);

  g_source_set_callback (guard, doc_wake_up, NULL, NULL);
  g_source_attach (guard, context);
  while (doc_messages->len < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, TRUE);
    }
  g_source_destroy (guard);
  g_source_unref (guard);
}

/* Iterates the thread-default main context until *@pointer is set. */
static inline void
doc_wait_for_pointer (gpointer *pointer)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gint64 deadline = g_get_monotonic_time () + TEST_GUARD_SECONDS * G_USEC_PER_SEC;
  GSource *guard = g_timeout_source_new_seconds (1);

  g_source_set_callback (guard, doc_wake_up, NULL, NULL);
  g_source_attach (guard, context);
  while (*pointer == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, TRUE);
    }
  g_source_destroy (guard);
  g_source_unref (guard);
}

/* Iterates the thread-default main context until @server listens. */
static inline guint
doc_wait_for_port (AsgirefServer *server)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gint64 deadline = g_get_monotonic_time () + TEST_GUARD_SECONDS * G_USEC_PER_SEC;
  GSource *guard = g_timeout_source_new_seconds (1);

  g_source_set_callback (guard, doc_wake_up, NULL, NULL);
  g_source_attach (guard, context);
  while (asgiref_server_get_port (server) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, TRUE);
    }
  g_source_destroy (guard);
  g_source_unref (guard);
  return asgiref_server_get_port (server);
}

/* GETs @path from 127.0.0.1:@port, iterating the thread-default main
 * context meanwhile, and returns the body (status in *@status). */
static inline char *
doc_get (guint       port,
         const char *path,
         guint      *status)
{
  /* No proxy lookups: they would run libproxy on a thread of its own. */
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", uri);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL,
                                    test_store_result, &result);
  test_wait_for_result (&result);
  body = soup_session_send_and_read_finish (session, result, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (message);
  return g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}
