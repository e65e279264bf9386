/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The C fragments of docs/asgi.md, run: building and reading messages,
 * headers, the a{sv} form, scopes and their builder. Each fragment is
 * here as it is (check-snippets.py compares them), with assertions on
 * what the guide says of it.
 */
#include <asgiref.h>

#include "doc-util.h"

static void
test_messages_keep_what_they_are_given (void)
{
  static const char * const names[] = { "content-type", NULL };
  static const char * const values[] = { "text/plain", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, &error);
  g_autoptr(GBytes) hello = g_bytes_new_static ("hello", 5);
  g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (200, headers, FALSE);
  g_autoptr(AsgirefMessage) body = asgiref_message_new_http_response_body (hello, FALSE);
  g_autoptr(GBytes) kept = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (asgiref_message_get_status (start), ==, 200);
  /* "The messages keep references to headers and hello; nothing is copied." */
  g_assert_true (asgiref_message_get_headers (start) == headers);
  kept = asgiref_message_get_body (body);
  g_assert_true (kept == hello);
  g_assert_false (asgiref_message_get_more_body (body));
}

static void
test_message_without_keys (void)
{
  g_autoptr(AsgirefMessage) done = asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE);

  g_assert_cmpint (asgiref_message_get_kind (done), ==, ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE);
  g_assert_cmpstr (asgiref_message_get_type_name (done), ==, "lifespan.startup.complete");
}

static gboolean
handle_input (AsgirefMessage *message,
              GByteArray     *request_body)
{
  switch (asgiref_message_get_kind (message))
    {
    case ASGIREF_MESSAGE_HTTP_REQUEST:
      {
        g_autoptr(GBytes) chunk = asgiref_message_get_body (message);

        g_byte_array_append (request_body, g_bytes_get_data (chunk, NULL),
                             g_bytes_get_size (chunk));
        return asgiref_message_get_more_body (message);   /* TRUE: read on */
      }
    case ASGIREF_MESSAGE_HTTP_DISCONNECT:
    default:
      return FALSE;
    }
}

static void
test_reading_by_kind (void)
{
  g_autoptr(GByteArray) request_body = g_byte_array_new ();
  g_autoptr(GBytes) first = g_bytes_new_static ("ab", 2);
  g_autoptr(GBytes) last = g_bytes_new_static ("c", 1);
  g_autoptr(AsgirefMessage) more = asgiref_message_new_http_request (first, TRUE);
  g_autoptr(AsgirefMessage) end = asgiref_message_new_http_request (last, FALSE);
  g_autoptr(AsgirefMessage) gone = asgiref_message_new (ASGIREF_MESSAGE_HTTP_DISCONNECT);

  g_assert_true (handle_input (more, request_body));
  g_assert_false (handle_input (end, request_body));
  g_assert_cmpmem (request_body->data, request_body->len, "abc", 3);
  g_assert_false (handle_input (gone, request_body));
  g_assert_cmpuint (request_body->len, ==, 3);
}

static void
test_headers_by_index_or_name (void)
{
  static const char * const names[] = { "Accept", "User-Agent", NULL };
  static const char * const values[] = { "text/html", "doc", NULL };
  g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, NULL);
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_http ("GET", "/", NULL, headers);

  doc_capture_print ();

  AsgirefHeaders *request_headers = asgiref_scope_get_headers (scope);
  const char *accept = asgiref_headers_lookup (request_headers, "Accept");  /* any case */

  for (guint i = 0; i < asgiref_headers_get_length (request_headers); i++)
    g_print ("%s: %s\n", asgiref_headers_get_name (request_headers, i),
             asgiref_headers_get_value (request_headers, i));

  g_assert_cmpstr (accept, ==, "text/html");
  /* The names were lower-cased when the headers were made. */
  g_assert_cmpstr (doc_printed_text (), ==, "accept: text/html\nuser-agent: doc\n");
}

static void
test_converting (void)
{
  g_autoptr(AsgirefMessage) message = asgiref_message_new_http_response_start (404, NULL, FALSE);
  g_autoptr(GVariant) later = NULL;
  g_autoptr(GError) error = NULL;

  g_autoptr(GVariant) view = asgiref_message_to_variant (message);   /* built once, then kept */
  g_autofree char *text = g_variant_print (view, TRUE);
  g_autoptr(AsgirefMessage) again = NULL;

  g_debug ("sent %s", text);
  again = asgiref_message_new_from_variant (view, &error);           /* checked */

  g_assert_no_error (error);
  g_assert_cmpint (asgiref_message_get_status (again), ==, 404);
  later = asgiref_message_to_variant (message);
  g_assert_true (later == view);
  g_assert_nonnull (strstr (text, "'status': <404>"));
}

