/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ASGI messages as a{sv} GVariants: every builder's output and its
 * validity, every accessor with its default, the header list builder, and
 * one test per rule of asgiref_message_validate().
 */

#include <asgiref.h>

#include <string.h>

#include "test-util.h"

/* {{{ Helpers */

/* Parses GVariant text format into a new variant (g_variant_parse()
 * returns it non-floating). */
static GVariant *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  GVariant *value = g_variant_parse (NULL, text, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_false (g_variant_is_floating (value));
  return value;
}

static void
assert_valid (GVariant *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (asgiref_message_validate (message, &error));
  g_assert_no_error (error);
}

/* A header list, of type a(ayay), from NULL-terminated pairs of names and
 * values, without the terminating NULs (the text format's b'...' would add
 * one to every byte string). Floating. */
static GVariant *
header_list (const char *first_name,
             ...)
{
  GVariantBuilder builder;
  const char *name;
  va_list args;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ayay)"));
  va_start (args, first_name);
  for (name = first_name; name != NULL; name = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      g_variant_builder_add (&builder, "(@ay@ay)",
                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, name, strlen (name), 1),
                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, value, strlen (value), 1));
    }
  va_end (args);
  return g_variant_builder_end (&builder);
}

/* One header whose name or value has a NUL byte inside. Floating. */
static GVariant *
header_with_nul (gboolean in_name)
{
  static const char with_nul[] = { 'a', '\0', 'b' };
  GVariant *bad = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, with_nul, sizeof with_nul, 1);
  GVariant *good = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "x", 1, 1);
  GVariant *pair = in_name ? g_variant_new ("(@ay@ay)", bad, good) : g_variant_new ("(@ay@ay)", good, bad);

  return g_variant_new_array (NULL, &pair, 1);
}

/* A message of @type with a status of 200 and @headers (floating,
 * consumed). */
static GVariant *
message_with_headers (const char *type,
                      GVariant   *headers)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "type", "s", type);
  g_variant_dict_insert (&dict, "status", "i", 200);
  g_variant_dict_insert_value (&dict, "headers", headers);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/* Asserts that @message (consumed) is invalid, with an error text that
 * contains every one of the NULL-terminated fragments. */
