/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ASGI messages: every builder's output and its validity, every accessor
 * with its default (for its own kind and for the others), the a{sv} form
 * both ways (its rules, one test each, through
 * asgiref_message_new_from_variant(); its round trip for every kind; its
 * cache) and the promise that bodies are never copied.
 *
 * The rules of header lists themselves are tested in test-headers.c; here
 * only that a message's a{sv} form applies them and names the message.
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
assert_valid (AsgirefMessage *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (message);
  g_assert_true (asgiref_message_validate (message, &error));
  g_assert_no_error (error);
}

/* The message that @variant (not consumed) makes, which must be valid. */
static AsgirefMessage *
from_variant (GVariant *variant)
{
  g_autoptr(GError) error = NULL;
  AsgirefMessage *message = asgiref_message_new_from_variant (variant, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  assert_valid (message);
  return message;
}

/* The same for a message in GVariant text format. */
static AsgirefMessage *
from_text (const char *text)
{
  g_autoptr(GVariant) variant = parse (text);

  return from_variant (variant);
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

/* The a{sv} form of a message of @type with a status of 200 and @headers
 * (floating, consumed). */
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

/* A native header list from NULL-terminated pairs of names and values. */
static AsgirefHeaders *
headers_new (const char *first_name,
             ...)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GPtrArray) values = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  AsgirefHeaders *headers;
  const char *name;
  va_list args;

  va_start (args, first_name);
  for (name = first_name; name != NULL; name = va_arg (args, const char *))
    {
      g_ptr_array_add (names, (gpointer) name);
      g_ptr_array_add (values, va_arg (args, char *));
    }
  va_end (args);
  g_ptr_array_add (names, NULL);
  g_ptr_array_add (values, NULL);

  headers = asgiref_headers_new ((const char * const *) names->pdata,
                                 (const char * const *) values->pdata, &error);
  g_assert_no_error (error);
  g_assert_nonnull (headers);
  return headers;
}

/* Asserts that @headers holds the NULL-terminated pairs, in order. */
static void
assert_headers (AsgirefHeaders *headers,
                const char     *first_name,
                ...)
{
  const char *name;
  guint i = 0;
  va_list args;

  g_assert_nonnull (headers);
  va_start (args, first_name);
  for (name = first_name; name != NULL; name = va_arg (args, const char *), i++)
    {
      const char *value = va_arg (args, const char *);

      g_assert_cmpuint (i, <, asgiref_headers_get_length (headers));
      g_assert_cmpstr (asgiref_headers_get_name (headers, i), ==, name);
      g_assert_cmpstr (asgiref_headers_get_value (headers, i), ==, value);
    }
  va_end (args);
  g_assert_cmpuint (asgiref_headers_get_length (headers), ==, i);
}

static void
assert_fragments_va (const GError *error,
                     const char   *first_fragment,
                     va_list       args)
{
  const char *fragment;

  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
  for (fragment = first_fragment; fragment != NULL; fragment = va_arg (args, const char *))
    if (strstr (error->message, fragment) == NULL)
      g_error ("“%s” does not contain “%s”", error->message, fragment);
}

/* Asserts that the a{sv} form @variant (consumed) is refused, with an
 * error text that contains every one of the NULL-terminated fragments. */
static void
assert_invalid_va (GVariant   *variant,
                   const char *first_fragment,
                   va_list     args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefMessage) message = asgiref_message_new_from_variant (variant, &error);

  g_assert_null (message);
  assert_fragments_va (error, first_fragment, args);
  g_variant_unref (variant);
}

static void
assert_invalid_variant (GVariant   *variant,
                        const char *first_fragment,
                        ...)
{
  va_list args;

  va_start (args, first_fragment);
  assert_invalid_va (variant, first_fragment, args);
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

/* The same for a native message (consumed), through
 * asgiref_message_validate(). */
static void
assert_invalid_message (AsgirefMessage *message,
                        const char     *first_fragment,
                        ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  g_assert_nonnull (message);
  g_assert_false (asgiref_message_validate (message, &error));
  va_start (args, first_fragment);
  assert_fragments_va (error, first_fragment, args);
  va_end (args);
  asgiref_message_unref (message);
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

static void
assert_headers_equal (AsgirefHeaders *a,
                      AsgirefHeaders *b)
{
  g_autoptr(GVariant) a_view = asgiref_headers_to_variant (a);
  g_autoptr(GVariant) b_view = asgiref_headers_to_variant (b);

  g_assert_cmpuint (asgiref_headers_get_length (a), ==, asgiref_headers_get_length (b));
  for (guint i = 0; i < asgiref_headers_get_length (a); i++)
    {
      g_assert_cmpstr (asgiref_headers_get_name (a, i), ==, asgiref_headers_get_name (b, i));
      g_assert_cmpstr (asgiref_headers_get_value (a, i), ==, asgiref_headers_get_value (b, i));
    }
  g_assert_true (g_variant_equal (a_view, b_view));
}

static void
assert_nullable_bytes_equal (GBytes *a,
                             GBytes *b)
{
  g_assert_true ((a == NULL) == (b == NULL));
  if (a != NULL)
    g_assert_true (g_bytes_equal (a, b));
}

/* Whether the a{sv} @a and @b hold the same keys with equal values, in
 * any order (the order of keys in the a{sv} form is not promised). */
static gboolean
equal_dicts (GVariant *a,
             GVariant *b)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (g_variant_n_children (a) != g_variant_n_children (b))
    return FALSE;
  g_variant_iter_init (&iter, a);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = g_steal_pointer (&value);
      g_autoptr(GVariant) other = g_variant_lookup_value (b, key, NULL);

      if (other == NULL || !g_variant_equal (owned, other))
        return FALSE;
    }
  return TRUE;
}

/* Every accessor of @a and @b reads the same. */
static void
assert_fields_equal (AsgirefMessage *a,
                     AsgirefMessage *b)
{
  g_autoptr(GBytes) a_body = asgiref_message_get_body (a);
  g_autoptr(GBytes) b_body = asgiref_message_get_body (b);
  g_autoptr(GBytes) a_bytes = asgiref_message_get_bytes (a);
  g_autoptr(GBytes) b_bytes = asgiref_message_get_bytes (b);

  g_assert_cmpint (asgiref_message_get_kind (a), ==, asgiref_message_get_kind (b));
  g_assert_cmpstr (asgiref_message_get_type_name (a), ==, asgiref_message_get_type_name (b));
  g_assert_true (g_bytes_equal (a_body, b_body));
  g_assert_cmpint (asgiref_message_get_more_body (a), ==, asgiref_message_get_more_body (b));
  g_assert_cmpint (asgiref_message_get_status (a), ==, asgiref_message_get_status (b));
  assert_headers_equal (asgiref_message_get_headers (a), asgiref_message_get_headers (b));
  g_assert_cmpint (asgiref_message_get_trailers (a), ==, asgiref_message_get_trailers (b));
  g_assert_cmpint (asgiref_message_get_more_trailers (a), ==, asgiref_message_get_more_trailers (b));
  g_assert_cmpstr (asgiref_message_get_message (a), ==, asgiref_message_get_message (b));
  assert_nullable_bytes_equal (a_bytes, b_bytes);
  g_assert_cmpstr (asgiref_message_get_text (a), ==, asgiref_message_get_text (b));
  g_assert_cmpstr (asgiref_message_get_subprotocol (a), ==, asgiref_message_get_subprotocol (b));
  g_assert_cmpint (asgiref_message_get_code (a), ==, asgiref_message_get_code (b));
  g_assert_cmpstr (asgiref_message_get_reason (a), ==, asgiref_message_get_reason (b));
}

/* The same, and their a{sv} forms are equal too. */
static void
assert_messages_equal (AsgirefMessage *a,
                       AsgirefMessage *b)
{
  g_autoptr(GVariant) a_view = asgiref_message_to_variant (a);
  g_autoptr(GVariant) b_view = asgiref_message_to_variant (b);

  assert_fields_equal (a, b);
  g_assert_true (equal_dicts (a_view, b_view));
}

/* @message through its a{sv} form and back (transfer full). */
static AsgirefMessage *
round_trip (AsgirefMessage *message)
{
  g_autoptr(GVariant) view = asgiref_message_to_variant (message);

  g_assert_true (g_variant_is_of_type (view, G_VARIANT_TYPE_VARDICT));
  return from_variant (view);
}

/* A message of every kind, with every key it has away from its default
 * (so that a key leaking into an accessor of another kind shows), some
 * kinds twice (the two payloads of a frame). Every one is valid. */
