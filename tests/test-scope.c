/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ASGI scopes as a{sv} GVariants: the builders and what they fill in, every
 * accessor with its default, and one test per rule of
 * asgiref_scope_validate().
 */

#include <asgiref.h>

#include <string.h>

#include "test-util.h"

/* {{{ Helpers */

static GVariant *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  GVariant *value = g_variant_parse (NULL, text, NULL, NULL, &error);

  g_assert_no_error (error);
  return value;
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

/* One header, without the NUL that the text format would add. Floating. */
static GVariant *
one_header (const char *name,
            const char *value)
{
  GVariant *pair = g_variant_new ("(@ay@ay)",
                                  g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, name, strlen (name), 1),
                                  g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, value, strlen (value), 1));

  return g_variant_new_array (NULL, &pair, 1);
}

static void
assert_valid (GVariant *scope)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (asgiref_scope_validate (scope, &error));
  g_assert_no_error (error);
}

/* A copy of @scope with @key set to @value (consumed, floating or not),
 * or removed when @value is NULL. */
static GVariant *
with_key (GVariant   *scope,
          const char *key,
          GVariant   *value)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, scope);
  if (value != NULL)
    {
      g_variant_take_ref (value);
      g_variant_dict_insert_value (&dict, key, value);
      g_variant_unref (value);
    }
  else
    g_variant_dict_remove (&dict, key);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static GVariant *
http_scope (void)
{
  return asgiref_scope_new_http ("GET", "/", NULL, NULL);
}

static GVariant *
websocket_scope (void)
{
  return asgiref_scope_new_websocket ("/ws", NULL, NULL, NULL);
}

/* Asserts that @scope (consumed) is invalid, with an error text that
 * contains every one of the NULL-terminated fragments. */
static void
assert_invalid (GVariant   *scope,
                const char *first_fragment,
                ...)
{
  g_autoptr(GError) error = NULL;
  const char *fragment;
  va_list args;

  g_assert_false (asgiref_scope_validate (scope, &error));
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
  va_start (args, first_fragment);
  for (fragment = first_fragment; fragment != NULL; fragment = va_arg (args, const char *))
    if (strstr (error->message, fragment) == NULL)
      g_error ("“%s” does not contain “%s”", error->message, fragment);
  va_end (args);
  g_variant_unref (scope);
}

/* Asserts that @base with @key set to @value (consumed) is invalid;
 * @base is consumed. */
static void
assert_invalid_with (GVariant   *base,
                     const char *key,
                     GVariant   *value,
                     const char *fragment)
{
  GVariant *scope = with_key (base, key, value);

  g_variant_unref (base);
  assert_invalid (scope, fragment, NULL);
}

/* }}} */

/* {{{ Builders */

static void
test_new_http_fills_in_defaults (void)
{
  const char *names[] = { "Host", NULL };
  const char *values[] = { "example.com", NULL };
  g_autoptr(GVariant) headers = asgiref_headers_new (names, values, NULL);
  g_autoptr(GBytes) query = bytes_from_string ("a=1&b=%20");
  g_autoptr(GVariant) scope = asgiref_scope_new_http ("POST", "/items", query, headers);
  g_autoptr(GBytes) read_query = asgiref_scope_get_query_string (scope);
  g_autoptr(GVariant) read_headers = asgiref_scope_get_headers (scope);

  g_assert_false (g_variant_is_floating (scope));
  g_assert_true (g_variant_is_of_type (scope, G_VARIANT_TYPE_VARDICT));
  g_assert_cmpstr (asgiref_scope_get_type_name (scope), ==, "http");
  g_assert_cmpstr (asgiref_scope_get_asgi_version (scope), ==, "3.0");
  g_assert_cmpstr (asgiref_scope_get_spec_version (scope), ==, "2.3");
  g_assert_cmpstr (asgiref_scope_get_http_version (scope), ==, "1.1");
  g_assert_cmpstr (asgiref_scope_get_method (scope), ==, "POST");
  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "http");
  g_assert_cmpstr (asgiref_scope_get_path (scope), ==, "/items");
  assert_bytes (read_query, "a=1&b=%20");
  g_assert_cmpstr (asgiref_scope_get_root_path (scope), ==, "");
  g_assert_true (g_variant_equal (read_headers, headers));
  g_assert_false (asgiref_scope_get_client (scope, NULL, NULL));
  g_assert_false (asgiref_scope_get_server (scope, NULL, NULL));
  g_assert_null (asgiref_scope_get_raw_path (scope));
  assert_valid (scope);
}