static void
assert_invalid_va (GVariant   *message,
                   const char *first_fragment,
                   va_list     args)
{
  g_autoptr(GError) error = NULL;
  const char *fragment;

  g_assert_false (asgiref_message_validate (message, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
  for (fragment = first_fragment; fragment != NULL; fragment = va_arg (args, const char *))
    if (strstr (error->message, fragment) == NULL)
      g_error ("“%s” does not contain “%s”", error->message, fragment);
  g_variant_unref (message);
}

static void
assert_invalid_message (GVariant   *message,
                        const char *first_fragment,
                        ...)
{
  va_list args;

  va_start (args, first_fragment);
  assert_invalid_va (message, first_fragment, args);
  va_end (args);
}

/* The same for a message in GVariant text format. */
static void
assert_invalid (const char *text,
                const char *first_fragment,
                ...)
{
  va_list args;

  va_start (args, first_fragment);
  assert_invalid_va (parse (text), first_fragment, args);
  va_end (args);
}

static GBytes *
bytes_from_string (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

static void
assert_bytes (GBytes     *bytes,
              const char *expected)
{
  g_assert_nonnull (bytes);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                   expected, strlen (expected));
}

/* }}} */

/* {{{ Builders and accessors */

static void
test_new_has_only_type (void)
{
  g_autoptr(GVariant) message = asgiref_message_new ("http.disconnect");

  g_assert_false (g_variant_is_floating (message));
  g_assert_true (g_variant_is_of_type (message, G_VARIANT_TYPE_VARDICT));
  g_assert_cmpuint (g_variant_n_children (message), ==, 1);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.disconnect");
  assert_valid (message);
}

static void
test_new_lifespan_messages_validate (void)
{
  const char *types[] = {
    "lifespan.startup", "lifespan.startup.complete", "lifespan.startup.failed",
    "lifespan.shutdown", "lifespan.shutdown.complete", "lifespan.shutdown.failed",
    "websocket.connect", "http.disconnect",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GVariant) message = asgiref_message_new (types[i]);

      g_assert_cmpstr (asgiref_message_get_type_name (message), ==, types[i]);
      assert_valid (message);
    }
}

static void
test_http_request (void)
{
  g_autoptr(GBytes) body = bytes_from_string ("hello");
  g_autoptr(GVariant) message = asgiref_message_new_http_request (body, TRUE);
  g_autoptr(GBytes) read = asgiref_message_get_body (message);

  g_assert_false (g_variant_is_floating (message));
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.request");
  assert_bytes (read, "hello");
  g_assert_true (asgiref_message_get_more_body (message));
  assert_valid (message);
}

static void
test_http_request_without_body (void)
{
  g_autoptr(GVariant) message = asgiref_message_new_http_request (NULL, FALSE);
  g_autoptr(GBytes) read = asgiref_message_get_body (message);

  assert_bytes (read, "");
  g_assert_false (asgiref_message_get_more_body (message));
  assert_valid (message);
}

static void
test_http_request_body_keeps_nul_bytes (void)
{
  static const char data[] = { 'a', '\0', 'b' };
  g_autoptr(GBytes) body = g_bytes_new_static (data, sizeof data);
  g_autoptr(GVariant) message = asgiref_message_new_http_request (body, FALSE);
  g_autoptr(GBytes) read = asgiref_message_get_body (message);

  g_assert_true (g_bytes_equal (body, read));
}

static void
test_http_response_body (void)
{
  g_autoptr(GBytes) body = bytes_from_string ("world");
  g_autoptr(GVariant) message = asgiref_message_new_http_response_body (body, FALSE);
  g_autoptr(GBytes) read = asgiref_message_get_body (message);

  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.response.body");
  assert_bytes (read, "world");
  g_assert_false (asgiref_message_get_more_body (message));
  assert_valid (message);
}

static void
test_http_response_start (void)
{
  const char *names[] = { "Content-Type", "X-Thing", NULL };
  const char *values[] = { "text/plain", "A b", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) headers = asgiref_headers_new (names, values, &error);
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GVariant) read = NULL;
  g_autoptr(GVariant) expected = g_variant_ref_sink (header_list ("content-type", "text/plain",
                                                                  "x-thing", "A b", NULL));

  g_assert_no_error (error);
  message = asgiref_message_new_http_response_start (404, headers, TRUE);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.response.start");
  g_assert_cmpint (asgiref_message_get_status (message), ==, 404);
  g_assert_true (asgiref_message_get_trailers (message));
  read = asgiref_message_get_headers (message);
  g_assert_true (g_variant_equal (read, expected));
  assert_valid (message);
}

static void
test_http_response_start_without_headers (void)
{
  g_autoptr(GVariant) message = asgiref_message_new_http_response_start (200, NULL, FALSE);
  g_autoptr(GVariant) read = asgiref_message_get_headers (message);

  g_assert_cmpint (asgiref_message_get_status (message), ==, 200);
  g_assert_false (asgiref_message_get_trailers (message));
  g_assert_true (g_variant_is_of_type (read, G_VARIANT_TYPE ("a(ayay)")));
  g_assert_cmpuint (g_variant_n_children (read), ==, 0);
  assert_valid (message);
}

static void
test_http_response_start_consumes_floating_headers (void)
{
  GVariant *headers = g_variant_new_array (G_VARIANT_TYPE ("(ayay)"), NULL, 0);
  g_autoptr(GVariant) message = asgiref_message_new_http_response_start (204, headers, FALSE);

  /* No leak under valgrind: the floating reference went to the message. */
  assert_valid (message);
}

static void
test_headers_new_lower_cases_names (void)
{
  const char *names[] = { "HOST", "Accept", "host", NULL };
  const char *values[] = { "Example.COM", "*/*", "two", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) headers = asgiref_headers_new (names, values, &error);
  g_autoptr(GVariant) expected = g_variant_ref_sink (header_list ("host", "Example.COM", "accept", "*/*",
                                                                  "host", "two", NULL));

  g_assert_no_error (error);
  g_assert_false (g_variant_is_floating (headers));
  g_assert_true (g_variant_equal (headers, expected));
}