static GPtrArray *
message_of_every_kind (void)
{
  g_autoptr(GBytes) body = bytes_from_string ("some body");
  g_autoptr(GBytes) frame = bytes_from_string ("\x01\x02\x03");
  g_autoptr(AsgirefHeaders) start_headers = headers_new ("content-type", "text/plain",
                                                         "set-cookie", "a=1", "set-cookie", "b=2", NULL);
  g_autoptr(AsgirefHeaders) trailer_headers = headers_new ("grpc-status", "0", NULL);
  g_autoptr(AsgirefHeaders) accept_headers = headers_new ("x-a", "1", NULL);
  g_autoptr(AsgirefHeaders) denial_headers = headers_new ("content-length", "0", NULL);
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) asgiref_message_unref);
  g_autoptr(GEnumClass) kinds = g_type_class_ref (ASGIREF_TYPE_MESSAGE_KIND);
  g_autofree gboolean *seen = g_new0 (gboolean, kinds->n_values);

  g_ptr_array_add (messages, asgiref_message_new_http_request (body, TRUE));
  g_ptr_array_add (messages, asgiref_message_new_http_response_start (201, start_headers, TRUE));
  g_ptr_array_add (messages, asgiref_message_new_http_response_body (body, TRUE));
  g_ptr_array_add (messages, asgiref_message_new_http_response_trailers (trailer_headers, TRUE));
  g_ptr_array_add (messages, asgiref_message_new (ASGIREF_MESSAGE_HTTP_DISCONNECT));
  g_ptr_array_add (messages, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_STARTUP));
  g_ptr_array_add (messages, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE));
  g_ptr_array_add (messages, asgiref_message_new_lifespan_startup_failed ("no database"));
  g_ptr_array_add (messages, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN));
  g_ptr_array_add (messages, asgiref_message_new (ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_COMPLETE));
  g_ptr_array_add (messages, asgiref_message_new_lifespan_shutdown_failed ("still busy"));
  g_ptr_array_add (messages, asgiref_message_new (ASGIREF_MESSAGE_WEBSOCKET_CONNECT));
  g_ptr_array_add (messages, asgiref_message_new_websocket_accept ("chat", accept_headers));
  g_ptr_array_add (messages, asgiref_message_new_websocket_receive (frame, NULL));
  g_ptr_array_add (messages, asgiref_message_new_websocket_receive (NULL, "hello"));
  g_ptr_array_add (messages, asgiref_message_new_websocket_send (frame, NULL));
  g_ptr_array_add (messages, asgiref_message_new_websocket_send (NULL, "hi"));
  g_ptr_array_add (messages, asgiref_message_new_websocket_close (4000, "bye"));
  g_ptr_array_add (messages, asgiref_message_new_websocket_disconnect (1006));
  g_ptr_array_add (messages, asgiref_message_new_websocket_http_response_start (403, denial_headers));
  g_ptr_array_add (messages, asgiref_message_new_websocket_http_response_body (body, TRUE));

  for (guint i = 0; i < messages->len; i++)
    {
      AsgirefMessageKind kind = asgiref_message_get_kind (messages->pdata[i]);

      g_assert_cmpuint (kind, <, kinds->n_values);
      seen[kind] = TRUE;
      assert_valid (messages->pdata[i]);
    }
  for (guint kind = 0; kind < kinds->n_values; kind++)
    if (!seen[kind])
      g_error ("No message of kind %s", kinds->values[kind].value_nick);
  return messages;
}

/* }}} */

/* {{{ Builders and accessors */

static void
test_new_has_only_type (void)
{
  g_autoptr(AsgirefMessage) message = asgiref_message_new (ASGIREF_MESSAGE_HTTP_DISCONNECT);
  g_autoptr(GVariant) view = asgiref_message_to_variant (message);
  const char *type = NULL;

  g_assert_cmpint (asgiref_message_get_kind (message), ==, ASGIREF_MESSAGE_HTTP_DISCONNECT);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.disconnect");
  g_assert_false (g_variant_is_floating (view));
  g_assert_true (g_variant_is_of_type (view, G_VARIANT_TYPE_VARDICT));
  g_assert_cmpuint (g_variant_n_children (view), ==, 1);
  g_assert_true (g_variant_lookup (view, "type", "&s", &type));
  g_assert_cmpstr (type, ==, "http.disconnect");
  assert_valid (message);
}

static void
test_new_keyless_kinds (void)
{
  static const struct {
    AsgirefMessageKind kind;
    const char *type;
  } kinds[] = {
    { ASGIREF_MESSAGE_HTTP_DISCONNECT, "http.disconnect" },
    { ASGIREF_MESSAGE_LIFESPAN_STARTUP, "lifespan.startup" },
    { ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE, "lifespan.startup.complete" },
    { ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN, "lifespan.shutdown" },
    { ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_COMPLETE, "lifespan.shutdown.complete" },
    { ASGIREF_MESSAGE_WEBSOCKET_CONNECT, "websocket.connect" },
    /* Their one key is optional. */
    { ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED, "lifespan.startup.failed" },
    { ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED, "lifespan.shutdown.failed" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr(AsgirefMessage) message = asgiref_message_new (kinds[i].kind);
      g_autoptr(GVariant) view = asgiref_message_to_variant (message);
      g_autoptr(AsgirefMessage) back = NULL;

      g_assert_cmpint (asgiref_message_get_kind (message), ==, kinds[i].kind);
      g_assert_cmpstr (asgiref_message_get_type_name (message), ==, kinds[i].type);
      g_assert_null (asgiref_message_get_message (message));
      g_assert_cmpuint (g_variant_n_children (view), ==, 1);
      assert_valid (message);
      back = round_trip (message);
      assert_messages_equal (message, back);
    }
}

static void
test_new_rejects_unknown_kind (void)
{
  AsgirefMessage *message;

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_CRITICAL, "*kind_is_valid*");
  message = asgiref_message_new ((AsgirefMessageKind) 1000);
  g_test_assert_expected_messages ();
  g_assert_null (message);
}

/* A string read from a message stays valid when its a{sv} form is made
 * and serialised afterwards (ASan and valgrind catch a dangling
 * pointer). */
static void
test_strings_outlive_the_view (void)
{
  g_autoptr(AsgirefMessage) message = asgiref_message_new_websocket_close (1001, "going away");
  g_autoptr(AsgirefMessage) same = asgiref_message_new_websocket_close (1001, "going away");
  const char *type = asgiref_message_get_type_name (message);
  const char *reason = asgiref_message_get_reason (message);
  g_autoptr(GVariant) view = asgiref_message_to_variant (message);
  g_autoptr(GVariant) same_view = asgiref_message_to_variant (same);

  g_assert_true (equal_dicts (view, same_view));
  g_assert_nonnull (g_variant_get_data (view));
  g_assert_cmpstr (type, ==, "websocket.close");
  g_assert_cmpstr (reason, ==, "going away");
}

static void
test_http_request (void)
{
  g_autoptr(GBytes) body = bytes_from_string ("hello");
  g_autoptr(AsgirefMessage) message = asgiref_message_new_http_request (body, TRUE);
  g_autoptr(GBytes) read = asgiref_message_get_body (message);

  g_assert_cmpint (asgiref_message_get_kind (message), ==, ASGIREF_MESSAGE_HTTP_REQUEST);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.request");
  assert_bytes (read, "hello");
  g_assert_true (asgiref_message_get_more_body (message));
  assert_valid (message);
}

static void
test_http_request_without_body (void)
{
  g_autoptr(AsgirefMessage) message = asgiref_message_new_http_request (NULL, FALSE);
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
  g_autoptr(AsgirefMessage) message = asgiref_message_new_http_request (body, FALSE);
  g_autoptr(GBytes) read = asgiref_message_get_body (message);
  g_autoptr(AsgirefMessage) back = round_trip (message);
  g_autoptr(GBytes) read_back = asgiref_message_get_body (back);

  g_assert_true (g_bytes_equal (body, read));
  g_assert_true (g_bytes_equal (body, read_back));
}

static void
test_http_response_body (void)
{
  g_autoptr(GBytes) body = bytes_from_string ("world");
  g_autoptr(AsgirefMessage) message = asgiref_message_new_http_response_body (body, FALSE);
  g_autoptr(GBytes) read = asgiref_message_get_body (message);

  g_assert_cmpint (asgiref_message_get_kind (message), ==, ASGIREF_MESSAGE_HTTP_RESPONSE_BODY);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.response.body");
  assert_bytes (read, "world");
  g_assert_false (asgiref_message_get_more_body (message));
  assert_valid (message);
}

static void
test_http_response_start (void)
{
  g_autoptr(AsgirefHeaders) headers = headers_new ("Content-Type", "text/plain", "X-Thing", "A b", NULL);
  g_autoptr(AsgirefMessage) message = asgiref_message_new_http_response_start (404, headers, TRUE);

  g_assert_cmpint (asgiref_message_get_kind (message), ==, ASGIREF_MESSAGE_HTTP_RESPONSE_START);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.response.start");
  g_assert_cmpint (asgiref_message_get_status (message), ==, 404);
  g_assert_true (asgiref_message_get_trailers (message));
  assert_headers (asgiref_message_get_headers (message),
                  "content-type", "text/plain", "x-thing", "A b", NULL);
  assert_valid (message);
}

