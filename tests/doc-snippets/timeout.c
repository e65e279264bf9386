/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * docs/timeout.md's C fragment, run: a read that the deadline cuts
 * short, and one whose parent is cancelled, told apart. The fragment is
 * here as it is (check-snippets.py compares them).
 */
#include <unistd.h>

#include <glib-unix.h>
#include <gio/gunixinputstream.h>

#include <asgiref.h>

#include "doc-util.h"

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GInputStream *stream = G_INPUT_STREAM (source);
  AsgirefTimeout *timeout = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = g_input_stream_read_bytes_finish (stream, result, &error);
  asgiref_timeout_translate_error (timeout, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_message ("no answer in time");          /* the deadline passed */
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("stopped");                    /* someone cancelled the parent */
  g_assert_null (bytes);
}

/* Reads from a pipe that nothing writes to, limited by a timeout of
 * @delay_us under @parent, and returns what on_read() said. */
static const char *
read_nothing (gint64        delay_us,
              GCancellable *parent)
{
  g_autoptr(AsgirefTimeout) timeout = asgiref_timeout_new (delay_us, parent);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
  g_assert_no_error (error);
  stream = g_unix_input_stream_new (fds[0], TRUE);

  doc_forget_messages ();
  g_input_stream_read_bytes_async (stream, 16, G_PRIORITY_DEFAULT,
                                   asgiref_timeout_get_cancellable (timeout),
                                   on_read, timeout);
  if (parent != NULL)
    g_cancellable_cancel (parent);
  doc_wait_for_messages (1);
  close (fds[1]);
  return g_ptr_array_index (doc_messages, 0);
}

static void
test_the_deadline_passed (void)
{
  g_assert_cmpstr (read_nothing (10 * 1000, NULL), ==, "no answer in time");
}

static void
test_the_parent_was_cancelled (void)
{
  g_autoptr(GCancellable) parent = g_cancellable_new ();

  g_assert_cmpstr (read_nothing (30 * G_USEC_PER_SEC, parent), ==, "stopped");
}

int
main (int argc, char **argv)
{
  doc_init (&argc, &argv);
  g_test_add_func ("/Doc/Timeout/the-deadline-passed", test_the_deadline_passed);
  g_test_add_func ("/Doc/Timeout/the-parent-was-cancelled", test_the_parent_was_cancelled);
  return doc_run ();
}