static void
test_headers_new_empty (void)
{
  const char *none[] = { NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) headers = asgiref_headers_new (none, none, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (headers), ==, 0);
}

static void
test_headers_new_rejects_cr_lf (void)
{
  const char *names[] = { "ok", "bad\r\nname", NULL };
  const char *values[] = { "ok", "v", NULL };
  const char *names2[] = { "x", NULL };
  const char *values2[] = { "a\nb", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  g_assert_null (asgiref_headers_new (names, values, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
  g_assert_null (asgiref_headers_new (names2, values2, &error2));
  g_assert_error (error2, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
}

static void
test_lifespan_failed (void)
{
  g_autoptr(GVariant) startup = asgiref_message_new_lifespan_startup_failed ("no database");
  g_autoptr(GVariant) shutdown = asgiref_message_new_lifespan_shutdown_failed (NULL);

  g_assert_cmpstr (asgiref_message_get_type_name (startup), ==, "lifespan.startup.failed");
  g_assert_cmpstr (asgiref_message_get_message (startup), ==, "no database");
  assert_valid (startup);
  g_assert_cmpstr (asgiref_message_get_type_name (shutdown), ==, "lifespan.shutdown.failed");
  g_assert_null (asgiref_message_get_message (shutdown));
  assert_valid (shutdown);
}

static void
test_websocket_accept (void)
{
  g_autoptr(GVariant) with = asgiref_message_new_websocket_accept ("chat", NULL);
  g_autoptr(GVariant) without = asgiref_message_new_websocket_accept (NULL, NULL);

  g_assert_cmpstr (asgiref_message_get_type_name (with), ==, "websocket.accept");
  g_assert_cmpstr (asgiref_message_get_subprotocol (with), ==, "chat");
  g_assert_null (asgiref_message_get_subprotocol (without));
  assert_valid (with);
  assert_valid (without);
}

static void
test_websocket_send_and_receive (void)
{
  g_autoptr(GBytes) payload = bytes_from_string ("\x01\x02");
  g_autoptr(GVariant) send_bytes = asgiref_message_new_websocket_send (payload, NULL);
  g_autoptr(GVariant) send_text = asgiref_message_new_websocket_send (NULL, "hi");
  g_autoptr(GVariant) receive = asgiref_message_new_websocket_receive (NULL, "there");
  g_autoptr(GBytes) read = asgiref_message_get_bytes (send_bytes);

  g_assert_cmpstr (asgiref_message_get_type_name (send_bytes), ==, "websocket.send");
  g_assert_true (g_bytes_equal (read, payload));
  g_assert_null (asgiref_message_get_text (send_bytes));
  g_assert_cmpstr (asgiref_message_get_text (send_text), ==, "hi");
  g_assert_null (asgiref_message_get_bytes (send_text));
  g_assert_cmpstr (asgiref_message_get_type_name (receive), ==, "websocket.receive");
  g_assert_cmpstr (asgiref_message_get_text (receive), ==, "there");
  assert_valid (send_bytes);
  assert_valid (send_text);
  assert_valid (receive);
}

static void
test_websocket_close_and_disconnect (void)
{
  g_autoptr(GVariant) close = asgiref_message_new_websocket_close (4000, "bye");
  g_autoptr(GVariant) disconnect = asgiref_message_new_websocket_disconnect (1001);
  g_autoptr(GVariant) bare_close = asgiref_message_new ("websocket.close");
  g_autoptr(GVariant) bare_disconnect = asgiref_message_new ("websocket.disconnect");

  g_assert_cmpint (asgiref_message_get_code (close), ==, 4000);
  g_assert_cmpstr (asgiref_message_get_reason (close), ==, "bye");
  g_assert_cmpint (asgiref_message_get_code (disconnect), ==, 1001);
  g_assert_cmpint (asgiref_message_get_code (bare_close), ==, 1000);
  g_assert_null (asgiref_message_get_reason (bare_close));
  g_assert_cmpint (asgiref_message_get_code (bare_disconnect), ==, 1005);
  assert_valid (close);
  assert_valid (disconnect);
  assert_valid (bare_close);
  assert_valid (bare_disconnect);
}

static void
test_http_response_trailers (void)
{
  g_autoptr(GVariant) headers = g_variant_ref_sink (header_list ("grpc-status", "0", NULL));
  g_autoptr(GVariant) message = asgiref_message_new_http_response_trailers (headers, TRUE);
  g_autoptr(GVariant) read = asgiref_message_get_headers (message);

  g_assert_false (g_variant_is_floating (message));
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.response.trailers");
  g_assert_true (g_variant_equal (read, headers));
  g_assert_true (asgiref_message_get_more_trailers (message));
  assert_valid (message);
}

static void
test_http_response_trailers_without_headers (void)
{
  g_autoptr(GVariant) message = asgiref_message_new_http_response_trailers (NULL, FALSE);
  g_autoptr(GVariant) read = asgiref_message_get_headers (message);

  g_assert_cmpuint (g_variant_n_children (read), ==, 0);
  g_assert_false (asgiref_message_get_more_trailers (message));
  assert_valid (message);
}

static void
test_websocket_accept_with_headers (void)
{
  g_autoptr(GVariant) headers = g_variant_ref_sink (header_list ("set-cookie", "a=b", NULL));
  g_autoptr(GVariant) message = asgiref_message_new_websocket_accept ("chat", headers);
  g_autoptr(GVariant) read = asgiref_message_get_headers (message);

  g_assert_true (g_variant_equal (read, headers));
  assert_valid (message);
}

static void
test_websocket_http_response_start (void)
{
  g_autoptr(GVariant) headers = g_variant_ref_sink (header_list ("content-type", "text/plain", NULL));
  g_autoptr(GVariant) message = asgiref_message_new_websocket_http_response_start (401, headers);
  g_autoptr(GVariant) read = asgiref_message_get_headers (message);
  g_autoptr(GVariant) bare = asgiref_message_new_websocket_http_response_start (403, NULL);
  g_autoptr(GVariant) bare_headers = asgiref_message_get_headers (bare);

  g_assert_false (g_variant_is_floating (message));
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "websocket.http.response.start");
  g_assert_cmpint (asgiref_message_get_status (message), ==, 401);
  g_assert_true (g_variant_equal (read, headers));
  /* No trailers in the denial response: the extension has no such key. */
  g_assert_null (g_variant_lookup_value (message, "trailers", NULL));
  g_assert_cmpuint (g_variant_n_children (bare_headers), ==, 0);
  assert_valid (message);
  assert_valid (bare);
}

static void
test_websocket_http_response_body (void)
{
  g_autoptr(GBytes) body = bytes_from_string ("go away");
  g_autoptr(GVariant) message = asgiref_message_new_websocket_http_response_body (body, TRUE);
  g_autoptr(GVariant) empty = asgiref_message_new_websocket_http_response_body (NULL, FALSE);
  g_autoptr(GBytes) read = asgiref_message_get_body (message);
  g_autoptr(GBytes) read_empty = asgiref_message_get_body (empty);

  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "websocket.http.response.body");
  assert_bytes (read, "go away");
  g_assert_true (asgiref_message_get_more_body (message));
  assert_bytes (read_empty, "");
  g_assert_false (asgiref_message_get_more_body (empty));
  assert_valid (message);
  assert_valid (empty);
}

static void
test_accessors_default_when_absent (void)
{
  g_autoptr(GVariant) message = asgiref_message_new ("http.request");
  g_autoptr(GBytes) body = asgiref_message_get_body (message);
  g_autoptr(GVariant) headers = asgiref_message_get_headers (message);

  assert_bytes (body, "");
  g_assert_false (asgiref_message_get_more_body (message));
  g_assert_cmpint (asgiref_message_get_status (message), ==, 0);
  g_assert_cmpuint (g_variant_n_children (headers), ==, 0);
  g_assert_false (asgiref_message_get_trailers (message));
  g_assert_false (asgiref_message_get_more_trailers (message));
  g_assert_null (asgiref_message_get_message (message));
  g_assert_null (asgiref_message_get_bytes (message));
  g_assert_null (asgiref_message_get_text (message));
  assert_valid (message);
}

static void
test_accessors_read_serialized_messages (void)
{
  /* A message that came in as bytes (from a socket, say) reads the same. */
  g_autoptr(GVariant) built = asgiref_message_new_lifespan_startup_failed ("boom");
  g_autoptr(GBytes) data = g_variant_get_data_as_bytes (built);
  g_autoptr(GVariant) message = g_variant_ref_sink (
      g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, data, FALSE));

  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "lifespan.startup.failed");
  g_assert_cmpstr (asgiref_message_get_message (message), ==, "boom");
  assert_valid (message);
}