static void
test_http_response_start_without_headers (void)
{
  g_autoptr(AsgirefMessage) message = asgiref_message_new_http_response_start (200, NULL, FALSE);
  AsgirefHeaders *read = asgiref_message_get_headers (message);
  g_autoptr(GVariant) view = asgiref_message_to_variant (message);
  g_autoptr(GVariant) view_headers = g_variant_lookup_value (view, "headers", NULL);

  g_assert_cmpint (asgiref_message_get_status (message), ==, 200);
  g_assert_false (asgiref_message_get_trailers (message));
  g_assert_nonnull (read);
  g_assert_cmpuint (asgiref_headers_get_length (read), ==, 0);
  g_assert_nonnull (view_headers);
  g_assert_true (g_variant_is_of_type (view_headers, G_VARIANT_TYPE ("a(ayay)")));
  g_assert_cmpuint (g_variant_n_children (view_headers), ==, 0);
  assert_valid (message);
}

/* The builders take their own reference to the headers: the list given
 * is the one read back, and it lives as long as the message (valgrind
 * and ASan see a use after free otherwise). */
static void
test_builders_keep_a_reference_to_headers (void)
{
  AsgirefHeaders *headers = headers_new ("x-a", "1", NULL);
  g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (200, headers, FALSE);
  g_autoptr(AsgirefMessage) trailers = asgiref_message_new_http_response_trailers (headers, FALSE);
  g_autoptr(AsgirefMessage) accept = asgiref_message_new_websocket_accept (NULL, headers);
  g_autoptr(AsgirefMessage) denial = asgiref_message_new_websocket_http_response_start (403, headers);

  g_assert_true (asgiref_message_get_headers (start) == headers);
  g_assert_true (asgiref_message_get_headers (trailers) == headers);
  g_assert_true (asgiref_message_get_headers (accept) == headers);
  g_assert_true (asgiref_message_get_headers (denial) == headers);
  asgiref_headers_unref (headers);

  assert_headers (asgiref_message_get_headers (start), "x-a", "1", NULL);
  g_clear_pointer (&start, asgiref_message_unref);
  assert_headers (asgiref_message_get_headers (trailers), "x-a", "1", NULL);
  assert_headers (asgiref_message_get_headers (accept), "x-a", "1", NULL);
  assert_headers (asgiref_message_get_headers (denial), "x-a", "1", NULL);
}

static void
test_lifespan_failed (void)
{
  g_autoptr(AsgirefMessage) startup = asgiref_message_new_lifespan_startup_failed ("no database");
  g_autoptr(AsgirefMessage) shutdown = asgiref_message_new_lifespan_shutdown_failed (NULL);

  g_assert_cmpint (asgiref_message_get_kind (startup), ==, ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED);
  g_assert_cmpstr (asgiref_message_get_type_name (startup), ==, "lifespan.startup.failed");
  g_assert_cmpstr (asgiref_message_get_message (startup), ==, "no database");
  assert_valid (startup);
  g_assert_cmpint (asgiref_message_get_kind (shutdown), ==, ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED);
  g_assert_cmpstr (asgiref_message_get_type_name (shutdown), ==, "lifespan.shutdown.failed");
  g_assert_null (asgiref_message_get_message (shutdown));
  assert_valid (shutdown);
}

static void
test_websocket_accept (void)
{
  g_autoptr(AsgirefMessage) with = asgiref_message_new_websocket_accept ("chat", NULL);
  g_autoptr(AsgirefMessage) without = asgiref_message_new_websocket_accept (NULL, NULL);

  g_assert_cmpint (asgiref_message_get_kind (with), ==, ASGIREF_MESSAGE_WEBSOCKET_ACCEPT);
  g_assert_cmpstr (asgiref_message_get_type_name (with), ==, "websocket.accept");
  g_assert_cmpstr (asgiref_message_get_subprotocol (with), ==, "chat");
  g_assert_null (asgiref_message_get_subprotocol (without));
  g_assert_cmpuint (asgiref_headers_get_length (asgiref_message_get_headers (without)), ==, 0);
  assert_valid (with);
  assert_valid (without);
}

static void
test_websocket_send_and_receive (void)
{
  g_autoptr(GBytes) payload = bytes_from_string ("\x01\x02");
  g_autoptr(AsgirefMessage) send_bytes = asgiref_message_new_websocket_send (payload, NULL);
  g_autoptr(AsgirefMessage) send_text = asgiref_message_new_websocket_send (NULL, "hi");
  g_autoptr(AsgirefMessage) receive = asgiref_message_new_websocket_receive (NULL, "there");
  g_autoptr(AsgirefMessage) receive_bytes = asgiref_message_new_websocket_receive (payload, NULL);
  g_autoptr(GBytes) read = asgiref_message_get_bytes (send_bytes);
  g_autoptr(GBytes) read_received = asgiref_message_get_bytes (receive_bytes);

  g_assert_cmpint (asgiref_message_get_kind (send_bytes), ==, ASGIREF_MESSAGE_WEBSOCKET_SEND);
  g_assert_cmpstr (asgiref_message_get_type_name (send_bytes), ==, "websocket.send");
  g_assert_true (g_bytes_equal (read, payload));
  g_assert_null (asgiref_message_get_text (send_bytes));
  g_assert_cmpstr (asgiref_message_get_text (send_text), ==, "hi");
  g_assert_null (asgiref_message_get_bytes (send_text));
  g_assert_cmpint (asgiref_message_get_kind (receive), ==, ASGIREF_MESSAGE_WEBSOCKET_RECEIVE);
  g_assert_cmpstr (asgiref_message_get_type_name (receive), ==, "websocket.receive");
  g_assert_cmpstr (asgiref_message_get_text (receive), ==, "there");
  g_assert_null (asgiref_message_get_bytes (receive));
  g_assert_true (g_bytes_equal (read_received, payload));
  g_assert_null (asgiref_message_get_text (receive_bytes));
  assert_valid (send_bytes);
  assert_valid (send_text);
  assert_valid (receive);
  assert_valid (receive_bytes);
}

/* A frame is binary or text: the builders refuse both and neither, as a
 * precondition (a programming error, not a runtime one). */
static void
test_websocket_frame_needs_exactly_one_payload (void)
{
  g_autoptr(GBytes) payload = bytes_from_string ("x");
  AsgirefMessage *message;

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_CRITICAL, "*bytes == NULL*");
  message = asgiref_message_new_websocket_send (payload, "x");
  g_test_assert_expected_messages ();
  g_assert_null (message);

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_CRITICAL, "*bytes == NULL*");
  message = asgiref_message_new_websocket_receive (NULL, NULL);
  g_test_assert_expected_messages ();
  g_assert_null (message);
}

static void
test_websocket_close_and_disconnect (void)
{
  g_autoptr(AsgirefMessage) close = asgiref_message_new_websocket_close (4000, "bye");
  g_autoptr(AsgirefMessage) disconnect = asgiref_message_new_websocket_disconnect (1001);

  g_assert_cmpint (asgiref_message_get_kind (close), ==, ASGIREF_MESSAGE_WEBSOCKET_CLOSE);
  g_assert_cmpint (asgiref_message_get_code (close), ==, 4000);
  g_assert_cmpstr (asgiref_message_get_reason (close), ==, "bye");
  g_assert_cmpint (asgiref_message_get_kind (disconnect), ==, ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT);
  g_assert_cmpint (asgiref_message_get_code (disconnect), ==, 1001);
  assert_valid (close);
  assert_valid (disconnect);
}

/* ASGI's defaults: 1000 for websocket.close, 1005 for
 * websocket.disconnect, whether the message is built bare or read from an
 * a{sv} without "code"; the a{sv} form then says the default. */
static void
test_websocket_codes_default (void)
{
  g_autoptr(AsgirefMessage) bare_close = asgiref_message_new (ASGIREF_MESSAGE_WEBSOCKET_CLOSE);
  g_autoptr(AsgirefMessage) bare_disconnect = asgiref_message_new (ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT);
  g_autoptr(AsgirefMessage) read_close = from_text ("{'type': <'websocket.close'>}");
  g_autoptr(AsgirefMessage) read_disconnect = from_text ("{'type': <'websocket.disconnect'>}");
  g_autoptr(GVariant) close_view = asgiref_message_to_variant (bare_close);
  g_autoptr(GVariant) disconnect_view = asgiref_message_to_variant (bare_disconnect);
  gint32 code = 0;

  g_assert_cmpint (asgiref_message_get_code (bare_close), ==, 1000);
  g_assert_null (asgiref_message_get_reason (bare_close));
  g_assert_cmpint (asgiref_message_get_code (bare_disconnect), ==, 1005);
  g_assert_cmpint (asgiref_message_get_code (read_close), ==, 1000);
  g_assert_null (asgiref_message_get_reason (read_close));
  g_assert_cmpint (asgiref_message_get_code (read_disconnect), ==, 1005);

  g_assert_true (g_variant_lookup (close_view, "code", "i", &code));
  g_assert_cmpint (code, ==, 1000);
  g_assert_false (g_variant_lookup (close_view, "reason", "s", NULL));
  g_assert_true (g_variant_lookup (disconnect_view, "code", "i", &code));
  g_assert_cmpint (code, ==, 1005);
  assert_valid (bare_close);
  assert_valid (bare_disconnect);
}