static void
test_new_http_without_query_or_headers (void)
{
  g_autoptr(GVariant) scope = asgiref_scope_new_http ("GET", "/", NULL, NULL);
  g_autoptr(GBytes) query = asgiref_scope_get_query_string (scope);
  g_autoptr(GVariant) headers = asgiref_scope_get_headers (scope);
  g_autoptr(GVariant) stored = g_variant_lookup_value (scope, "query_string", G_VARIANT_TYPE_BYTESTRING);

  /* Written out, not left to the reader's default: query_string is
   * required in an http scope. */
  g_assert_nonnull (stored);
  assert_bytes (query, "");
  g_assert_cmpuint (g_variant_n_children (headers), ==, 0);
  assert_valid (scope);
}

static void
test_new_http_consumes_floating_headers (void)
{
  g_autoptr(GVariant) scope = asgiref_scope_new_http ("GET", "/", NULL, one_header ("accept", "*/*"));

  /* No leak under valgrind: the floating reference went to the scope. */
  assert_valid (scope);
}

static void
test_new_websocket (void)
{
  const char *offered[] = { "chat", "superchat", NULL };
  g_autoptr(GBytes) query = bytes_from_string ("room=1");
  g_autoptr(GVariant) scope = asgiref_scope_new_websocket ("/ws", query, NULL, offered);
  g_auto(GStrv) subprotocols = asgiref_scope_get_subprotocols (scope);
  g_autoptr(GBytes) read_query = asgiref_scope_get_query_string (scope);

  g_assert_false (g_variant_is_floating (scope));
  g_assert_cmpstr (asgiref_scope_get_type_name (scope), ==, "websocket");
  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "ws");
  g_assert_cmpstr (asgiref_scope_get_path (scope), ==, "/ws");
  g_assert_cmpstr (asgiref_scope_get_http_version (scope), ==, "1.1");
  g_assert_cmpstr (asgiref_scope_get_spec_version (scope), ==, "2.3");
  g_assert_null (asgiref_scope_get_method (scope));
  assert_bytes (read_query, "room=1");
  g_assert_true (g_strv_equal ((const char * const *) subprotocols, offered));
  assert_valid (scope);
}

static void
test_new_websocket_without_subprotocols (void)
{
  g_autoptr(GVariant) scope = asgiref_scope_new_websocket ("/", NULL, NULL, NULL);
  g_auto(GStrv) subprotocols = asgiref_scope_get_subprotocols (scope);

  g_assert_nonnull (subprotocols);
  g_assert_null (subprotocols[0]);
  assert_valid (scope);
}

static void
test_new_lifespan (void)
{
  g_autoptr(GVariant) scope = asgiref_scope_new_lifespan (NULL);
  g_autoptr(GVariant) state = asgiref_scope_get_state (scope);

  g_assert_false (g_variant_is_floating (scope));
  g_assert_cmpstr (asgiref_scope_get_type_name (scope), ==, "lifespan");
  g_assert_cmpstr (asgiref_scope_get_asgi_version (scope), ==, "3.0");
  g_assert_cmpstr (asgiref_scope_get_spec_version (scope), ==, "2.0");
  g_assert_null (state);
  assert_valid (scope);
}

static void
test_new_lifespan_with_state (void)
{
  g_autoptr(GVariant) scope = asgiref_scope_new_lifespan (g_variant_new_parsed ("{'db': <'postgres://'>}"));
  g_autoptr(GVariant) state = asgiref_scope_get_state (scope);
  const char *db = NULL;

  g_assert_nonnull (state);
  g_assert_true (g_variant_lookup (state, "db", "&s", &db));
  g_assert_cmpstr (db, ==, "postgres://");
  assert_valid (scope);
}