static void
test_get_type_name_of_message_without_type (void)
{
  g_autoptr(GVariant) message = parse ("@a{sv} {'body': <b'x'>}");

  g_assert_null (asgiref_message_get_type_name (message));
}

/* }}} */

/* {{{ Validation: one rule each */

static void
test_validate_accepts_extra_keys (void)
{
  g_autoptr(GVariant) message = parse ("{'type': <'http.request'>, 'x-extension': <42>}");

  assert_valid (message);
}

static void
test_validate_rejects_not_a_dictionary (void)
{
  assert_invalid ("'http.request'", "a{sv}", "“s”", NULL);
  assert_invalid ("@a{ss} {'type': 'http.request'}", "a{sv}", "a{ss}", NULL);
}

static void
test_validate_rejects_missing_type (void)
{
  assert_invalid ("@a{sv} {'body': <b''>}", "“type”", NULL);
}

static void
test_validate_rejects_type_not_a_string (void)
{
  assert_invalid ("{'type': <42>}", "“type”", "“s”", "“i”", NULL);
}

static void
test_validate_rejects_unknown_type (void)
{
  assert_invalid ("{'type': <'http.teapot'>}", "“http.teapot”", NULL);
}

static void
test_validate_rejects_missing_status (void)
{
  assert_invalid ("{'type': <'http.response.start'>}", "“status”", "“http.response.start”", NULL);
}