static void
test_http_response_trailers (void)
{
  g_autoptr(AsgirefHeaders) headers = headers_new ("grpc-status", "0", NULL);
  g_autoptr(AsgirefMessage) message = asgiref_message_new_http_response_trailers (headers, TRUE);

  g_assert_cmpint (asgiref_message_get_kind (message), ==, ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "http.response.trailers");
  assert_headers (asgiref_message_get_headers (message), "grpc-status", "0", NULL);
  g_assert_true (asgiref_message_get_more_trailers (message));
  /* more_trailers is not more_body. */
  g_assert_false (asgiref_message_get_more_body (message));
  assert_valid (message);
}

static void
test_http_response_trailers_without_headers (void)
{
  g_autoptr(AsgirefMessage) message = asgiref_message_new_http_response_trailers (NULL, FALSE);

  g_assert_cmpuint (asgiref_headers_get_length (asgiref_message_get_headers (message)), ==, 0);
  g_assert_false (asgiref_message_get_more_trailers (message));
  assert_valid (message);
}

static void
test_websocket_accept_with_headers (void)
{
  g_autoptr(AsgirefHeaders) headers = headers_new ("set-cookie", "a=b", NULL);
  g_autoptr(AsgirefMessage) message = asgiref_message_new_websocket_accept ("chat", headers);

  assert_headers (asgiref_message_get_headers (message), "set-cookie", "a=b", NULL);
  assert_valid (message);
}

static void
test_websocket_http_response_start (void)
{
  g_autoptr(AsgirefHeaders) headers = headers_new ("content-type", "text/plain", NULL);
  g_autoptr(AsgirefMessage) message = asgiref_message_new_websocket_http_response_start (401, headers);
  g_autoptr(AsgirefMessage) bare = asgiref_message_new_websocket_http_response_start (403, NULL);
  g_autoptr(GVariant) view = asgiref_message_to_variant (message);
  g_autoptr(GVariant) trailers = g_variant_lookup_value (view, "trailers", NULL);

  g_assert_cmpint (asgiref_message_get_kind (message), ==, ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "websocket.http.response.start");
  g_assert_cmpint (asgiref_message_get_status (message), ==, 401);
  assert_headers (asgiref_message_get_headers (message), "content-type", "text/plain", NULL);
  /* No trailers in the denial response: the extension has no such key. */
  g_assert_null (trailers);
  g_assert_false (asgiref_message_get_trailers (message));
  g_assert_cmpuint (asgiref_headers_get_length (asgiref_message_get_headers (bare)), ==, 0);
  assert_valid (message);
  assert_valid (bare);
}

static void
test_websocket_http_response_body (void)
{
  g_autoptr(GBytes) body = bytes_from_string ("go away");
  g_autoptr(AsgirefMessage) message = asgiref_message_new_websocket_http_response_body (body, TRUE);
  g_autoptr(AsgirefMessage) empty = asgiref_message_new_websocket_http_response_body (NULL, FALSE);
  g_autoptr(GBytes) read = asgiref_message_get_body (message);
  g_autoptr(GBytes) read_empty = asgiref_message_get_body (empty);

  g_assert_cmpint (asgiref_message_get_kind (message), ==, ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY);
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
  g_autoptr(AsgirefMessage) message = asgiref_message_new (ASGIREF_MESSAGE_HTTP_REQUEST);
  g_autoptr(GBytes) body = asgiref_message_get_body (message);

  assert_bytes (body, "");
  g_assert_false (asgiref_message_get_more_body (message));
  g_assert_cmpint (asgiref_message_get_status (message), ==, 0);
  g_assert_cmpuint (asgiref_headers_get_length (asgiref_message_get_headers (message)), ==, 0);
  g_assert_false (asgiref_message_get_trailers (message));
  g_assert_false (asgiref_message_get_more_trailers (message));
  g_assert_null (asgiref_message_get_message (message));
  g_assert_null (asgiref_message_get_bytes (message));
  g_assert_null (asgiref_message_get_text (message));
  g_assert_null (asgiref_message_get_subprotocol (message));
  g_assert_cmpint (asgiref_message_get_code (message), ==, 0);
  g_assert_null (asgiref_message_get_reason (message));
  assert_valid (message);
}

static gboolean
kind_in (AsgirefMessageKind kind,
         int                first,
         ...)
{
  gboolean found = FALSE;
  va_list args;

  va_start (args, first);
  for (int k = first; k >= 0; k = va_arg (args, int))
    found = found || (AsgirefMessageKind) k == kind;
  va_end (args);
  return found;
}

/* Each accessor reads its keys of the kinds that have them, and gives its
 * documented default for every other kind, even though the native message
 * keeps some keys of different kinds in the same field (bytes and body,
 * code and status, the texts). */
static void
assert_other_kinds_read_defaults (AsgirefMessage *message)
{
  AsgirefMessageKind kind = asgiref_message_get_kind (message);
  const char *type = asgiref_message_get_type_name (message);

  g_test_message ("%s", type);
  if (!kind_in (kind, ASGIREF_MESSAGE_HTTP_REQUEST, ASGIREF_MESSAGE_HTTP_RESPONSE_BODY,
                ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY, -1))
    {
      g_autoptr(GBytes) body = asgiref_message_get_body (message);

      g_assert_nonnull (body);
      if (g_bytes_get_size (body) != 0)
        g_error ("asgiref_message_get_body() of a %s message is not empty but %" G_GSIZE_FORMAT " bytes",
                 type, g_bytes_get_size (body));
      g_assert_false (asgiref_message_get_more_body (message));
    }
  if (!kind_in (kind, ASGIREF_MESSAGE_HTTP_RESPONSE_START, ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START, -1))
    g_assert_cmpint (asgiref_message_get_status (message), ==, 0);
  if (!kind_in (kind, ASGIREF_MESSAGE_HTTP_RESPONSE_START, ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS,
                ASGIREF_MESSAGE_WEBSOCKET_ACCEPT, ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START, -1))
    {
      g_assert_nonnull (asgiref_message_get_headers (message));
      g_assert_cmpuint (asgiref_headers_get_length (asgiref_message_get_headers (message)), ==, 0);
    }
  if (kind != ASGIREF_MESSAGE_HTTP_RESPONSE_START)
    g_assert_false (asgiref_message_get_trailers (message));
  if (kind != ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS)
    g_assert_false (asgiref_message_get_more_trailers (message));
  if (!kind_in (kind, ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED, ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED, -1))
    g_assert_null (asgiref_message_get_message (message));
  if (!kind_in (kind, ASGIREF_MESSAGE_WEBSOCKET_RECEIVE, ASGIREF_MESSAGE_WEBSOCKET_SEND, -1))
    {
      g_autoptr(GBytes) bytes = asgiref_message_get_bytes (message);

      g_assert_null (bytes);
      g_assert_null (asgiref_message_get_text (message));
    }
  if (kind != ASGIREF_MESSAGE_WEBSOCKET_ACCEPT)
    g_assert_null (asgiref_message_get_subprotocol (message));
  if (!kind_in (kind, ASGIREF_MESSAGE_WEBSOCKET_CLOSE, ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT, -1))
    g_assert_cmpint (asgiref_message_get_code (message), ==, 0);
  if (kind != ASGIREF_MESSAGE_WEBSOCKET_CLOSE)
    g_assert_null (asgiref_message_get_reason (message));
}

static void
test_accessors_of_other_kinds_read_defaults (void)
{
  g_autoptr(GPtrArray) messages = message_of_every_kind ();

  for (guint i = 0; i < messages->len; i++)
    {
      g_autoptr(AsgirefMessage) back = round_trip (messages->pdata[i]);

      assert_other_kinds_read_defaults (messages->pdata[i]);
      assert_other_kinds_read_defaults (back);
    }
}

static void
test_accessors_read_serialized_messages (void)
{
  /* A message that came in as bytes (from a socket, say) reads the same. */
  g_autoptr(AsgirefMessage) built = asgiref_message_new_lifespan_startup_failed ("boom");
  g_autoptr(GVariant) view = asgiref_message_to_variant (built);
  g_autoptr(GBytes) data = g_variant_get_data_as_bytes (view);
  g_autoptr(GVariant) serialised = g_variant_ref_sink (
      g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, data, FALSE));
  g_autoptr(AsgirefMessage) message = from_variant (serialised);

  g_assert_cmpint (asgiref_message_get_kind (message), ==, ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED);
  g_assert_cmpstr (asgiref_message_get_type_name (message), ==, "lifespan.startup.failed");
  g_assert_cmpstr (asgiref_message_get_message (message), ==, "boom");
  assert_messages_equal (built, message);
}

/* }}} */

/* {{{ Bodies are not copied */

static GBytes *
big_body (void)
{
  gsize size = 64 * 1024;
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7);
  return g_bytes_new_take (data, size);
}