static void
test_builder_sets_every_key (void)
{
  const char *offered[] = { "v1.chat", NULL };
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_websocket ("/api/ws");
  g_autoptr(GBytes) raw_path = bytes_from_string ("/api/w%73");
  g_autoptr(GBytes) query = bytes_from_string ("x=y");
  g_autoptr(GVariant) headers = g_variant_ref_sink (one_header ("origin", "https://example.com"));
  g_autoptr(GVariant) scope = NULL;
  g_autoptr(GBytes) read_raw_path = NULL;
  g_autoptr(GBytes) read_query = NULL;
  g_autoptr(GVariant) read_headers = NULL;
  g_autoptr(GVariant) state = NULL;
  g_auto(GStrv) subprotocols = NULL;
  const char *host = NULL;
  int port = 0;

  asgiref_scope_builder_set_spec_version (builder, "2.1");
  asgiref_scope_builder_set_http_version (builder, "2");
  asgiref_scope_builder_set_scheme (builder, "wss");
  asgiref_scope_builder_set_raw_path (builder, raw_path);
  asgiref_scope_builder_set_query_string (builder, query);
  asgiref_scope_builder_set_root_path (builder, "/api");
  asgiref_scope_builder_set_headers (builder, headers);
  asgiref_scope_builder_set_client (builder, "2001:db8::1", 51234);
  asgiref_scope_builder_set_server (builder, "127.0.0.1", 8443);
  asgiref_scope_builder_set_subprotocols (builder, offered);
  asgiref_scope_builder_set_state (builder, g_variant_new_parsed ("{'n': <1>}"));
  scope = asgiref_scope_builder_end (builder);

  g_assert_false (g_variant_is_floating (scope));
  g_assert_cmpstr (asgiref_scope_get_spec_version (scope), ==, "2.1");
  g_assert_cmpstr (asgiref_scope_get_http_version (scope), ==, "2");
  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "wss");
  read_raw_path = asgiref_scope_get_raw_path (scope);
  assert_bytes (read_raw_path, "/api/w%73");
  read_query = asgiref_scope_get_query_string (scope);
  assert_bytes (read_query, "x=y");
  g_assert_cmpstr (asgiref_scope_get_root_path (scope), ==, "/api");
  read_headers = asgiref_scope_get_headers (scope);
  g_assert_true (g_variant_equal (read_headers, headers));
  g_assert_true (asgiref_scope_get_client (scope, &host, &port));
  g_assert_cmpstr (host, ==, "2001:db8::1");
  g_assert_cmpint (port, ==, 51234);
  g_assert_true (asgiref_scope_get_server (scope, &host, &port));
  g_assert_cmpstr (host, ==, "127.0.0.1");
  g_assert_cmpint (port, ==, 8443);
  subprotocols = asgiref_scope_get_subprotocols (scope);
  g_assert_true (g_strv_equal ((const char * const *) subprotocols, offered));
  state = asgiref_scope_get_state (scope);
  g_assert_nonnull (state);
  assert_valid (scope);
}

static void
test_builder_new_http (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("DELETE", "/items/1");
  g_autoptr(GVariant) scope = asgiref_scope_builder_end (builder);
  g_autoptr(GVariant) simple = asgiref_scope_new_http ("DELETE", "/items/1", NULL, NULL);

  g_assert_cmpstr (asgiref_scope_get_method (scope), ==, "DELETE");
  g_assert_true (g_variant_equal (scope, simple));
  assert_valid (scope);
}

static void
test_builder_end_keeps_the_keys (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("GET", "/");
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) second = NULL;

  asgiref_scope_builder_set_root_path (builder, "/app");
  first = asgiref_scope_builder_end (builder);
  asgiref_scope_builder_set_client (builder, "192.0.2.1", 1);
  second = asgiref_scope_builder_end (builder);

  g_assert_cmpstr (asgiref_scope_get_root_path (first), ==, "/app");
  g_assert_false (asgiref_scope_get_client (first, NULL, NULL));
  g_assert_cmpstr (asgiref_scope_get_root_path (second), ==, "/app");
  g_assert_true (asgiref_scope_get_client (second, NULL, NULL));
}