static void
test_validate_rejects_body_not_bytes (void)
{
  assert_invalid ("{'type': <'http.request'>, 'body': <'text'>}", "“body”", "“ay”", "“s”", NULL);
}

static void
test_validate_rejects_more_body_not_boolean (void)
{
  assert_invalid ("{'type': <'http.response.body'>, 'more_body': <1>}", "“more_body”", "“b”", "“i”", NULL);
}

static void
test_validate_rejects_status_not_int32 (void)
{
  assert_invalid ("{'type': <'http.response.start'>, 'status': <int64 200>}", "“status”", "“i”", "“x”", NULL);
}

static void
test_validate_rejects_headers_not_a_header_list (void)
{
  assert_invalid ("{'type': <'http.response.start'>, 'status': <200>, 'headers': <[('a', 'b')]>}",
                  "“headers”", "“a(ayay)”", "“a(ss)”", NULL);
}

static void
test_validate_rejects_message_not_a_string (void)
{
  assert_invalid ("{'type': <'lifespan.startup.failed'>, 'message': <b'x'>}", "“message”", "“s”", "“ay”", NULL);
}

static void
test_validate_rejects_status_out_of_range (void)
{
  assert_invalid ("{'type': <'http.response.start'>, 'status': <99>}", "99", "100", NULL);
  assert_invalid ("{'type': <'http.response.start'>, 'status': <600>}", "600", NULL);
  assert_invalid ("{'type': <'http.response.start'>, 'status': <-200>}", "-200", NULL);
}

static void
test_validate_accepts_status_bounds (void)
{
  g_autoptr(GVariant) low = asgiref_message_new_http_response_start (100, NULL, FALSE);
  g_autoptr(GVariant) high = asgiref_message_new_http_response_start (599, NULL, FALSE);

  assert_valid (low);
  assert_valid (high);
}