static void
assert_same_data (GBytes *read,
                  GBytes *given)
{
  g_assert_nonnull (read);
  g_assert_true (g_bytes_get_data (read, NULL) == g_bytes_get_data (given, NULL));
  g_assert_cmpuint (g_bytes_get_size (read), ==, g_bytes_get_size (given));
}

static void
test_builders_keep_the_body (void)
{
  g_autoptr(GBytes) body = big_body ();
  g_autoptr(AsgirefMessage) request = asgiref_message_new_http_request (body, TRUE);
  g_autoptr(AsgirefMessage) response = asgiref_message_new_http_response_body (body, FALSE);
  g_autoptr(AsgirefMessage) denial = asgiref_message_new_websocket_http_response_body (body, FALSE);
  g_autoptr(AsgirefMessage) send = asgiref_message_new_websocket_send (body, NULL);
  g_autoptr(AsgirefMessage) receive = asgiref_message_new_websocket_receive (body, NULL);
  g_autoptr(GBytes) request_body = asgiref_message_get_body (request);
  g_autoptr(GBytes) response_body = asgiref_message_get_body (response);
  g_autoptr(GBytes) denial_body = asgiref_message_get_body (denial);
  g_autoptr(GBytes) send_bytes = asgiref_message_get_bytes (send);
  g_autoptr(GBytes) receive_bytes = asgiref_message_get_bytes (receive);

  assert_same_data (request_body, body);
  assert_same_data (response_body, body);
  assert_same_data (denial_body, body);
  assert_same_data (send_bytes, body);
  assert_same_data (receive_bytes, body);
}

/* An a{sv} (tree form) whose body is @body, wrapped without a copy. */
static GVariant *
dict_with_bytes (const char *type,
                 const char *key,
                 GBytes     *body)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "type", "s", type);
  g_variant_dict_insert_value (&dict, key, g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, body, TRUE));
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static void
test_new_from_variant_keeps_serialised_bytes (void)
{
  g_autoptr(GBytes) body = big_body ();
  g_autoptr(GVariant) request_variant = dict_with_bytes ("http.request", "body", body);
  g_autoptr(GVariant) receive_variant = dict_with_bytes ("websocket.receive", "bytes", body);
  g_autoptr(AsgirefMessage) request = from_variant (request_variant);
  g_autoptr(AsgirefMessage) receive = from_variant (receive_variant);
  g_autoptr(GBytes) request_body = asgiref_message_get_body (request);
  g_autoptr(GBytes) receive_bytes = asgiref_message_get_bytes (receive);

  assert_same_data (request_body, body);
  assert_same_data (receive_bytes, body);
}

/* A whole message that came in serialised: the body read is a slice of
 * the bytes that came in. */
static void
test_new_from_variant_keeps_bytes_of_serialised_message (void)
{
  g_autoptr(GBytes) body = big_body ();
  g_autoptr(AsgirefMessage) built = asgiref_message_new_http_response_body (body, TRUE);
  g_autoptr(GVariant) view = asgiref_message_to_variant (built);
  g_autoptr(GBytes) wire = g_bytes_new (g_variant_get_data (view), g_variant_get_size (view));
  g_autoptr(GVariant) serialised = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, wire, FALSE));
  g_autoptr(AsgirefMessage) message = from_variant (serialised);
  g_autoptr(GBytes) read = asgiref_message_get_body (message);
  const guint8 *start = g_bytes_get_data (wire, NULL);
  const guint8 *data = g_bytes_get_data (read, NULL);

  g_assert_true (g_bytes_equal (read, body));
  g_assert_true (data >= start);
  g_assert_true (data + g_bytes_get_size (read) <= start + g_bytes_get_size (wire));
  g_assert_true (asgiref_message_get_more_body (message));
}

/* }}} */

/* {{{ The a{sv} form */

static void
test_to_variant_is_cached (void)
{
  g_autoptr(GPtrArray) messages = message_of_every_kind ();

  for (guint i = 0; i < messages->len; i++)
    {
      g_autoptr(GVariant) first = asgiref_message_to_variant (messages->pdata[i]);
      g_autoptr(GVariant) second = asgiref_message_to_variant (messages->pdata[i]);

      g_assert_false (g_variant_is_floating (first));
      g_assert_true (g_variant_is_of_type (first, G_VARIANT_TYPE_VARDICT));
      g_assert_true (first == second);
    }
}

/* Asserts that the a{sv} @actual has the keys of the a{sv} in text format
 * @expected, with their values, and no other: compared as dictionaries,
 * since the order of keys is not promised. */
static void
assert_dict (GVariant   *actual,
             const char *expected)
{
  g_autoptr(GVariant) want = parse (expected);
  g_autofree char *printed = g_variant_print (actual, TRUE);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (g_variant_n_children (actual) != g_variant_n_children (want))
    g_error ("%s is not %s", printed, expected);
  g_variant_iter_init (&iter, want);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = g_steal_pointer (&value);
      g_autoptr(GVariant) got = g_variant_lookup_value (actual, key, NULL);

      if (got == NULL || !g_variant_equal (got, owned))
        g_error ("%s is not %s (key “%s”)", printed, expected, key);
    }
}

/* Keys left at their default are written; the optional strings are not
 * when unset. */
static void
test_to_variant_writes_every_key (void)
{
  g_autoptr(AsgirefMessage) request = asgiref_message_new (ASGIREF_MESSAGE_HTTP_REQUEST);
  g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (200, NULL, FALSE);
  g_autoptr(AsgirefMessage) trailers = asgiref_message_new_http_response_trailers (NULL, FALSE);
  g_autoptr(AsgirefMessage) failed = asgiref_message_new_lifespan_startup_failed (NULL);
  g_autoptr(AsgirefMessage) accept = asgiref_message_new_websocket_accept (NULL, NULL);
  g_autoptr(AsgirefMessage) close = asgiref_message_new (ASGIREF_MESSAGE_WEBSOCKET_CLOSE);
  g_autoptr(AsgirefMessage) send = asgiref_message_new_websocket_send (NULL, "hi");
  g_autoptr(AsgirefMessage) denial = asgiref_message_new_websocket_http_response_start (403, NULL);
  g_autoptr(GVariant) request_view = asgiref_message_to_variant (request);
  g_autoptr(GVariant) start_view = asgiref_message_to_variant (start);
  g_autoptr(GVariant) trailers_view = asgiref_message_to_variant (trailers);
  g_autoptr(GVariant) failed_view = asgiref_message_to_variant (failed);
  g_autoptr(GVariant) accept_view = asgiref_message_to_variant (accept);
  g_autoptr(GVariant) close_view = asgiref_message_to_variant (close);
  g_autoptr(GVariant) send_view = asgiref_message_to_variant (send);
  g_autoptr(GVariant) denial_view = asgiref_message_to_variant (denial);

  assert_dict (request_view, "{'type': <'http.request'>, 'body': <@ay []>, 'more_body': <false>}");
  assert_dict (start_view, "{'type': <'http.response.start'>, 'status': <200>, "
                           "'headers': <@a(ayay) []>, 'trailers': <false>}");
  assert_dict (trailers_view, "{'type': <'http.response.trailers'>, 'headers': <@a(ayay) []>, "
                              "'more_trailers': <false>}");
  assert_dict (failed_view, "{'type': <'lifespan.startup.failed'>}");
  assert_dict (accept_view, "{'type': <'websocket.accept'>, 'headers': <@a(ayay) []>}");
  assert_dict (close_view, "{'type': <'websocket.close'>, 'code': <1000>}");
  assert_dict (send_view, "{'type': <'websocket.send'>, 'text': <'hi'>}");
  assert_dict (denial_view, "{'type': <'websocket.http.response.start'>, 'status': <403>, "
                            "'headers': <@a(ayay) []>}");
}

static void
test_round_trip_every_kind (void)
{
  g_autoptr(GPtrArray) messages = message_of_every_kind ();

  for (guint i = 0; i < messages->len; i++)
    {
      AsgirefMessage *message = messages->pdata[i];
      g_autoptr(AsgirefMessage) once = round_trip (message);
      g_autoptr(AsgirefMessage) twice = round_trip (once);

      g_test_message ("%s", asgiref_message_get_type_name (message));
      assert_messages_equal (message, once);
      assert_messages_equal (once, twice);
    }
}

static void
test_round_trip_keeps_defaults (void)
{
  AsgirefMessage *bare[] = {
    asgiref_message_new_http_request (NULL, FALSE),
    asgiref_message_new_http_response_start (200, NULL, FALSE),
    asgiref_message_new_http_response_body (NULL, FALSE),
    asgiref_message_new_http_response_trailers (NULL, FALSE),
    asgiref_message_new_lifespan_startup_failed (NULL),
    asgiref_message_new_lifespan_shutdown_failed (NULL),
    asgiref_message_new_websocket_accept (NULL, NULL),
    asgiref_message_new_websocket_send (NULL, ""),
    asgiref_message_new (ASGIREF_MESSAGE_WEBSOCKET_CLOSE),
    asgiref_message_new (ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT),
    asgiref_message_new_websocket_http_response_start (500, NULL),
    asgiref_message_new_websocket_http_response_body (NULL, FALSE),
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bare); i++)
    {
      g_autoptr(AsgirefMessage) message = bare[i];
      g_autoptr(AsgirefMessage) back = round_trip (message);

      g_test_message ("%s", asgiref_message_get_type_name (message));
      assert_messages_equal (message, back);
    }
}