static void
test_builder_server_on_unix_socket (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("GET", "/");
  g_autoptr(GVariant) scope = NULL;
  g_autoptr(GVariant) server = NULL;
  const char *host = NULL;
  int port = 0;

  asgiref_scope_builder_set_server (builder, "/run/app.sock", -1);
  scope = asgiref_scope_builder_end (builder);
  server = g_variant_lookup_value (scope, "server", NULL);

  g_assert_cmpstr (g_variant_get_type_string (server), ==, "(smi)");
  g_assert_true (asgiref_scope_get_server (scope, &host, &port));
  g_assert_cmpstr (host, ==, "/run/app.sock");
  g_assert_cmpint (port, ==, -1);
  assert_valid (scope);
}

static void
test_builder_null_removes_optional_keys (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("GET", "/");
  g_autoptr(GBytes) raw_path = bytes_from_string ("/");
  g_autoptr(GVariant) scope = NULL;
  g_autoptr(GBytes) read_raw_path = NULL;
  g_autoptr(GVariant) state = NULL;

  asgiref_scope_builder_set_raw_path (builder, raw_path);
  asgiref_scope_builder_set_client (builder, "192.0.2.1", 1);
  asgiref_scope_builder_set_server (builder, "192.0.2.2", 2);
  asgiref_scope_builder_set_state (builder, g_variant_new_parsed ("@a{sv} {}"));
  asgiref_scope_builder_set_raw_path (builder, NULL);
  asgiref_scope_builder_set_client (builder, NULL, 0);
  asgiref_scope_builder_set_server (builder, NULL, 0);
  asgiref_scope_builder_set_state (builder, NULL);
  scope = asgiref_scope_builder_end (builder);

  read_raw_path = asgiref_scope_get_raw_path (scope);
  g_assert_null (read_raw_path);
  g_assert_false (asgiref_scope_get_client (scope, NULL, NULL));
  g_assert_false (asgiref_scope_get_server (scope, NULL, NULL));
  state = asgiref_scope_get_state (scope);
  g_assert_null (state);
  assert_valid (scope);
}

static void
test_builder_add_extension (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_websocket ("/");
  g_autoptr(GVariant) scope = NULL;
  g_autoptr(GVariant) extensions = NULL;
  g_autoptr(GVariant) tls = NULL;

  asgiref_scope_builder_add_extension (builder, "websocket.http.response", NULL);
  asgiref_scope_builder_add_extension (builder, "tls", g_variant_new_parsed ("{'tls_version': <uint32 772>}"));
  scope = asgiref_scope_builder_end (builder);

  g_assert_true (asgiref_scope_has_extension (scope, "websocket.http.response"));
  g_assert_true (asgiref_scope_has_extension (scope, "tls"));
  g_assert_false (asgiref_scope_has_extension (scope, "http.response.push"));
  extensions = g_variant_lookup_value (scope, "extensions", G_VARIANT_TYPE_VARDICT);
  tls = g_variant_lookup_value (extensions, "tls", G_VARIANT_TYPE_VARDICT);
  g_assert_cmpuint (g_variant_n_children (tls), ==, 1);
  assert_valid (scope);
}

static void
test_builder_ref_unref (void)
{
  AsgirefScopeBuilder *builder = asgiref_scope_builder_new_http ("GET", "/");

  g_assert_true (asgiref_scope_builder_ref (builder) == builder);
  asgiref_scope_builder_unref (builder);
  asgiref_scope_builder_unref (builder);
  g_assert_true (G_TYPE_IS_BOXED (ASGIREF_TYPE_SCOPE_BUILDER));
}

static void
test_strings_outlive_serialisation (void)
{
  g_autoptr(GVariant) scope = http_scope ();
  g_autoptr(GVariant) other = http_scope ();
  const char *path = asgiref_scope_get_path (scope);

  /* g_variant_equal() serialises; a string read from a scope in tree form
   * would now point into a freed child (valgrind would say so). */
  g_assert_true (g_variant_equal (scope, other));
  g_assert_cmpstr (path, ==, "/");
}

/* }}} */

/* {{{ Accessors */

