/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AsgirefServer over TLS. A program of its own because GnuTLS, loaded as
 * a GIO module, keeps thread-local data that LeakSanitizer's tracer
 * crashes on (see tests/meson.build); valgrind checks it for leaks.
 */
#include "test-server-util.h"

/* hello_app: keeps the scope in log->scope, answers "hello". */
static void
hello_app (AsgirefScope   *scope,
           AsgirefChannel *channel,
           GTask          *task,
           gpointer        data)
{
  AppLog *log = data;

  if (asgiref_scope_get_kind (scope) != ASGIREF_SCOPE_HTTP)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_clear_pointer (&log->scope, asgiref_scope_unref);
  log->scope = asgiref_scope_ref (scope);
  send_response (channel, 200, "hello", g_object_ref (task));
}

static gboolean
on_accept_certificate (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              data)
{
  return TRUE;   /* the test's own, self-signed */
}

/* A certificate set on the SoupServer underneath makes the server speak
 * TLS, as libsoup's own listener would, and the scope says `https`. */
static void
test_certificate_on_the_soup_server_serves_https (void)
{
  g_autofree char *pem = g_test_build_filename (G_TEST_DIST, "server-tls.pem", NULL);
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  Fixture f;

  certificate = g_tls_certificate_new_from_file (pem, &error);
  g_assert_no_error (error);
  fixture_init (&f, hello_app);
  soup_server_set_tls_certificate (asgiref_server_get_soup_server (f.server), certificate);

  uri = g_strdup_printf ("https://127.0.0.1:%u/", f.port);
  msg = soup_message_new ("GET", uri);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate), NULL);
  body = fetch (&f, msg);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  assert_body (body, "hello");
  g_assert_nonnull (soup_message_get_tls_peer_certificate (msg));
  g_assert_cmpstr (asgiref_scope_get_scheme (f.log.scope), ==, "https");

  fixture_stop (&f);
  fixture_clear (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Server/TLS/certificate-on-the-soup-server-serves-https",
                   test_certificate_on_the_soup_server_serves_https);

  return g_test_run ();
}