/* Keys the specification does not name for a kind are kept, whatever
 * their type, and come back in the a{sv} form, through any number of
 * round trips. */
static void
test_round_trip_keeps_unknown_keys (void)
{
  g_autoptr(GPtrArray) messages = message_of_every_kind ();
  g_autoptr(GVariant) number = g_variant_ref_sink (g_variant_new_int32 (42));
  g_autoptr(GVariant) nested = parse ("{'a': <b'x'>, 'b': <[1, 2]>}");

  for (guint i = 0; i < messages->len; i++)
    {
      g_autoptr(GVariant) view = asgiref_message_to_variant (messages->pdata[i]);
      g_autoptr(GVariant) extended = NULL;
      g_autoptr(AsgirefMessage) once = NULL;
      g_autoptr(AsgirefMessage) twice = NULL;
      g_autoptr(GVariant) once_view = NULL;
      g_autoptr(GVariant) twice_view = NULL;
      GVariantDict dict;

      g_test_message ("%s", asgiref_message_get_type_name (messages->pdata[i]));
      g_variant_dict_init (&dict, view);
      g_variant_dict_insert_value (&dict, "x-extension", number);
      g_variant_dict_insert_value (&dict, "x-nested", nested);
      extended = g_variant_ref_sink (g_variant_dict_end (&dict));

      once = from_variant (extended);
      once_view = asgiref_message_to_variant (once);
      twice = round_trip (once);
      twice_view = asgiref_message_to_variant (twice);

      for (guint j = 0; j < 2; j++)
        {
          GVariant *out = j == 0 ? once_view : twice_view;
          g_autoptr(GVariant) out_number = g_variant_lookup_value (out, "x-extension", NULL);
          g_autoptr(GVariant) out_nested = g_variant_lookup_value (out, "x-nested", NULL);

          g_assert_nonnull (out_number);
          g_assert_true (g_variant_equal (out_number, number));
          g_assert_nonnull (out_nested);
          g_assert_true (g_variant_equal (out_nested, nested));
          g_assert_cmpuint (g_variant_n_children (out), ==, g_variant_n_children (view) + 2);
        }
      assert_fields_equal (messages->pdata[i], once);
      assert_messages_equal (once, twice);
    }
}

/* A key that ASGI names for another kind (more_body in trailers, status
 * in websocket.close) is an unknown key here: it comes back as it was and
 * changes nothing that the message's own keys say. */
static void
test_new_from_variant_keeps_keys_of_other_kinds_apart (void)
{
  static const struct {
    const char *text;
    const char *key;   /* a key of another kind, kept as it was */
  } cases[] = {
    { "{'type': <'http.response.trailers'>, 'more_body': <false>, 'more_trailers': <true>}", "more_body" },
    { "{'type': <'http.response.trailers'>, 'more_body': <true>}", "more_body" },
    { "{'type': <'http.request'>, 'more_trailers': <true>, 'trailers': <true>}", "more_trailers" },
    { "{'type': <'http.response.body'>, 'more_trailers': <true>, 'code': <3000>}", "more_trailers" },
    { "{'type': <'http.response.start'>, 'status': <200>, 'more_body': <true>}", "more_body" },
    { "{'type': <'websocket.close'>, 'status': <200>, 'code': <4000>}", "status" },
    { "{'type': <'websocket.disconnect'>, 'status': <1>}", "status" },
    { "{'type': <'websocket.http.response.start'>, 'status': <400>, 'code': <4000>, 'trailers': <true>}", "trailers" },
    { "{'type': <'http.disconnect'>, 'body': <b'x'>, 'more_body': <true>}", "body" },
    { "{'type': <'websocket.connect'>, 'text': <'x'>, 'headers': <@a(ayay) []>}", "text" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GVariant) variant = parse (cases[i].text);
      g_autoptr(AsgirefMessage) message = from_variant (variant);
      g_autoptr(GVariant) view = asgiref_message_to_variant (message);
      g_autoptr(GVariant) given = g_variant_lookup_value (variant, cases[i].key, NULL);
      g_autoptr(GVariant) kept = g_variant_lookup_value (view, cases[i].key, NULL);
      GVariantIter iter;
      const char *key;
      GVariant *value;

      g_test_message ("%s", cases[i].text);
      assert_other_kinds_read_defaults (message);
      g_assert_nonnull (kept);
      g_assert_true (g_variant_equal (given, kept));

      /* Every key given comes back with its value: the a{sv} form says
       * what the dictionary said. */
      g_variant_iter_init (&iter, variant);
      while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
        {
          g_autoptr(GVariant) owned = g_steal_pointer (&value);
          g_autoptr(GVariant) out = g_variant_lookup_value (view, key, NULL);

          if (out == NULL || !g_variant_equal (out, owned))
            {
              g_autofree char *printed = g_variant_print (view, TRUE);

              g_error ("Key “%s” of %s does not come back as it was: %s", key, cases[i].text, printed);
            }
        }
    }
}

/* "headers" is a key of four kinds only: in any other it is an unknown
 * key like any other, taken whatever it holds (a list that breaks the
 * header rules too, which only the four kinds check), given back as it
 * was, and not read by asgiref_message_get_headers(). */
static void
test_new_from_variant_takes_any_headers_key_of_kinds_without_headers (void)
{
  const char *types[] = { "http.request", "http.disconnect", "websocket.connect", "websocket.close" };

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    for (guint valid = 0; valid <= 1; valid++)
      {
        GVariant *list = valid ? header_list ("x-a", "1", NULL) : header_list ("X-Upper", "1", NULL);
        g_autoptr(GVariant) given = g_variant_ref_sink (list);
        g_autoptr(GVariant) variant = NULL;
        g_autoptr(AsgirefMessage) message = NULL;
        g_autoptr(GVariant) view = NULL;
        g_autoptr(GVariant) kept = NULL;
        GVariantDict dict;

        g_test_message ("%s with %s headers", types[i], valid ? "valid" : "invalid");
        g_variant_dict_init (&dict, NULL);
        g_variant_dict_insert (&dict, "type", "s", types[i]);
        g_variant_dict_insert_value (&dict, "headers", given);
        variant = g_variant_ref_sink (g_variant_dict_end (&dict));

        message = from_variant (variant);
        g_assert_cmpuint (asgiref_headers_get_length (asgiref_message_get_headers (message)), ==, 0);
        view = asgiref_message_to_variant (message);
        kept = g_variant_lookup_value (view, "headers", NULL);
        g_assert_nonnull (kept);
        g_assert_true (g_variant_equal (kept, given));
      }
}

/* The dictionary handed in stays the caller's: a floating one stays
 * floating. */