static void
test_accessors_default_when_absent (void)
{
  g_autoptr(GVariant) scope = parse ("{'type': <'http'>}");
  g_autoptr(GBytes) query = asgiref_scope_get_query_string (scope);
  g_autoptr(GBytes) raw_path = asgiref_scope_get_raw_path (scope);
  g_autoptr(GVariant) headers = asgiref_scope_get_headers (scope);
  g_autoptr(GVariant) state = asgiref_scope_get_state (scope);
  g_auto(GStrv) subprotocols = asgiref_scope_get_subprotocols (scope);
  const char *host = "unset";
  int port = 42;

  g_assert_cmpstr (asgiref_scope_get_asgi_version (scope), ==, "2.0");
  g_assert_cmpstr (asgiref_scope_get_spec_version (scope), ==, "2.0");
  g_assert_cmpstr (asgiref_scope_get_http_version (scope), ==, "1.1");
  g_assert_null (asgiref_scope_get_method (scope));
  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "http");
  g_assert_null (asgiref_scope_get_path (scope));
  g_assert_null (raw_path);
  assert_bytes (query, "");
  g_assert_cmpstr (asgiref_scope_get_root_path (scope), ==, "");
  g_assert_cmpuint (g_variant_n_children (headers), ==, 0);
  g_assert_false (asgiref_scope_get_client (scope, &host, &port));
  g_assert_null (host);
  g_assert_cmpint (port, ==, 0);
  g_assert_false (asgiref_scope_get_server (scope, &host, &port));
  g_assert_null (host);
  g_assert_null (subprotocols[0]);
  g_assert_null (state);
  g_assert_false (asgiref_scope_has_extension (scope, "tls"));
}

static void
test_scheme_defaults_to_ws_for_websocket (void)
{
  g_autoptr(GVariant) scope = parse ("{'type': <'websocket'>}");

  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "ws");
}

static void
test_spec_version_default_depends_on_type (void)
{
  g_autoptr(GVariant) lifespan = parse ("{'type': <'lifespan'>}");
  g_autoptr(GVariant) unknown = parse ("{'type': <'mqtt'>}");

  g_assert_cmpstr (asgiref_scope_get_spec_version (lifespan), ==, "1.0");
  g_assert_null (asgiref_scope_get_spec_version (unknown));
}

static void
test_get_type_name_without_type (void)
{
  g_autoptr(GVariant) scope = parse ("{'path': <'/'>}");

  g_assert_null (asgiref_scope_get_type_name (scope));
}

static void
test_accessors_ignore_values_of_the_wrong_type (void)
{
  g_autoptr(GVariant) scope = parse ("{'type': <'http'>, 'path': <b'/'>, 'client': <('h', 'p')>, "
                                     "'query_string': <'a=b'>, 'subprotocols': <[1]>}");
  g_autoptr(GBytes) query = asgiref_scope_get_query_string (scope);
  g_auto(GStrv) subprotocols = asgiref_scope_get_subprotocols (scope);

  g_assert_null (asgiref_scope_get_path (scope));
  g_assert_false (asgiref_scope_get_client (scope, NULL, NULL));
  assert_bytes (query, "");
  g_assert_null (subprotocols[0]);
}

static void
test_accessors_read_serialised_scopes (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("PUT", "/x");
  g_autoptr(GVariant) built = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GVariant) scope = NULL;
  const char *host = NULL;
  int port = 0;

  asgiref_scope_builder_set_server (builder, "::1", 80);
  built = asgiref_scope_builder_end (builder);
  data = g_variant_get_data_as_bytes (built);
  scope = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, data, FALSE));

  g_assert_cmpstr (asgiref_scope_get_method (scope), ==, "PUT");
  g_assert_cmpstr (asgiref_scope_get_asgi_version (scope), ==, "3.0");
  g_assert_true (asgiref_scope_get_server (scope, &host, &port));
  g_assert_cmpstr (host, ==, "::1");
  g_assert_cmpint (port, ==, 80);
  assert_valid (scope);
}

/* }}} */

/* {{{ Validation: one rule each */

static void
test_validate_accepts_extra_keys (void)
{
  g_autoptr(GVariant) base = http_scope ();
  g_autoptr(GVariant) scope = with_key (base, "x-server-thing", g_variant_new_int32 (1));

  assert_valid (scope);
}

static void
test_validate_rejects_not_a_dictionary (void)
{
  assert_invalid (parse ("'http'"), "a{sv}", "“s”", NULL);
  assert_invalid (parse ("@a{ss} {'type': 'http'}"), "a{sv}", "a{ss}", NULL);
}