static void
test_validate_rejects_header_name_not_lower_case (void)
{
  assert_invalid_message (message_with_headers ("http.response.start",
                                                header_list ("content-type", "x", "X-Thing", "y", NULL)),
                          "Header 1", "lower-case", NULL);
}

static void
test_validate_rejects_cr_lf_nul_in_header_name (void)
{
  assert_invalid_message (message_with_headers ("http.response.start", header_list ("a\rb", "x", NULL)),
                          "Header 0", "name", NULL);
  assert_invalid_message (message_with_headers ("http.response.start", header_list ("ok", "x", "a\nb", "x", NULL)),
                          "Header 1", "name", NULL);
  assert_invalid_message (message_with_headers ("http.response.start", header_with_nul (TRUE)),
                          "Header 0", "name", NULL);
}

static void
test_validate_rejects_cr_lf_nul_in_header_value (void)
{
  assert_invalid_message (message_with_headers ("websocket.accept", header_list ("a", "x\r", NULL)),
                          "Header 0", "value", NULL);
  assert_invalid_message (message_with_headers ("http.response.trailers", header_list ("a", "x\ny", NULL)),
                          "Header 0", "value", NULL);
  assert_invalid_message (message_with_headers ("http.response.start", header_with_nul (FALSE)),
                          "Header 0", "value", NULL);
}

static void
test_validate_accepts_valid_headers (void)
{
  g_autoptr(GVariant) message = message_with_headers ("http.response.start",
                                                      header_list ("content-type", "text/plain; charset=UTF-8",
                                                                   "x-empty", "", NULL));

  assert_valid (message);
}

static void
test_validate_rejects_websocket_send_with_bytes_and_text (void)
{
  assert_invalid ("{'type': <'websocket.send'>, 'bytes': <b'x'>, 'text': <'x'>}",
                  "“bytes”", "“text”", NULL);
}

static void
test_validate_rejects_websocket_send_with_neither_bytes_nor_text (void)
{
  assert_invalid ("{'type': <'websocket.receive'>}", "“bytes”", "“text”", NULL);
}

static void
test_validate_rejects_websocket_code_not_int32 (void)
{
  assert_invalid ("{'type': <'websocket.close'>, 'code': <'1000'>}", "“code”", "“i”", "“s”", NULL);
}

static void
test_validate_rejects_more_trailers_not_boolean (void)
{
  assert_invalid ("{'type': <'http.response.trailers'>, 'more_trailers': <'yes'>}",
                  "“more_trailers”", "“b”", "“s”", NULL);
}

static void
test_validate_rejects_reason_not_a_string (void)
{
  assert_invalid ("{'type': <'websocket.close'>, 'reason': <1>}", "“reason”", "“s”", "“i”", NULL);
}

static void
test_validate_rejects_denial_response_without_status (void)
{
  assert_invalid ("{'type': <'websocket.http.response.start'>}",
                  "“status”", "“websocket.http.response.start”", NULL);
}

static void
test_validate_rejects_denial_response_status_out_of_range (void)
{
  assert_invalid_message (asgiref_message_new_websocket_http_response_start (1000, NULL), "1000", NULL);
}

static void
test_validate_rejects_denial_response_body_not_bytes (void)
{
  assert_invalid ("{'type': <'websocket.http.response.body'>, 'body': <'text'>}", "“body”", "“ay”", NULL);
}

static void
test_validate_rejects_empty_header_name (void)
{
  assert_invalid_message (message_with_headers ("http.response.start", header_list ("", "x", NULL)),
                          "Header 0", "empty", NULL);
}

static void
test_validate_rejects_header_name_not_a_token (void)
{
  assert_invalid_message (message_with_headers ("http.response.start", header_list (":status", "200", NULL)),
                          "Header 0", "0x3a", NULL);
  assert_invalid_message (message_with_headers ("http.response.start", header_list ("ok", "1", "a b", "x", NULL)),
                          "Header 1", "0x20", NULL);
}

static void
test_validate_names_the_message_in_header_errors (void)
{
  assert_invalid_message (message_with_headers ("http.response.trailers", header_list ("A", "x", NULL)),
                          "“http.response.trailers”", "Header 0", NULL);
}