static void
test_new_from_variant_does_not_sink (void)
{
  GVariant *floating = g_variant_new_parsed ("{'type': <'http.response.body'>, 'more_body': <true>}");
  g_autoptr(AsgirefMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  message = asgiref_message_new_from_variant (floating, &error);
  g_assert_no_error (error);
  g_assert_true (asgiref_message_get_more_body (message));
  g_assert_true (g_variant_is_floating (floating));
  g_variant_unref (g_variant_ref_sink (floating));
}

/* }}} */

/* {{{ Validation: one rule each */

static void
test_validate_accepts_extra_keys (void)
{
  g_autoptr(AsgirefMessage) message = from_text ("{'type': <'http.request'>, 'x-extension': <42>}");

  g_assert_cmpint (asgiref_message_get_kind (message), ==, ASGIREF_MESSAGE_HTTP_REQUEST);
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
  assert_invalid_message (asgiref_message_new_http_response_start (99, NULL, FALSE),
                          "99", "100", "“http.response.start”", NULL);
  assert_invalid_message (asgiref_message_new_http_response_start (600, NULL, FALSE), "600", NULL);
  assert_invalid_message (asgiref_message_new_http_response_start (-200, NULL, FALSE), "-200", NULL);
}

static void
test_validate_accepts_status_bounds (void)
{
  g_autoptr(AsgirefMessage) low = asgiref_message_new_http_response_start (100, NULL, FALSE);
  g_autoptr(AsgirefMessage) high = asgiref_message_new_http_response_start (599, NULL, FALSE);
  g_autoptr(AsgirefMessage) read_low = from_text ("{'type': <'http.response.start'>, 'status': <100>}");
  g_autoptr(AsgirefMessage) read_high = from_text ("{'type': <'websocket.http.response.start'>, 'status': <599>}");

  assert_valid (low);
  assert_valid (high);
  g_assert_cmpint (asgiref_message_get_status (read_low), ==, 100);
  g_assert_cmpint (asgiref_message_get_status (read_high), ==, 599);
}

static void
test_validate_rejects_header_name_not_lower_case (void)
{
  assert_invalid_variant (message_with_headers ("http.response.start",
                                                header_list ("content-type", "x", "X-Thing", "y", NULL)),
                          "Header 1", "lower-case", NULL);
}

static void
test_validate_rejects_cr_lf_nul_in_header_name (void)
{
  assert_invalid_variant (message_with_headers ("http.response.start", header_list ("a\rb", "x", NULL)),
                          "Header 0", "name", NULL);
  assert_invalid_variant (message_with_headers ("http.response.start", header_list ("ok", "x", "a\nb", "x", NULL)),
                          "Header 1", "name", NULL);
  assert_invalid_variant (message_with_headers ("http.response.start", header_with_nul (TRUE)),
                          "Header 0", "name", NULL);
}

static void
test_validate_rejects_cr_lf_nul_in_header_value (void)
{
  assert_invalid_variant (message_with_headers ("websocket.accept", header_list ("a", "x\r", NULL)),
                          "Header 0", "value", NULL);
  assert_invalid_variant (message_with_headers ("http.response.trailers", header_list ("a", "x\ny", NULL)),
                          "Header 0", "value", NULL);
  assert_invalid_variant (message_with_headers ("http.response.start", header_with_nul (FALSE)),
                          "Header 0", "value", NULL);
}

static void
test_validate_accepts_valid_headers (void)
{
  g_autoptr(GVariant) variant = message_with_headers ("http.response.start",
                                                      header_list ("content-type", "text/plain; charset=UTF-8",
                                                                   "x-empty", "", NULL));
  g_autoptr(AsgirefMessage) message = from_variant (variant);

  assert_headers (asgiref_message_get_headers (message),
                  "content-type", "text/plain; charset=UTF-8", "x-empty", "", NULL);
}

static void
test_validate_rejects_websocket_send_with_bytes_and_text (void)
{
  assert_invalid ("{'type': <'websocket.send'>, 'bytes': <b'x'>, 'text': <'x'>}",
                  "“bytes”", "“text”", NULL);
}

static void
test_validate_rejects_websocket_receive_with_neither_bytes_nor_text (void)
{
  assert_invalid ("{'type': <'websocket.receive'>}", "“bytes”", "“text”", NULL);
  assert_invalid_message (asgiref_message_new (ASGIREF_MESSAGE_WEBSOCKET_SEND), "“bytes”", "“text”", NULL);
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
  assert_invalid_message (asgiref_message_new_websocket_http_response_start (1000, NULL),
                          "1000", "“websocket.http.response.start”", NULL);
  assert_invalid ("{'type': <'websocket.http.response.start'>, 'status': <1000>}", "1000", NULL);
}

static void
test_validate_rejects_denial_response_body_not_bytes (void)
{
  assert_invalid ("{'type': <'websocket.http.response.body'>, 'body': <'text'>}", "“body”", "“ay”", NULL);
}

static void
test_validate_rejects_empty_header_name (void)
{
  assert_invalid_variant (message_with_headers ("http.response.start", header_list ("", "x", NULL)),
                          "Header 0", "empty", NULL);
}

static void
test_validate_rejects_header_name_not_a_token (void)
{
  assert_invalid_variant (message_with_headers ("http.response.start", header_list (":status", "200", NULL)),
                          "Header 0", "0x3a", NULL);
  assert_invalid_variant (message_with_headers ("http.response.start", header_list ("ok", "1", "a b", "x", NULL)),
                          "Header 1", "0x20", NULL);
}

static void
test_validate_names_the_message_in_header_errors (void)
{
  assert_invalid_variant (message_with_headers ("http.response.trailers", header_list ("A", "x", NULL)),
                          "“http.response.trailers”", "Header 0", NULL);
}

static void
test_validate_rejects_subprotocol_header_in_accept (void)
{
  g_autoptr(AsgirefHeaders) headers = headers_new ("x-a", "1", "Sec-WebSocket-Protocol", "chat", NULL);

  assert_invalid_variant (message_with_headers ("websocket.accept",
                                                header_list ("x-a", "1", "sec-websocket-protocol", "chat", NULL)),
                          "“sec-websocket-protocol”", "“subprotocol”", NULL);
  /* asgiref_headers_new() lower-cases the name, so the rule sees it. */
  assert_invalid_message (asgiref_message_new_websocket_accept ("chat", headers),
                          "“sec-websocket-protocol”", "“subprotocol”", NULL);
}

/* }}} */

/* {{{ Validation: how a response start frames its body */

/* Both kinds of response start frame a body the same way: each framing
 * test runs for both, built natively and read from the a{sv} form. */
static const char * const start_types[] = { "http.response.start", "websocket.http.response.start" };

/* A response start of @type with a status of 200 and @headers. */
static AsgirefMessage *
start_of_type (const char     *type,
               AsgirefHeaders *headers)
{
  if (g_str_equal (type, "http.response.start"))
    return asgiref_message_new_http_response_start (200, headers, FALSE);
  g_assert_cmpstr (type, ==, "websocket.http.response.start");
  return asgiref_message_new_websocket_http_response_start (200, headers);
}

/* A native header list from @pairs, names and values in turn,
 * NULL-terminated. */
static AsgirefHeaders *
headers_from_pairs (const char * const *pairs)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GPtrArray) values = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  AsgirefHeaders *headers;

  for (gsize i = 0; pairs[i] != NULL; i += 2)
    {
      g_ptr_array_add (names, (gpointer) pairs[i]);
      g_ptr_array_add (values, (gpointer) pairs[i + 1]);
    }
  g_ptr_array_add (names, NULL);
  g_ptr_array_add (values, NULL);

  headers = asgiref_headers_new ((const char * const *) names->pdata,
                                 (const char * const *) values->pdata, &error);
  g_assert_no_error (error);
  g_assert_nonnull (headers);
  return headers;
}

/* The same as an a(ayay) header list. Floating. */
static GVariant *
header_list_from_pairs (const char * const *pairs)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ayay)"));
  for (gsize i = 0; pairs[i] != NULL; i += 2)
    g_variant_builder_add (&builder, "(@ay@ay)",
                           g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, pairs[i], strlen (pairs[i]), 1),
                           g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, pairs[i + 1], strlen (pairs[i + 1]), 1));
  return g_variant_builder_end (&builder);
}

/* Asserts that a response start of either kind with the header @pairs is
 * valid, made natively or from its a{sv} form, and keeps them. */
static void
assert_framing_accepted (const char * const *pairs)
{
  g_autoptr(AsgirefHeaders) headers = headers_from_pairs (pairs);

  for (gsize t = 0; t < G_N_ELEMENTS (start_types); t++)
    {
      g_autoptr(AsgirefMessage) native = start_of_type (start_types[t], headers);
      g_autoptr(GVariant) variant = message_with_headers (start_types[t], header_list_from_pairs (pairs));
      g_autoptr(AsgirefMessage) read = from_variant (variant);

      assert_valid (native);
      assert_headers_equal (asgiref_message_get_headers (read), headers);
    }
}

/* Asserts that a response start of either kind with the header @pairs is
 * refused by asgiref_message_validate() and by
 * asgiref_message_new_from_variant(), with an error text that names the
 * message and contains @fragment. */
static void
assert_framing_refused (const char * const *pairs,
                        const char         *fragment)
{
  g_autoptr(AsgirefHeaders) headers = headers_from_pairs (pairs);

  for (gsize t = 0; t < G_N_ELEMENTS (start_types); t++)
    {
      g_autofree char *type_name = g_strdup_printf ("“%s”", start_types[t]);

      assert_invalid_message (start_of_type (start_types[t], headers), fragment, type_name, NULL);
      assert_invalid_variant (message_with_headers (start_types[t], header_list_from_pairs (pairs)),
                              fragment, type_name, NULL);
    }
}

static void
test_validate_accepts_content_length_of_digits (void)
{
  static const char * const lengths[] = { "0", "123", "007" };

  for (gsize i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      const char * const pairs[] = { "content-type", "text/plain", "content-length", lengths[i], NULL };

      assert_framing_accepted (pairs);
    }
}

static void
test_validate_accepts_content_length_of_18_digits (void)
{
  const char * const pairs[] = { "content-length", "999999999999999999", NULL };

  assert_framing_accepted (pairs);
}

static void
test_validate_rejects_content_length_that_is_not_digits (void)
{
  static const char * const lengths[] = { "", "abc", "-5", "+5", "1 2", " 12", "12 ", "0x10", "1.5" };

  for (gsize i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      const char * const pairs[] = { "content-length", lengths[i], NULL };
      g_autofree char *quoted = g_strdup_printf ("content-length “%s”", lengths[i]);

      assert_framing_refused (pairs, quoted);
    }
}