static void
test_scopes_in_one_call (void)
{
  static const char * const names[] = { "accept", NULL };
  static const char * const values[] = { "*/*", NULL };
  g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, NULL);
  g_autoptr(GBytes) got_query = NULL;
  g_auto(GStrv) got_offered = NULL;

  g_autoptr(GBytes) query = g_bytes_new_static ("page=2", 6);
  static const char * const offered[] = { "chat", NULL };
  g_autoptr(AsgirefScope) http = asgiref_scope_new_http ("GET", "/items", query, headers);
  g_autoptr(AsgirefScope) ws = asgiref_scope_new_websocket ("/live", NULL, headers, offered);
  g_autoptr(AsgirefScope) lifespan = asgiref_scope_new_lifespan (NULL);

  got_query = asgiref_scope_get_query_string (http);
  g_assert_true (g_bytes_equal (got_query, query));
  g_assert_true (asgiref_scope_get_headers (ws) == headers);
  got_offered = asgiref_scope_get_subprotocols (ws);
  g_assert_cmpstrv (got_offered, offered);
  /* What they fill in: ASGI 3.0, the sub-specification's version,
   * HTTP/1.1, the scheme, an empty root path. */
  g_assert_cmpstr (asgiref_scope_get_asgi_version (http), ==, "3.0");
  g_assert_cmpstr (asgiref_scope_get_spec_version (http), ==, "2.3");
  g_assert_cmpstr (asgiref_scope_get_spec_version (ws), ==, "2.3");
  g_assert_cmpstr (asgiref_scope_get_spec_version (lifespan), ==, "2.0");
  g_assert_cmpstr (asgiref_scope_get_http_version (http), ==, "1.1");
  g_assert_cmpstr (asgiref_scope_get_scheme (http), ==, "http");
  g_assert_cmpstr (asgiref_scope_get_scheme (ws), ==, "ws");
  g_assert_cmpstr (asgiref_scope_get_root_path (http), ==, "");
  g_assert_cmpint (asgiref_scope_get_kind (lifespan), ==, ASGIREF_SCOPE_LIFESPAN);
}

static void
test_builder_and_accessors (void)
{
  const char *server_host;
  int server_port;

  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("POST", "/upload");
  g_autoptr(AsgirefScope) scope = NULL;

  asgiref_scope_builder_set_http_version (builder, "1.0");
  asgiref_scope_builder_set_scheme (builder, "https");
  asgiref_scope_builder_set_client (builder, "192.0.2.7", 51234);
  asgiref_scope_builder_set_server (builder, "/run/app.sock", -1);   /* Unix socket: no port */
  asgiref_scope_builder_add_extension (builder, "websocket.http.response", NULL);
  scope = asgiref_scope_builder_end (builder);

  g_assert_cmpstr (asgiref_scope_get_http_version (scope), ==, "1.0");
  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "https");
  g_assert_true (asgiref_scope_get_server (scope, &server_host, &server_port));
  g_assert_cmpstr (server_host, ==, "/run/app.sock");
  g_assert_cmpint (server_port, ==, -1);
  g_assert_true (asgiref_scope_has_extension (scope, "websocket.http.response"));
  g_assert_true (asgiref_scope_validate (scope, NULL));

  doc_capture_print ();
  {
    const char *host;
    int port;

    if (asgiref_scope_get_kind (scope) == ASGIREF_SCOPE_HTTP &&
        asgiref_scope_get_client (scope, &host, &port))
      g_print ("%s %s from %s:%d\n", asgiref_scope_get_method (scope),
               asgiref_scope_get_path (scope), host, port);
  }
  g_assert_cmpstr (doc_printed_text (), ==, "POST /upload from 192.0.2.7:51234\n");
}

int
main (int argc, char **argv)
{
  doc_init (&argc, &argv);
  g_test_add_func ("/Doc/Asgi/messages-keep-what-they-are-given", test_messages_keep_what_they_are_given);
  g_test_add_func ("/Doc/Asgi/message-without-keys", test_message_without_keys);
  g_test_add_func ("/Doc/Asgi/reading-by-kind", test_reading_by_kind);
  g_test_add_func ("/Doc/Asgi/headers-by-index-or-name", test_headers_by_index_or_name);
  g_test_add_func ("/Doc/Asgi/converting", test_converting);
  g_test_add_func ("/Doc/Asgi/scopes-in-one-call", test_scopes_in_one_call);
  g_test_add_func ("/Doc/Asgi/builder-and-accessors", test_builder_and_accessors);
  return doc_run ();
}