static void
test_validate_rejects_subprotocol_header_in_accept (void)
{
  assert_invalid_message (message_with_headers ("websocket.accept",
                                                header_list ("x-a", "1", "sec-websocket-protocol", "chat", NULL)),
                          "“sec-websocket-protocol”", "“subprotocol”", NULL);
}

/* }}} */

/* A string read from a message built in tree form stays valid when the
 * message is serialised afterwards (ASan catches a dangling pointer). */
static void
test_strings_outlive_serialisation (void)
{
  g_autoptr(GVariant) message = asgiref_message_new_websocket_close (1001, "going away");
  g_autoptr(GVariant) same = asgiref_message_new_websocket_close (1001, "going away");
  const char *type = asgiref_message_get_type_name (message);
  const char *reason = asgiref_message_get_reason (message);

  g_assert_true (g_variant_equal (message, same));
  g_assert_nonnull (g_variant_get_data (message));
  g_assert_cmpstr (type, ==, "websocket.close");
  g_assert_cmpstr (reason, ==, "going away");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Message/new-has-only-type", test_new_has_only_type);
  g_test_add_func ("/Asgiref/Message/strings-outlive-serialisation", test_strings_outlive_serialisation);
  g_test_add_func ("/Asgiref/Message/new-field-less-messages-validate", test_new_lifespan_messages_validate);
  g_test_add_func ("/Asgiref/Message/http-request", test_http_request);
  g_test_add_func ("/Asgiref/Message/http-request-without-body-is-empty", test_http_request_without_body);
  g_test_add_func ("/Asgiref/Message/http-request-body-keeps-nul-bytes", test_http_request_body_keeps_nul_bytes);
  g_test_add_func ("/Asgiref/Message/http-response-body", test_http_response_body);
  g_test_add_func ("/Asgiref/Message/http-response-start", test_http_response_start);
  g_test_add_func ("/Asgiref/Message/http-response-start-without-headers", test_http_response_start_without_headers);
  g_test_add_func ("/Asgiref/Message/http-response-start-consumes-floating-headers",
                   test_http_response_start_consumes_floating_headers);
  g_test_add_func ("/Asgiref/Message/headers-new-lower-cases-names", test_headers_new_lower_cases_names);
  g_test_add_func ("/Asgiref/Message/headers-new-empty", test_headers_new_empty);
  g_test_add_func ("/Asgiref/Message/headers-new-rejects-cr-lf", test_headers_new_rejects_cr_lf);
  g_test_add_func ("/Asgiref/Message/lifespan-failed", test_lifespan_failed);
  g_test_add_func ("/Asgiref/Message/websocket-accept", test_websocket_accept);
  g_test_add_func ("/Asgiref/Message/websocket-send-and-receive", test_websocket_send_and_receive);
  g_test_add_func ("/Asgiref/Message/websocket-close-and-disconnect", test_websocket_close_and_disconnect);
  g_test_add_func ("/Asgiref/Message/http-response-trailers", test_http_response_trailers);
  g_test_add_func ("/Asgiref/Message/http-response-trailers-without-headers",
                   test_http_response_trailers_without_headers);
  g_test_add_func ("/Asgiref/Message/websocket-accept-with-headers", test_websocket_accept_with_headers);
  g_test_add_func ("/Asgiref/Message/websocket-http-response-start", test_websocket_http_response_start);
  g_test_add_func ("/Asgiref/Message/websocket-http-response-body", test_websocket_http_response_body);
  g_test_add_func ("/Asgiref/Message/accessors-default-when-absent", test_accessors_default_when_absent);
  g_test_add_func ("/Asgiref/Message/accessors-read-serialized-messages", test_accessors_read_serialized_messages);
  g_test_add_func ("/Asgiref/Message/get-type-name-of-message-without-type-is-null",
                   test_get_type_name_of_message_without_type);

  g_test_add_func ("/Asgiref/Message/validate-accepts-extra-keys", test_validate_accepts_extra_keys);
  g_test_add_func ("/Asgiref/Message/validate-accepts-status-bounds", test_validate_accepts_status_bounds);
  g_test_add_func ("/Asgiref/Message/validate-accepts-valid-headers", test_validate_accepts_valid_headers);
  g_test_add_func ("/Asgiref/Message/validate-rejects-not-a-dictionary", test_validate_rejects_not_a_dictionary);
  g_test_add_func ("/Asgiref/Message/validate-rejects-missing-type", test_validate_rejects_missing_type);
  g_test_add_func ("/Asgiref/Message/validate-rejects-type-not-a-string", test_validate_rejects_type_not_a_string);
  g_test_add_func ("/Asgiref/Message/validate-rejects-unknown-type", test_validate_rejects_unknown_type);
  g_test_add_func ("/Asgiref/Message/validate-rejects-missing-status", test_validate_rejects_missing_status);
  g_test_add_func ("/Asgiref/Message/validate-rejects-body-not-bytes", test_validate_rejects_body_not_bytes);
  g_test_add_func ("/Asgiref/Message/validate-rejects-more-body-not-boolean",
                   test_validate_rejects_more_body_not_boolean);
  g_test_add_func ("/Asgiref/Message/validate-rejects-status-not-int32", test_validate_rejects_status_not_int32);
  g_test_add_func ("/Asgiref/Message/validate-rejects-headers-not-a-header-list",
                   test_validate_rejects_headers_not_a_header_list);
  g_test_add_func ("/Asgiref/Message/validate-rejects-message-not-a-string",
                   test_validate_rejects_message_not_a_string);
  g_test_add_func ("/Asgiref/Message/validate-rejects-status-out-of-range",
                   test_validate_rejects_status_out_of_range);
  g_test_add_func ("/Asgiref/Message/validate-rejects-header-name-not-lower-case",
                   test_validate_rejects_header_name_not_lower_case);
  g_test_add_func ("/Asgiref/Message/validate-rejects-cr-lf-nul-in-header-name",
                   test_validate_rejects_cr_lf_nul_in_header_name);
  g_test_add_func ("/Asgiref/Message/validate-rejects-cr-lf-nul-in-header-value",
                   test_validate_rejects_cr_lf_nul_in_header_value);
  g_test_add_func ("/Asgiref/Message/validate-rejects-websocket-send-with-bytes-and-text",
                   test_validate_rejects_websocket_send_with_bytes_and_text);
  g_test_add_func ("/Asgiref/Message/validate-rejects-websocket-receive-with-neither-bytes-nor-text",
                   test_validate_rejects_websocket_send_with_neither_bytes_nor_text);
  g_test_add_func ("/Asgiref/Message/validate-rejects-websocket-code-not-int32",
                   test_validate_rejects_websocket_code_not_int32);
  g_test_add_func ("/Asgiref/Message/validate-rejects-more-trailers-not-boolean",
                   test_validate_rejects_more_trailers_not_boolean);
  g_test_add_func ("/Asgiref/Message/validate-rejects-reason-not-a-string", test_validate_rejects_reason_not_a_string);
  g_test_add_func ("/Asgiref/Message/validate-rejects-denial-response-without-status",
                   test_validate_rejects_denial_response_without_status);
  g_test_add_func ("/Asgiref/Message/validate-rejects-denial-response-status-out-of-range",
                   test_validate_rejects_denial_response_status_out_of_range);
  g_test_add_func ("/Asgiref/Message/validate-rejects-denial-response-body-not-bytes",
                   test_validate_rejects_denial_response_body_not_bytes);
  g_test_add_func ("/Asgiref/Message/validate-rejects-empty-header-name", test_validate_rejects_empty_header_name);
  g_test_add_func ("/Asgiref/Message/validate-rejects-header-name-not-a-token",
                   test_validate_rejects_header_name_not_a_token);
  g_test_add_func ("/Asgiref/Message/validate-names-the-message-in-header-errors",
                   test_validate_names_the_message_in_header_errors);
  g_test_add_func ("/Asgiref/Message/validate-rejects-subprotocol-header-in-accept",
                   test_validate_rejects_subprotocol_header_in_accept);

  return g_test_run ();
}