static void
test_validate_rejects_content_length_of_19_digits (void)
{
  const char * const pairs[] = { "content-length", "1000000000000000000", NULL };

  assert_framing_refused (pairs, "content-length “1000000000000000000”");
}

static void
test_validate_accepts_chunked_transfer_encoding_in_any_case (void)
{
  static const char * const encodings[] = { "chunked", "Chunked", "CHUNKED" };

  for (gsize i = 0; i < G_N_ELEMENTS (encodings); i++)
    {
      const char * const pairs[] = { "transfer-encoding", encodings[i], "x-a", "1", NULL };

      assert_framing_accepted (pairs);
    }
}

static void
test_validate_rejects_transfer_encoding_other_than_chunked (void)
{
  static const char * const encodings[] = { "gzip", "chunked, gzip", "" };

  for (gsize i = 0; i < G_N_ELEMENTS (encodings); i++)
    {
      const char * const pairs[] = { "transfer-encoding", encodings[i], NULL };
      g_autofree char *quoted = g_strdup_printf ("transfer-encoding “%s”", encodings[i]);

      assert_framing_refused (pairs, quoted);
    }
}

static void
test_validate_rejects_two_content_lengths (void)
{
  /* Even equal ones: a server writes both, and a client may take either
   * as the length, or neither. */
  const char * const equal[] = { "content-length", "5", "x-a", "1", "content-length", "5", NULL };
  const char * const different[] = { "content-length", "5", "content-length", "6", NULL };

  assert_framing_refused (equal, "more than once");
  assert_framing_refused (different, "more than once");
}

static void
test_validate_rejects_two_transfer_encodings (void)
{
  const char * const pairs[] = { "transfer-encoding", "chunked", "transfer-encoding", "chunked", NULL };

  assert_framing_refused (pairs, "more than once");
}

static void
test_validate_rejects_content_length_and_transfer_encoding (void)
{
  const char * const length_first[] = { "content-length", "5", "transfer-encoding", "chunked", NULL };
  const char * const encoding_first[] = { "transfer-encoding", "chunked", "content-length", "5", NULL };

  assert_framing_refused (length_first, "more than once");
  assert_framing_refused (encoding_first, "more than once");
}

/* asgiref_headers_new() lower-cases names, so a framing header given in
 * any case is seen. */
static void
test_validate_sees_framing_headers_given_in_any_case (void)
{
  const char * const length[] = { "Content-Length", "abc", NULL };
  const char * const encoding[] = { "Transfer-Encoding", "gzip", NULL };
  g_autoptr(AsgirefHeaders) length_headers = headers_from_pairs (length);
  g_autoptr(AsgirefHeaders) encoding_headers = headers_from_pairs (encoding);

  for (gsize t = 0; t < G_N_ELEMENTS (start_types); t++)
    {
      assert_invalid_message (start_of_type (start_types[t], length_headers), "content-length “abc”", NULL);
      assert_invalid_message (start_of_type (start_types[t], encoding_headers), "transfer-encoding “gzip”", NULL);
    }
}

/* }}} */

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Message/new-has-only-type", test_new_has_only_type);
  g_test_add_func ("/Asgiref/Message/new-builds-every-keyless-kind", test_new_keyless_kinds);
  g_test_add_func ("/Asgiref/Message/new-rejects-unknown-kind", test_new_rejects_unknown_kind);
  g_test_add_func ("/Asgiref/Message/strings-outlive-the-view", test_strings_outlive_the_view);
  g_test_add_func ("/Asgiref/Message/http-request", test_http_request);
  g_test_add_func ("/Asgiref/Message/http-request-without-body-is-empty", test_http_request_without_body);
  g_test_add_func ("/Asgiref/Message/http-request-body-keeps-nul-bytes", test_http_request_body_keeps_nul_bytes);
  g_test_add_func ("/Asgiref/Message/http-response-body", test_http_response_body);
  g_test_add_func ("/Asgiref/Message/http-response-start", test_http_response_start);
  g_test_add_func ("/Asgiref/Message/http-response-start-without-headers", test_http_response_start_without_headers);
  g_test_add_func ("/Asgiref/Message/builders-keep-a-reference-to-headers", test_builders_keep_a_reference_to_headers);
  g_test_add_func ("/Asgiref/Message/lifespan-failed", test_lifespan_failed);
  g_test_add_func ("/Asgiref/Message/websocket-accept", test_websocket_accept);
  g_test_add_func ("/Asgiref/Message/websocket-send-and-receive", test_websocket_send_and_receive);
  g_test_add_func ("/Asgiref/Message/websocket-frame-needs-exactly-one-payload",
                   test_websocket_frame_needs_exactly_one_payload);
  g_test_add_func ("/Asgiref/Message/websocket-close-and-disconnect", test_websocket_close_and_disconnect);
  g_test_add_func ("/Asgiref/Message/websocket-codes-default-to-1000-and-1005", test_websocket_codes_default);
  g_test_add_func ("/Asgiref/Message/http-response-trailers", test_http_response_trailers);
  g_test_add_func ("/Asgiref/Message/http-response-trailers-without-headers",
                   test_http_response_trailers_without_headers);
  g_test_add_func ("/Asgiref/Message/websocket-accept-with-headers", test_websocket_accept_with_headers);
  g_test_add_func ("/Asgiref/Message/websocket-http-response-start", test_websocket_http_response_start);
  g_test_add_func ("/Asgiref/Message/websocket-http-response-body", test_websocket_http_response_body);
  g_test_add_func ("/Asgiref/Message/accessors-default-when-absent", test_accessors_default_when_absent);
  g_test_add_func ("/Asgiref/Message/accessors-of-other-kinds-read-defaults",
                   test_accessors_of_other_kinds_read_defaults);
  g_test_add_func ("/Asgiref/Message/accessors-read-serialized-messages", test_accessors_read_serialized_messages);

  g_test_add_func ("/Asgiref/Message/builders-keep-the-body", test_builders_keep_the_body);
  g_test_add_func ("/Asgiref/Message/new-from-variant-keeps-serialised-bytes",
                   test_new_from_variant_keeps_serialised_bytes);
  g_test_add_func ("/Asgiref/Message/new-from-variant-keeps-bytes-of-serialised-message",
                   test_new_from_variant_keeps_bytes_of_serialised_message);

  g_test_add_func ("/Asgiref/Message/to-variant-is-cached", test_to_variant_is_cached);
  g_test_add_func ("/Asgiref/Message/to-variant-writes-every-key", test_to_variant_writes_every_key);
  g_test_add_func ("/Asgiref/Message/round-trip-every-kind", test_round_trip_every_kind);
  g_test_add_func ("/Asgiref/Message/round-trip-keeps-defaults", test_round_trip_keeps_defaults);
  g_test_add_func ("/Asgiref/Message/round-trip-keeps-unknown-keys", test_round_trip_keeps_unknown_keys);
  g_test_add_func ("/Asgiref/Message/new-from-variant-keeps-keys-of-other-kinds-apart",
                   test_new_from_variant_keeps_keys_of_other_kinds_apart);
  g_test_add_func ("/Asgiref/Message/new-from-variant-takes-any-headers-key-of-kinds-without-headers",
                   test_new_from_variant_takes_any_headers_key_of_kinds_without_headers);
  g_test_add_func ("/Asgiref/Message/new-from-variant-does-not-sink", test_new_from_variant_does_not_sink);

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
                   test_validate_rejects_websocket_receive_with_neither_bytes_nor_text);
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

  g_test_add_func ("/Asgiref/Message/validate-accepts-content-length-of-digits",
                   test_validate_accepts_content_length_of_digits);
  g_test_add_func ("/Asgiref/Message/validate-accepts-content-length-of-18-digits",
                   test_validate_accepts_content_length_of_18_digits);
  g_test_add_func ("/Asgiref/Message/validate-rejects-content-length-that-is-not-digits",
                   test_validate_rejects_content_length_that_is_not_digits);
  g_test_add_func ("/Asgiref/Message/validate-rejects-content-length-of-19-digits",
                   test_validate_rejects_content_length_of_19_digits);
  g_test_add_func ("/Asgiref/Message/validate-accepts-chunked-transfer-encoding-in-any-case",
                   test_validate_accepts_chunked_transfer_encoding_in_any_case);
  g_test_add_func ("/Asgiref/Message/validate-rejects-transfer-encoding-other-than-chunked",
                   test_validate_rejects_transfer_encoding_other_than_chunked);
  g_test_add_func ("/Asgiref/Message/validate-rejects-two-content-lengths",
                   test_validate_rejects_two_content_lengths);
  g_test_add_func ("/Asgiref/Message/validate-rejects-two-transfer-encodings",
                   test_validate_rejects_two_transfer_encodings);
  g_test_add_func ("/Asgiref/Message/validate-rejects-content-length-and-transfer-encoding",
                   test_validate_rejects_content_length_and_transfer_encoding);
  g_test_add_func ("/Asgiref/Message/validate-sees-framing-headers-given-in-any-case",
                   test_validate_sees_framing_headers_given_in_any_case);

  return g_test_run ();
}