static void
test_validate_rejects_missing_type (void)
{
  assert_invalid_with (http_scope (), "type", NULL, "“type”");
}

static void
test_validate_rejects_type_not_a_string (void)
{
  assert_invalid (parse ("{'type': <42>}"), "“type”", "“s”", "“i”", NULL);
}

static void
test_validate_rejects_unknown_type (void)
{
  assert_invalid (parse ("{'type': <'mqtt'>}"), "“mqtt”", NULL);
}

static void
test_validate_rejects_missing_asgi (void)
{
  assert_invalid_with (http_scope (), "asgi", NULL, "“asgi”");
  assert_invalid_with (asgiref_scope_new_lifespan (NULL), "asgi", NULL, "“asgi”");
}

static void
test_validate_rejects_missing_required_http_keys (void)
{
  const char *required[] = { "http_version", "method", "path", "query_string", "headers" };

  for (gsize i = 0; i < G_N_ELEMENTS (required); i++)
    {
      g_autofree char *fragment = g_strdup_printf ("“%s”", required[i]);

      assert_invalid_with (http_scope (), required[i], NULL, fragment);
    }
}

static void
test_validate_rejects_missing_required_websocket_keys (void)
{
  assert_invalid_with (websocket_scope (), "path", NULL, "“path”");
  assert_invalid_with (websocket_scope (), "headers", NULL, "“headers”");
}

static void
test_validate_accepts_websocket_without_optional_keys (void)
{
  g_autoptr(GVariant) scope = parse ("{'type': <'websocket'>, 'asgi': <{'version': <'3.0'>}>, "
                                     "'path': <'/'>, 'headers': <@a(ayay) []>}");

  assert_valid (scope);
}

static void
test_validate_rejects_values_of_the_wrong_type (void)
{
  static const struct {
    const char *key;
    const char *value;
    gboolean    websocket;
  } cases[] = {
    { "asgi", "<'3.0'>", FALSE },
    { "http_version", "<1.1>", FALSE },
    { "method", "<b'GET'>", FALSE },
    { "scheme", "<b'http'>", FALSE },
    { "path", "<b'/'>", FALSE },
    { "raw_path", "<'/'>", FALSE },
    { "query_string", "<'a=b'>", FALSE },
    { "root_path", "<b''>", FALSE },
    { "headers", "<[('a', 'b')]>", FALSE },
    { "client", "<('127.0.0.1', int64 1)>", FALSE },
    { "server", "<('127.0.0.1', 80)>", FALSE },
    { "state", "<['x']>", FALSE },
    { "extensions", "<['x']>", FALSE },
    { "subprotocols", "<'chat'>", TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *fragment = g_strdup_printf ("Key “%s”", cases[i].key);
      g_autoptr(GVariant) boxed = parse (cases[i].value);
      GVariant *base = cases[i].websocket ? websocket_scope () : http_scope ();

      assert_invalid_with (base, cases[i].key, g_variant_get_variant (boxed), fragment);
    }
}

static void
test_validate_rejects_asgi_keys_of_the_wrong_type (void)
{
  assert_invalid_with (http_scope (), "asgi", parse ("{'version': <3>}"), "“version”");
  assert_invalid_with (http_scope (), "asgi", parse ("{'version': <'3.0'>, 'spec_version': <2.3>}"),
                       "“spec_version”");
}

static void
test_validate_rejects_asgi_version_not_3 (void)
{
  assert_invalid_with (http_scope (), "asgi", parse ("{'version': <'2.0'>}"), "“2.0”");
  assert_invalid_with (http_scope (), "asgi", parse ("{'version': <'30'>}"), "“30”");
  assert_invalid_with (http_scope (), "asgi", parse ("{'version': <'3.x'>}"), "“3.x”");
  /* No version means 2.0, as ASGI says. */
  assert_invalid_with (http_scope (), "asgi", parse ("@a{sv} {}"), "“2.0”");
}

static void
test_validate_accepts_asgi_3_versions (void)
{
  const char *versions[] = { "3", "3.0", "3.1" };

  for (gsize i = 0; i < G_N_ELEMENTS (versions); i++)
    {
      g_autofree char *text = g_strdup_printf ("{'version': <'%s'>}", versions[i]);
      g_autoptr(GVariant) base = http_scope ();
      g_autoptr(GVariant) scope = with_key (base, "asgi", parse (text));

      assert_valid (scope);
    }
}

static void
test_validate_rejects_unknown_http_version (void)
{
  assert_invalid_with (http_scope (), "http_version", g_variant_new_string ("3"), "“3”");
  /* There is no WebSocket over HTTP/1.0. */
  assert_invalid_with (websocket_scope (), "http_version", g_variant_new_string ("1.0"), "“1.0”");
}

static void
test_validate_rejects_empty_method (void)
{
  assert_invalid_with (http_scope (), "method", g_variant_new_string (""), "empty");
}

static void
test_validate_rejects_method_not_upper_case (void)
{
  assert_invalid_with (http_scope (), "method", g_variant_new_string ("Get"), "upper-case");
}

static void
test_validate_rejects_method_not_a_token (void)
{
  assert_invalid_with (http_scope (), "method", g_variant_new_string ("GET /"), "“GET /”");
}

static void
test_validate_rejects_empty_scheme (void)
{
  assert_invalid_with (http_scope (), "scheme", g_variant_new_string (""), "scheme");
}

static void
test_validate_rejects_empty_path (void)
{
  assert_invalid_with (http_scope (), "path", g_variant_new_string (""), "empty");
}

static void
test_validate_rejects_relative_path (void)
{
  assert_invalid_with (http_scope (), "path", g_variant_new_string ("items"), "“items”");
  assert_invalid_with (http_scope (), "path", g_variant_new_string ("*"), "“*”");
}

static void
test_validate_accepts_options_asterisk (void)
{
  g_autoptr(GVariant) scope = asgiref_scope_new_http ("OPTIONS", "*", NULL, NULL);

  assert_valid (scope);
}

static void
test_validate_rejects_relative_root_path (void)
{
  assert_invalid_with (http_scope (), "root_path", g_variant_new_string ("api"), "“api”");
}

static void
test_validate_rejects_bad_headers (void)
{
  assert_invalid_with (http_scope (), "headers", one_header ("Host", "x"), "lower-case");
  assert_invalid_with (websocket_scope (), "headers", one_header ("host", "x\r\ny: z"), "value");
  assert_invalid_with (http_scope (), "headers", one_header (":authority", "x"), "“http”");
}

static void
test_validate_rejects_empty_host (void)
{
  assert_invalid_with (http_scope (), "client", g_variant_new ("(si)", "", 1), "“client”");
  assert_invalid_with (http_scope (), "server", g_variant_new ("(smi)", "", FALSE, 0), "“server”");
}

static void
test_validate_rejects_port_out_of_range (void)
{
  assert_invalid_with (http_scope (), "client", g_variant_new ("(si)", "192.0.2.1", 65536), "65536");
  assert_invalid_with (websocket_scope (), "server", g_variant_new ("(smi)", "::", TRUE, -1), "-1");
}

static void
test_validate_rejects_bad_subprotocol (void)
{
  const char *bad[] = { "chat", "", NULL };
  const char *spaced[] = { "a b", NULL };

  assert_invalid_with (websocket_scope (), "subprotocols", g_variant_new_strv (bad, -1), "Subprotocol 1");
  assert_invalid_with (websocket_scope (), "subprotocols", g_variant_new_strv (spaced, -1), "Subprotocol 0");
}

static void
test_validate_rejects_extension_not_a_dictionary (void)
{
  assert_invalid_with (websocket_scope (), "extensions", parse ("{'tls': <'1.3'>}"), "“tls”");
}

/* }}} */

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Scope/new-http-fills-in-defaults", test_new_http_fills_in_defaults);
  g_test_add_func ("/Asgiref/Scope/new-http-without-query-or-headers", test_new_http_without_query_or_headers);
  g_test_add_func ("/Asgiref/Scope/new-http-consumes-floating-headers", test_new_http_consumes_floating_headers);
  g_test_add_func ("/Asgiref/Scope/new-websocket", test_new_websocket);
  g_test_add_func ("/Asgiref/Scope/new-websocket-without-subprotocols", test_new_websocket_without_subprotocols);
  g_test_add_func ("/Asgiref/Scope/new-lifespan", test_new_lifespan);
  g_test_add_func ("/Asgiref/Scope/new-lifespan-with-state", test_new_lifespan_with_state);
  g_test_add_func ("/Asgiref/Scope/builder-new-http-matches-new-http", test_builder_new_http);
  g_test_add_func ("/Asgiref/Scope/builder-sets-every-key", test_builder_sets_every_key);
  g_test_add_func ("/Asgiref/Scope/builder-end-keeps-the-keys", test_builder_end_keeps_the_keys);
  g_test_add_func ("/Asgiref/Scope/builder-server-on-unix-socket-has-no-port", test_builder_server_on_unix_socket);
  g_test_add_func ("/Asgiref/Scope/builder-null-removes-optional-keys", test_builder_null_removes_optional_keys);
  g_test_add_func ("/Asgiref/Scope/builder-add-extension", test_builder_add_extension);
  g_test_add_func ("/Asgiref/Scope/builder-ref-unref", test_builder_ref_unref);
  g_test_add_func ("/Asgiref/Scope/strings-outlive-serialisation", test_strings_outlive_serialisation);

  g_test_add_func ("/Asgiref/Scope/accessors-default-when-absent", test_accessors_default_when_absent);
  g_test_add_func ("/Asgiref/Scope/scheme-defaults-to-ws-for-websocket", test_scheme_defaults_to_ws_for_websocket);
  g_test_add_func ("/Asgiref/Scope/spec-version-default-depends-on-type", test_spec_version_default_depends_on_type);
  g_test_add_func ("/Asgiref/Scope/get-type-name-without-type-is-null", test_get_type_name_without_type);
  g_test_add_func ("/Asgiref/Scope/accessors-ignore-values-of-the-wrong-type",
                   test_accessors_ignore_values_of_the_wrong_type);
  g_test_add_func ("/Asgiref/Scope/accessors-read-serialised-scopes", test_accessors_read_serialised_scopes);

  g_test_add_func ("/Asgiref/Scope/validate-accepts-extra-keys", test_validate_accepts_extra_keys);
  g_test_add_func ("/Asgiref/Scope/validate-accepts-websocket-without-optional-keys",
                   test_validate_accepts_websocket_without_optional_keys);
  g_test_add_func ("/Asgiref/Scope/validate-accepts-asgi-3-versions", test_validate_accepts_asgi_3_versions);
  g_test_add_func ("/Asgiref/Scope/validate-accepts-options-asterisk", test_validate_accepts_options_asterisk);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-not-a-dictionary", test_validate_rejects_not_a_dictionary);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-missing-type", test_validate_rejects_missing_type);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-type-not-a-string", test_validate_rejects_type_not_a_string);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-unknown-type", test_validate_rejects_unknown_type);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-missing-asgi", test_validate_rejects_missing_asgi);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-missing-required-http-keys",
                   test_validate_rejects_missing_required_http_keys);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-missing-required-websocket-keys",
                   test_validate_rejects_missing_required_websocket_keys);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-values-of-the-wrong-type",
                   test_validate_rejects_values_of_the_wrong_type);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-asgi-keys-of-the-wrong-type",
                   test_validate_rejects_asgi_keys_of_the_wrong_type);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-asgi-version-not-3", test_validate_rejects_asgi_version_not_3);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-unknown-http-version", test_validate_rejects_unknown_http_version);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-empty-method", test_validate_rejects_empty_method);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-method-not-upper-case", test_validate_rejects_method_not_upper_case);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-method-not-a-token", test_validate_rejects_method_not_a_token);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-empty-scheme", test_validate_rejects_empty_scheme);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-empty-path", test_validate_rejects_empty_path);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-relative-path", test_validate_rejects_relative_path);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-relative-root-path", test_validate_rejects_relative_root_path);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-bad-headers", test_validate_rejects_bad_headers);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-empty-host", test_validate_rejects_empty_host);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-port-out-of-range", test_validate_rejects_port_out_of_range);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-bad-subprotocol", test_validate_rejects_bad_subprotocol);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-extension-not-a-dictionary",
                   test_validate_rejects_extension_not_a_dictionary);

  return g_test_run ();
}
