/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ASGI scopes (AsgirefScope): the constructors and the builder and what
 * they fill in, every accessor with its default, the a{sv} view and the
 * way back from it, one test per rule of asgiref_scope_new_from_variant()
 * and asgiref_scope_validate().
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

/* One header, of type a(ayay), without the NUL that the text format would
 * add. Floating. */
static GVariant *
one_header (const char *name,
            const char *value)
{
  GVariant *pair = g_variant_new ("(@ay@ay)",
                                  g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, name, strlen (name), 1),
                                  g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, value, strlen (value), 1));

  return g_variant_new_array (NULL, &pair, 1);
}

static AsgirefHeaders *
headers_of (const char *name,
            const char *value)
{
  const char *names[] = { name, NULL };
  const char *values[] = { value, NULL };
  g_autoptr(GError) error = NULL;
  AsgirefHeaders *headers = asgiref_headers_new (names, values, &error);

  g_assert_no_error (error);
  return headers;
}

static void
assert_valid (AsgirefScope *scope)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (asgiref_scope_validate (scope, &error));
  g_assert_no_error (error);
}

static void
assert_error_contains (const GError *error,
                       const char   *first_fragment,
                       va_list       args)
{
  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
  for (const char *fragment = first_fragment; fragment != NULL; fragment = va_arg (args, const char *))
    if (strstr (error->message, fragment) == NULL)
      g_error ("“%s” does not contain “%s”", error->message, fragment);
}

/* Asserts that @scope (consumed) is invalid, with an error text that
 * contains every one of the NULL-terminated fragments. */
static void
assert_invalid (AsgirefScope *scope,
                const char   *first_fragment,
                ...)
{
  g_autoptr(AsgirefScope) owned = scope;
  g_autoptr(GError) error = NULL;
  va_list args;

  g_assert_false (asgiref_scope_validate (owned, &error));
  va_start (args, first_fragment);
  assert_error_contains (error, first_fragment, args);
  va_end (args);
}

/* Reads @variant (consumed), which must be a valid scope. */
static AsgirefScope *
from_variant (GVariant *variant)
{
  g_autoptr(GVariant) owned = g_variant_take_ref (variant);
  g_autoptr(GError) error = NULL;
  AsgirefScope *scope = asgiref_scope_new_from_variant (owned, &error);

  g_assert_no_error (error);
  g_assert_nonnull (scope);
  return scope;
}

/* Asserts that asgiref_scope_new_from_variant() rejects @variant
 * (consumed) with an error text that contains every one of the
 * NULL-terminated fragments. */
static void
assert_rejected (GVariant   *variant,
                 const char *first_fragment,
                 ...)
{
  g_autoptr(GVariant) owned = g_variant_take_ref (variant);
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefScope) scope = NULL;
  va_list args;

  scope = asgiref_scope_new_from_variant (owned, &error);
  g_assert_null (scope);
  va_start (args, first_fragment);
  assert_error_contains (error, first_fragment, args);
  va_end (args);
}

/* A copy of @variant with @key set to @value (consumed, floating or not),
 * or removed when @value is NULL. */
static GVariant *
with_key (GVariant   *variant,
          const char *key,
          GVariant   *value)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, variant);
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

static AsgirefScope *
http_scope (void)
{
  return asgiref_scope_new_http ("GET", "/", NULL, NULL);
}

static AsgirefScope *
websocket_scope (void)
{
  return asgiref_scope_new_websocket ("/ws", NULL, NULL, NULL);
}

/* The a{sv} form of a valid scope, to break. */
static GVariant *
http_variant (void)
{
  g_autoptr(AsgirefScope) scope = http_scope ();

  return asgiref_scope_to_variant (scope);
}

static GVariant *
websocket_variant (void)
{
  g_autoptr(AsgirefScope) scope = websocket_scope ();

  return asgiref_scope_to_variant (scope);
}

static GVariant *
lifespan_variant (void)
{
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_lifespan (NULL);

  return asgiref_scope_to_variant (scope);
}

/* Asserts that @base with @key set to @value (consumed) is rejected;
 * @base is consumed. */
static void
assert_rejected_with (GVariant   *base,
                      const char *key,
                      GVariant   *value,
                      const char *fragment)
{
  GVariant *variant = with_key (base, key, value);

  g_variant_unref (base);
  assert_rejected (variant, fragment, NULL);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The keys of @variant, an a{sv}, sorted and joined by spaces. */
static char *
keys_of (GVariant *variant)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  GVariantIter iter;
  char *key;

  g_variant_iter_init (&iter, variant);
  while (g_variant_iter_next (&iter, "{sv}", &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  g_ptr_array_add (keys, NULL);
  return g_strjoinv (" ", (char **) keys->pdata);
}

static void
assert_value_type (GVariant   *variant,
                   const char *key,
                   const char *type)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (variant, key, NULL);

  g_assert_nonnull (value);
  g_assert_cmpstr (g_variant_get_type_string (value), ==, type);
}

/* }}} */

/* {{{ Constructors */

static void
test_new_http_fills_in_defaults (void)
{
  g_autoptr(AsgirefHeaders) headers = headers_of ("Host", "example.com");
  g_autoptr(GBytes) query = bytes_from_string ("a=1&b=%20");
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_http ("POST", "/items", query, headers);
  g_autoptr(GBytes) read_query = asgiref_scope_get_query_string (scope);
  g_autoptr(GBytes) raw_path = asgiref_scope_get_raw_path (scope);

  g_assert_cmpint (asgiref_scope_get_kind (scope), ==, ASGIREF_SCOPE_HTTP);
  g_assert_cmpstr (asgiref_scope_get_type_name (scope), ==, "http");
  g_assert_cmpstr (asgiref_scope_get_asgi_version (scope), ==, "3.0");
  g_assert_cmpstr (asgiref_scope_get_spec_version (scope), ==, "2.3");
  g_assert_cmpstr (asgiref_scope_get_http_version (scope), ==, "1.1");
  g_assert_cmpstr (asgiref_scope_get_method (scope), ==, "POST");
  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "http");
  g_assert_cmpstr (asgiref_scope_get_path (scope), ==, "/items");
  assert_bytes (read_query, "a=1&b=%20");
  g_assert_cmpstr (asgiref_scope_get_root_path (scope), ==, "");
  g_assert_true (asgiref_scope_get_headers (scope) == headers);
  g_assert_cmpstr (asgiref_headers_lookup (asgiref_scope_get_headers (scope), "host"), ==, "example.com");
  g_assert_false (asgiref_scope_get_client (scope, NULL, NULL));
  g_assert_false (asgiref_scope_get_server (scope, NULL, NULL));
  g_assert_null (raw_path);
  g_assert_null (asgiref_scope_get_extensions (scope));
  assert_valid (scope);
}

static void
test_new_http_without_query_or_headers (void)
{
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_http ("GET", "/", NULL, NULL);
  g_autoptr(GBytes) query = asgiref_scope_get_query_string (scope);
  g_autoptr(GVariant) view = asgiref_scope_to_variant (scope);
  g_autoptr(GVariant) stored = g_variant_lookup_value (view, "query_string", G_VARIANT_TYPE_BYTESTRING);

  /* Written out in the view, not left to the reader's default:
   * query_string is required in an http scope. */
  g_assert_nonnull (stored);
  assert_bytes (query, "");
  g_assert_nonnull (asgiref_scope_get_headers (scope));
  g_assert_cmpuint (asgiref_headers_get_length (asgiref_scope_get_headers (scope)), ==, 0);
  assert_valid (scope);
}

static void
test_new_http_keeps_a_reference_to_headers (void)
{
  AsgirefHeaders *headers = headers_of ("accept", "*/*");
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_http ("GET", "/", NULL, headers);

  /* No leak and no use after free under valgrind: the scope holds its own
   * reference. */
  asgiref_headers_unref (headers);
  g_assert_cmpstr (asgiref_headers_lookup (asgiref_scope_get_headers (scope), "accept"), ==, "*/*");
  assert_valid (scope);
}

static void
test_new_websocket (void)
{
  const char *offered[] = { "chat", "superchat", NULL };
  g_autoptr(GBytes) query = bytes_from_string ("room=1");
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_websocket ("/ws", query, NULL, offered);
  g_auto(GStrv) subprotocols = asgiref_scope_get_subprotocols (scope);
  g_autoptr(GBytes) read_query = asgiref_scope_get_query_string (scope);

  g_assert_cmpint (asgiref_scope_get_kind (scope), ==, ASGIREF_SCOPE_WEBSOCKET);
  g_assert_cmpstr (asgiref_scope_get_type_name (scope), ==, "websocket");
  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "ws");
  g_assert_cmpstr (asgiref_scope_get_path (scope), ==, "/ws");
  g_assert_cmpstr (asgiref_scope_get_http_version (scope), ==, "1.1");
  g_assert_cmpstr (asgiref_scope_get_spec_version (scope), ==, "2.3");
  g_assert_null (asgiref_scope_get_method (scope));
  assert_bytes (read_query, "room=1");
  g_assert_cmpuint (asgiref_headers_get_length (asgiref_scope_get_headers (scope)), ==, 0);
  g_assert_true (g_strv_equal ((const char * const *) subprotocols, offered));
  assert_valid (scope);
}

static void
test_new_websocket_without_subprotocols (void)
{
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_websocket ("/", NULL, NULL, NULL);
  g_auto(GStrv) subprotocols = asgiref_scope_get_subprotocols (scope);

  g_assert_nonnull (subprotocols);
  g_assert_null (subprotocols[0]);
  assert_valid (scope);
}

static void
test_new_lifespan (void)
{
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_lifespan (NULL);
  g_autoptr(GVariant) state = asgiref_scope_get_state (scope);

  g_assert_cmpint (asgiref_scope_get_kind (scope), ==, ASGIREF_SCOPE_LIFESPAN);
  g_assert_cmpstr (asgiref_scope_get_type_name (scope), ==, "lifespan");
  g_assert_cmpstr (asgiref_scope_get_asgi_version (scope), ==, "3.0");
  g_assert_cmpstr (asgiref_scope_get_spec_version (scope), ==, "2.0");
  g_assert_null (state);
  assert_valid (scope);
}

static void
test_new_lifespan_with_state (void)
{
  /* The floating state goes to the scope: no leak under valgrind. */
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_lifespan (g_variant_new_parsed ("{'db': <'postgres://'>}"));
  g_autoptr(GVariant) state = asgiref_scope_get_state (scope);
  const char *db = NULL;

  g_assert_nonnull (state);
  g_assert_true (g_variant_lookup (state, "db", "&s", &db));
  g_assert_cmpstr (db, ==, "postgres://");
  assert_valid (scope);
}

static void
test_scope_ref_unref (void)
{
  AsgirefScope *scope = http_scope ();

  g_assert_true (asgiref_scope_ref (scope) == scope);
  asgiref_scope_unref (scope);
  g_assert_cmpstr (asgiref_scope_get_path (scope), ==, "/");
  asgiref_scope_unref (scope);
  g_assert_true (G_TYPE_IS_BOXED (ASGIREF_TYPE_SCOPE));
}

/* }}} */

/* {{{ Builder */

static void
test_builder_sets_every_key (void)
{
  const char *offered[] = { "v1.chat", NULL };
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_websocket ("/api/ws");
  g_autoptr(GBytes) raw_path = bytes_from_string ("/api/w%73");
  g_autoptr(GBytes) query = bytes_from_string ("x=y");
  g_autoptr(AsgirefHeaders) headers = headers_of ("origin", "https://example.com");
  g_autoptr(AsgirefScope) scope = NULL;
  g_autoptr(GBytes) read_raw_path = NULL;
  g_autoptr(GBytes) read_query = NULL;
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

  g_assert_cmpint (asgiref_scope_get_kind (scope), ==, ASGIREF_SCOPE_WEBSOCKET);
  g_assert_cmpstr (asgiref_scope_get_spec_version (scope), ==, "2.1");
  g_assert_cmpstr (asgiref_scope_get_http_version (scope), ==, "2");
  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "wss");
  g_assert_cmpstr (asgiref_scope_get_path (scope), ==, "/api/ws");
  read_raw_path = asgiref_scope_get_raw_path (scope);
  assert_bytes (read_raw_path, "/api/w%73");
  read_query = asgiref_scope_get_query_string (scope);
  assert_bytes (read_query, "x=y");
  g_assert_cmpstr (asgiref_scope_get_root_path (scope), ==, "/api");
  g_assert_true (asgiref_scope_get_headers (scope) == headers);
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
test_builder_takes_unusual_versions_and_schemes (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("GET", "/");
  g_autoptr(AsgirefScope) scope = NULL;
  g_autofree char *spec_version = g_strdup ("2.9");
  g_autofree char *scheme = g_strdup ("x-test");

  /* Not among the strings the library knows: kept all the same, and
   * valid after the caller's copies are gone. */
  asgiref_scope_builder_set_spec_version (builder, spec_version);
  asgiref_scope_builder_set_scheme (builder, scheme);
  g_clear_pointer (&spec_version, g_free);
  g_clear_pointer (&scheme, g_free);
  scope = asgiref_scope_builder_end (builder);

  g_assert_cmpstr (asgiref_scope_get_spec_version (scope), ==, "2.9");
  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "x-test");
  assert_valid (scope);
}

static void
test_builder_new_http (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("DELETE", "/items/1");
  g_autoptr(AsgirefScope) scope = asgiref_scope_builder_end (builder);
  g_autoptr(AsgirefScope) simple = asgiref_scope_new_http ("DELETE", "/items/1", NULL, NULL);
  g_autoptr(GVariant) scope_view = asgiref_scope_to_variant (scope);
  g_autoptr(GVariant) simple_view = asgiref_scope_to_variant (simple);

  g_assert_cmpstr (asgiref_scope_get_method (scope), ==, "DELETE");
  g_assert_true (g_variant_equal (scope_view, simple_view));
  assert_valid (scope);
}

static void
test_builder_end_spends_the_builder (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("GET", "/");
  g_autoptr(AsgirefScope) first = NULL;
  AsgirefScope *second;

  asgiref_scope_builder_set_root_path (builder, "/app");
  first = asgiref_scope_builder_end (builder);
  g_assert_cmpstr (asgiref_scope_get_root_path (first), ==, "/app");

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_CRITICAL, "*builder->scope != NULL*");
  asgiref_scope_builder_set_client (builder, "192.0.2.1", 1);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_CRITICAL, "*builder->scope != NULL*");
  second = asgiref_scope_builder_end (builder);
  g_test_assert_expected_messages ();
  g_assert_null (second);

  /* The scope handed out did not change. */
  g_assert_false (asgiref_scope_get_client (first, NULL, NULL));
}

static void
test_builder_unref_without_end (void)
{
  AsgirefScopeBuilder *builder = asgiref_scope_builder_new_websocket ("/");
  g_autoptr(GBytes) raw_path = bytes_from_string ("/");

  /* Everything the builder holds goes with it (valgrind and ASan check). */
  asgiref_scope_builder_set_raw_path (builder, raw_path);
  asgiref_scope_builder_set_client (builder, "192.0.2.1", 1);
  asgiref_scope_builder_set_state (builder, g_variant_new_parsed ("@a{sv} {}"));
  asgiref_scope_builder_add_extension (builder, "tls", NULL);
  asgiref_scope_builder_unref (builder);
}

static void
test_builder_server_on_unix_socket (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("GET", "/");
  g_autoptr(AsgirefScope) scope = NULL;
  g_autoptr(GVariant) view = NULL;
  g_autoptr(GVariant) server = NULL;
  g_autoptr(GVariant) maybe_port = NULL;
  const char *host = NULL;
  int port = 0;

  asgiref_scope_builder_set_server (builder, "/run/app.sock", -1);
  scope = asgiref_scope_builder_end (builder);
  view = asgiref_scope_to_variant (scope);
  server = g_variant_lookup_value (view, "server", NULL);

  g_assert_cmpstr (g_variant_get_type_string (server), ==, "(smi)");
  maybe_port = g_variant_get_child_value (server, 1);
  g_assert_cmpuint (g_variant_n_children (maybe_port), ==, 0);
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
  g_autoptr(AsgirefHeaders) headers = headers_of ("a", "b");
  g_autoptr(GBytes) query = bytes_from_string ("q");
  g_autoptr(AsgirefScope) scope = NULL;
  g_autoptr(GBytes) read_raw_path = NULL;
  g_autoptr(GBytes) read_query = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GVariant) view = NULL;
  g_autofree char *keys = NULL;

  asgiref_scope_builder_set_raw_path (builder, raw_path);
  asgiref_scope_builder_set_query_string (builder, query);
  asgiref_scope_builder_set_headers (builder, headers);
  asgiref_scope_builder_set_client (builder, "192.0.2.1", 1);
  asgiref_scope_builder_set_server (builder, "192.0.2.2", 2);
  asgiref_scope_builder_set_state (builder, g_variant_new_parsed ("@a{sv} {}"));
  asgiref_scope_builder_set_raw_path (builder, NULL);
  asgiref_scope_builder_set_query_string (builder, NULL);
  asgiref_scope_builder_set_headers (builder, NULL);
  asgiref_scope_builder_set_client (builder, NULL, 0);
  asgiref_scope_builder_set_server (builder, NULL, 0);
  asgiref_scope_builder_set_state (builder, NULL);
  scope = asgiref_scope_builder_end (builder);

  read_raw_path = asgiref_scope_get_raw_path (scope);
  g_assert_null (read_raw_path);
  read_query = asgiref_scope_get_query_string (scope);
  assert_bytes (read_query, "");
  g_assert_cmpuint (asgiref_headers_get_length (asgiref_scope_get_headers (scope)), ==, 0);
  g_assert_false (asgiref_scope_get_client (scope, NULL, NULL));
  g_assert_false (asgiref_scope_get_server (scope, NULL, NULL));
  state = asgiref_scope_get_state (scope);
  g_assert_null (state);
  view = asgiref_scope_to_variant (scope);
  keys = keys_of (view);
  g_assert_cmpstr (keys, ==, "asgi headers http_version method path query_string root_path scheme type");
  assert_valid (scope);
}

static void
test_builder_add_extension (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_websocket ("/");
  g_autoptr(AsgirefScope) scope = NULL;
  g_autoptr(GVariant) tls = NULL;
  GVariant *extensions;
  guint32 version = 0;

  asgiref_scope_builder_add_extension (builder, "websocket.http.response", NULL);
  asgiref_scope_builder_add_extension (builder, "tls", g_variant_new_parsed ("{'tls_version': <uint32 771>}"));
  /* The same name again replaces the first. */
  asgiref_scope_builder_add_extension (builder, "tls", g_variant_new_parsed ("{'tls_version': <uint32 772>}"));
  scope = asgiref_scope_builder_end (builder);

  g_assert_true (asgiref_scope_has_extension (scope, "websocket.http.response"));
  g_assert_true (asgiref_scope_has_extension (scope, "tls"));
  g_assert_false (asgiref_scope_has_extension (scope, "http.response.push"));
  extensions = asgiref_scope_get_extensions (scope);
  g_assert_nonnull (extensions);
  g_assert_cmpuint (g_variant_n_children (extensions), ==, 2);
  tls = g_variant_lookup_value (extensions, "tls", G_VARIANT_TYPE_VARDICT);
  g_assert_cmpuint (g_variant_n_children (tls), ==, 1);
  g_assert_true (g_variant_lookup (tls, "tls_version", "u", &version));
  g_assert_cmpuint (version, ==, 772);
  assert_valid (scope);
}

static void
test_builder_subprotocols_only_for_websocket (void)
{
  const char *offered[] = { "chat", NULL };
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("GET", "/");

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_CRITICAL, "*ASGIREF_SCOPE_WEBSOCKET*");
  asgiref_scope_builder_set_subprotocols (builder, offered);
  g_test_assert_expected_messages ();
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

/* }}} */

/* {{{ Accessors */

static void
test_accessors_of_a_lifespan_scope (void)
{
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_lifespan (NULL);
  g_autoptr(GBytes) query = asgiref_scope_get_query_string (scope);
  g_autoptr(GBytes) raw_path = asgiref_scope_get_raw_path (scope);
  g_autoptr(GVariant) state = asgiref_scope_get_state (scope);
  g_auto(GStrv) subprotocols = asgiref_scope_get_subprotocols (scope);
  AsgirefHeaders *headers = asgiref_scope_get_headers (scope);
  const char *host = "unset";
  int port = 42;

  g_assert_cmpstr (asgiref_scope_get_http_version (scope), ==, "1.1");
  g_assert_null (asgiref_scope_get_method (scope));
  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "http");
  g_assert_null (asgiref_scope_get_path (scope));
  g_assert_null (raw_path);
  assert_bytes (query, "");
  g_assert_cmpstr (asgiref_scope_get_root_path (scope), ==, "");
  g_assert_nonnull (headers);
  g_assert_cmpuint (asgiref_headers_get_length (headers), ==, 0);
  g_assert_false (asgiref_scope_get_client (scope, &host, &port));
  g_assert_null (host);
  g_assert_cmpint (port, ==, 0);
  host = "unset";
  port = 42;
  g_assert_false (asgiref_scope_get_server (scope, &host, &port));
  g_assert_null (host);
  g_assert_cmpint (port, ==, 0);
  g_assert_null (subprotocols[0]);
  g_assert_null (state);
  g_assert_null (asgiref_scope_get_extensions (scope));
  g_assert_false (asgiref_scope_has_extension (scope, "tls"));
}

static void
test_from_variant_fills_in_asgi_defaults (void)
{
  g_autoptr(AsgirefScope) scope = from_variant (parse ("{'type': <'websocket'>, 'asgi': <{'version': <'3'>}>, "
                                                       "'path': <'/'>, 'headers': <@a(ayay) []>}"));
  g_autoptr(GBytes) query = asgiref_scope_get_query_string (scope);
  g_autoptr(GBytes) raw_path = asgiref_scope_get_raw_path (scope);
  g_auto(GStrv) subprotocols = asgiref_scope_get_subprotocols (scope);

  g_assert_cmpint (asgiref_scope_get_kind (scope), ==, ASGIREF_SCOPE_WEBSOCKET);
  g_assert_cmpstr (asgiref_scope_get_asgi_version (scope), ==, "3.0");
  g_assert_cmpstr (asgiref_scope_get_spec_version (scope), ==, "2.0");
  g_assert_cmpstr (asgiref_scope_get_http_version (scope), ==, "1.1");
  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "ws");
  g_assert_null (raw_path);
  assert_bytes (query, "");
  g_assert_cmpstr (asgiref_scope_get_root_path (scope), ==, "");
  g_assert_false (asgiref_scope_get_client (scope, NULL, NULL));
  g_assert_false (asgiref_scope_get_server (scope, NULL, NULL));
  g_assert_nonnull (subprotocols);
  g_assert_null (subprotocols[0]);
  assert_valid (scope);
}

static void
test_from_variant_spec_version_default_depends_on_type (void)
{
  g_autoptr(AsgirefScope) lifespan = from_variant (parse ("{'type': <'lifespan'>, 'asgi': <{'version': <'3.0'>}>}"));
  g_autoptr(AsgirefScope) http = from_variant (parse ("{'type': <'http'>, 'asgi': <{'version': <'3.0'>}>, "
                                                      "'http_version': <'1.1'>, 'method': <'GET'>, "
                                                      "'path': <'/'>, 'query_string': <b''>, "
                                                      "'headers': <@a(ayay) []>}"));

  g_assert_cmpstr (asgiref_scope_get_spec_version (lifespan), ==, "1.0");
  g_assert_cmpstr (asgiref_scope_get_spec_version (http), ==, "2.0");
  g_assert_cmpstr (asgiref_scope_get_scheme (http), ==, "http");
}

static void
test_from_variant_reads_every_key (void)
{
  g_autoptr(AsgirefScope) scope = NULL;
  g_autoptr(GBytes) raw_path = NULL;
  g_autoptr(GBytes) query = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GVariant) base = NULL;
  AsgirefHeaders *headers;
  const char *host = NULL;
  int port = 0;

  /* The text format's b'' strings end with a NUL, which a header may not
   * have: the headers are built. */
  base = parse ("{'type': <'http'>, 'asgi': <{'version': <'3.0'>, 'spec_version': <'2.2'>}>, "
                "'http_version': <'2'>, 'method': <'PATCH'>, 'scheme': <'https'>, "
                "'path': <'/a b'>, 'raw_path': <b'/a%20b'>, 'query_string': <b'q=1'>, "
                "'root_path': <'/r'>, "
                "'client': <('192.0.2.1', 1234)>, 'server': <('192.0.2.2', just 443)>, "
                "'state': <{'k': <1>}>, 'extensions': <{'tls': <@a{sv} {}>}>}");
  scope = from_variant (with_key (base, "headers", one_header ("x-y", "z")));

  g_assert_cmpstr (asgiref_scope_get_spec_version (scope), ==, "2.2");
  g_assert_cmpstr (asgiref_scope_get_http_version (scope), ==, "2");
  g_assert_cmpstr (asgiref_scope_get_method (scope), ==, "PATCH");
  g_assert_cmpstr (asgiref_scope_get_scheme (scope), ==, "https");
  g_assert_cmpstr (asgiref_scope_get_path (scope), ==, "/a b");
  raw_path = asgiref_scope_get_raw_path (scope);
  /* The text format's b'' strings end with a NUL, which is kept. */
  g_assert_cmpmem (g_bytes_get_data (raw_path, NULL), g_bytes_get_size (raw_path), "/a%20b", 7);
  query = asgiref_scope_get_query_string (scope);
  g_assert_cmpmem (g_bytes_get_data (query, NULL), g_bytes_get_size (query), "q=1", 4);
  g_assert_cmpstr (asgiref_scope_get_root_path (scope), ==, "/r");
  headers = asgiref_scope_get_headers (scope);
  g_assert_cmpuint (asgiref_headers_get_length (headers), ==, 1);
  g_assert_cmpstr (asgiref_headers_lookup (headers, "x-y"), ==, "z");
  g_assert_true (asgiref_scope_get_client (scope, &host, &port));
  g_assert_cmpstr (host, ==, "192.0.2.1");
  g_assert_cmpint (port, ==, 1234);
  g_assert_true (asgiref_scope_get_server (scope, &host, &port));
  g_assert_cmpstr (host, ==, "192.0.2.2");
  g_assert_cmpint (port, ==, 443);
  state = asgiref_scope_get_state (scope);
  g_assert_nonnull (state);
  g_assert_true (asgiref_scope_has_extension (scope, "tls"));
  assert_valid (scope);
}

static void
test_from_variant_reads_serialised_variants (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("PUT", "/x");
  g_autoptr(AsgirefScope) built = NULL;
  g_autoptr(GVariant) view = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(AsgirefScope) scope = NULL;
  const char *host = NULL;
  int port = 0;

  asgiref_scope_builder_set_server (builder, "::1", 80);
  built = asgiref_scope_builder_end (builder);
  view = asgiref_scope_to_variant (built);
  data = g_variant_get_data_as_bytes (view);
  scope = from_variant (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, data, FALSE));

  g_assert_cmpstr (asgiref_scope_get_method (scope), ==, "PUT");
  g_assert_cmpstr (asgiref_scope_get_asgi_version (scope), ==, "3.0");
  g_assert_true (asgiref_scope_get_server (scope, &host, &port));
  g_assert_cmpstr (host, ==, "::1");
  g_assert_cmpint (port, ==, 80);
  assert_valid (scope);
}

static void
test_strings_live_as_long_as_the_scope (void)
{
  GVariant *variant = parse ("{'type': <'http'>, 'asgi': <{'version': <'3.0'>}>, 'http_version': <'1.1'>, "
                             "'method': <'GET'>, 'path': <'/p'>, 'query_string': <b''>, "
                             "'headers': <@a(ayay) []>, 'client': <('192.0.2.1', 1)>, 'root_path': <'/r'>}");
  g_autoptr(AsgirefScope) scope = from_variant (variant);
  const char *host = NULL;

  /* The variant is gone: the strings are the scope's own (valgrind would
   * see a read of freed memory otherwise). */
  g_assert_cmpstr (asgiref_scope_get_path (scope), ==, "/p");
  g_assert_cmpstr (asgiref_scope_get_method (scope), ==, "GET");
  g_assert_cmpstr (asgiref_scope_get_root_path (scope), ==, "/r");
  g_assert_true (asgiref_scope_get_client (scope, &host, NULL));
  g_assert_cmpstr (host, ==, "192.0.2.1");
}

static void
test_from_variant_consumes_floating (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefScope) scope = NULL;

  /* No leak under valgrind. */
  scope = asgiref_scope_new_from_variant (g_variant_new_parsed ("{'type': <'lifespan'>, "
                                                                "'asgi': <{'version': <'3.0'>}>}"),
                                          &error);
  g_assert_no_error (error);
  g_assert_nonnull (scope);
}

/* }}} */

/* {{{ The a{sv} view */

static void
test_to_variant_has_the_keys_of_an_asgi_scope (void)
{
  const char *offered[] = { "chat", NULL };
  g_autoptr(AsgirefScopeBuilder) http_builder = asgiref_scope_builder_new_http ("GET", "/");
  g_autoptr(AsgirefScopeBuilder) websocket_builder = asgiref_scope_builder_new_websocket ("/ws");
  g_autoptr(GBytes) raw_path = bytes_from_string ("/");
  g_autoptr(AsgirefScope) http = NULL;
  g_autoptr(AsgirefScope) websocket = NULL;
  g_autoptr(AsgirefScope) lifespan = asgiref_scope_new_lifespan (g_variant_new_parsed ("@a{sv} {}"));
  g_autoptr(GVariant) http_view = NULL;
  g_autoptr(GVariant) websocket_view = NULL;
  g_autoptr(GVariant) lifespan_view = NULL;
  g_autoptr(GVariant) asgi = NULL;
  g_autofree char *http_keys = NULL;
  g_autofree char *websocket_keys = NULL;
  g_autofree char *lifespan_keys = NULL;
  g_autofree char *asgi_keys = NULL;
  const char *text = NULL;

  asgiref_scope_builder_set_raw_path (http_builder, raw_path);
  asgiref_scope_builder_set_client (http_builder, "192.0.2.1", 1);
  asgiref_scope_builder_set_server (http_builder, "192.0.2.2", 2);
  asgiref_scope_builder_set_state (http_builder, g_variant_new_parsed ("@a{sv} {}"));
  asgiref_scope_builder_add_extension (http_builder, "tls", NULL);
  http = asgiref_scope_builder_end (http_builder);
  asgiref_scope_builder_set_subprotocols (websocket_builder, offered);
  websocket = asgiref_scope_builder_end (websocket_builder);

  http_view = asgiref_scope_to_variant (http);
  g_assert_false (g_variant_is_floating (http_view));
  g_assert_cmpstr (g_variant_get_type_string (http_view), ==, "a{sv}");
  http_keys = keys_of (http_view);
  g_assert_cmpstr (http_keys, ==,
                   "asgi client extensions headers http_version method path query_string raw_path "
                   "root_path scheme server state type");
  assert_value_type (http_view, "type", "s");
  assert_value_type (http_view, "asgi", "a{sv}");
  assert_value_type (http_view, "http_version", "s");
  assert_value_type (http_view, "method", "s");
  assert_value_type (http_view, "scheme", "s");
  assert_value_type (http_view, "path", "s");
  assert_value_type (http_view, "raw_path", "ay");
  assert_value_type (http_view, "query_string", "ay");
  assert_value_type (http_view, "root_path", "s");
  assert_value_type (http_view, "headers", "a(ayay)");
  assert_value_type (http_view, "client", "(si)");
  assert_value_type (http_view, "server", "(smi)");
  assert_value_type (http_view, "state", "a{sv}");
  assert_value_type (http_view, "extensions", "a{sv}");
  asgi = g_variant_lookup_value (http_view, "asgi", G_VARIANT_TYPE_VARDICT);
  asgi_keys = keys_of (asgi);
  g_assert_cmpstr (asgi_keys, ==, "spec_version version");
  g_assert_true (g_variant_lookup (asgi, "version", "&s", &text));
  g_assert_cmpstr (text, ==, "3.0");
  g_assert_true (g_variant_lookup (asgi, "spec_version", "&s", &text));
  g_assert_cmpstr (text, ==, "2.3");
  g_assert_true (g_variant_lookup (http_view, "type", "&s", &text));
  g_assert_cmpstr (text, ==, "http");

  websocket_view = asgiref_scope_to_variant (websocket);
  websocket_keys = keys_of (websocket_view);
  g_assert_cmpstr (websocket_keys, ==,
                   "asgi headers http_version path query_string root_path scheme subprotocols type");
  assert_value_type (websocket_view, "subprotocols", "as");

  lifespan_view = asgiref_scope_to_variant (lifespan);
  lifespan_keys = keys_of (lifespan_view);
  g_assert_cmpstr (lifespan_keys, ==, "asgi state type");
}

/* from_variant (to_variant (@scope)) has the fields of @scope. */
static void
assert_round_trip (AsgirefScope *scope)
{
  g_autoptr(GVariant) view = asgiref_scope_to_variant (scope);
  g_autoptr(AsgirefScope) back = from_variant (g_variant_ref (view));
  g_autoptr(GVariant) back_view = asgiref_scope_to_variant (back);
  g_autoptr(GBytes) raw_path = asgiref_scope_get_raw_path (scope);
  g_autoptr(GBytes) back_raw_path = asgiref_scope_get_raw_path (back);
  g_autoptr(GBytes) query = asgiref_scope_get_query_string (scope);
  g_autoptr(GBytes) back_query = asgiref_scope_get_query_string (back);
  g_autoptr(GVariant) headers = asgiref_headers_to_variant (asgiref_scope_get_headers (scope));
  g_autoptr(GVariant) back_headers = asgiref_headers_to_variant (asgiref_scope_get_headers (back));
  g_auto(GStrv) subprotocols = asgiref_scope_get_subprotocols (scope);
  g_auto(GStrv) back_subprotocols = asgiref_scope_get_subprotocols (back);
  const char *host = NULL, *back_host = NULL;
  int port = 0, back_port = 0;

  g_assert_cmpint (asgiref_scope_get_kind (back), ==, asgiref_scope_get_kind (scope));
  g_assert_cmpstr (asgiref_scope_get_spec_version (back), ==, asgiref_scope_get_spec_version (scope));
  g_assert_cmpstr (asgiref_scope_get_http_version (back), ==, asgiref_scope_get_http_version (scope));
  g_assert_cmpstr (asgiref_scope_get_method (back), ==, asgiref_scope_get_method (scope));
  g_assert_cmpstr (asgiref_scope_get_scheme (back), ==, asgiref_scope_get_scheme (scope));
  g_assert_cmpstr (asgiref_scope_get_path (back), ==, asgiref_scope_get_path (scope));
  g_assert_cmpstr (asgiref_scope_get_root_path (back), ==, asgiref_scope_get_root_path (scope));
  g_assert_true ((raw_path == NULL) == (back_raw_path == NULL));
  if (raw_path != NULL)
    g_assert_true (g_bytes_equal (raw_path, back_raw_path));
  g_assert_true (g_bytes_equal (query, back_query));
  g_assert_true (g_variant_equal (headers, back_headers));
  g_assert_cmpint (asgiref_scope_get_client (back, &back_host, &back_port), ==,
                   asgiref_scope_get_client (scope, &host, &port));
  g_assert_cmpstr (back_host, ==, host);
  g_assert_cmpint (back_port, ==, port);
  g_assert_cmpint (asgiref_scope_get_server (back, &back_host, &back_port), ==,
                   asgiref_scope_get_server (scope, &host, &port));
  g_assert_cmpstr (back_host, ==, host);
  g_assert_cmpint (back_port, ==, port);
  g_assert_true (g_strv_equal ((const char * const *) back_subprotocols, (const char * const *) subprotocols));
  g_assert_true ((asgiref_scope_get_extensions (back) == NULL) == (asgiref_scope_get_extensions (scope) == NULL));
  g_assert_true (g_variant_equal (back_view, view));
}

static void
test_to_variant_round_trip (void)
{
  const char *offered[] = { "a", "b", NULL };
  g_autoptr(AsgirefScopeBuilder) http_builder = asgiref_scope_builder_new_http ("OPTIONS", "*");
  g_autoptr(AsgirefScopeBuilder) websocket_builder = asgiref_scope_builder_new_websocket ("/ws");
  g_autoptr(AsgirefHeaders) headers = headers_of ("cookie", "a=b");
  g_autoptr(GBytes) raw_path = bytes_from_string ("%2A");
  g_autoptr(GBytes) query = bytes_from_string ("x=1");
  g_autoptr(AsgirefScope) http = NULL;
  g_autoptr(AsgirefScope) websocket = NULL;
  g_autoptr(AsgirefScope) lifespan = asgiref_scope_new_lifespan (g_variant_new_parsed ("{'k': <'v'>}"));
  g_autoptr(AsgirefScope) plain = http_scope ();

  asgiref_scope_builder_set_spec_version (http_builder, "2.1");
  asgiref_scope_builder_set_http_version (http_builder, "1.0");
  asgiref_scope_builder_set_scheme (http_builder, "https");
  asgiref_scope_builder_set_raw_path (http_builder, raw_path);
  asgiref_scope_builder_set_query_string (http_builder, query);
  asgiref_scope_builder_set_root_path (http_builder, "/root");
  asgiref_scope_builder_set_headers (http_builder, headers);
  asgiref_scope_builder_set_client (http_builder, "::1", 65535);
  asgiref_scope_builder_set_server (http_builder, "::1", 0);
  asgiref_scope_builder_set_state (http_builder, g_variant_new_parsed ("{'n': <1>}"));
  asgiref_scope_builder_add_extension (http_builder, "x.y", g_variant_new_parsed ("{'z': <true>}"));
  http = asgiref_scope_builder_end (http_builder);

  asgiref_scope_builder_set_http_version (websocket_builder, "2");
  asgiref_scope_builder_set_scheme (websocket_builder, "wss");
  asgiref_scope_builder_set_server (websocket_builder, "/run/ws.sock", -1);
  asgiref_scope_builder_set_subprotocols (websocket_builder, offered);
  websocket = asgiref_scope_builder_end (websocket_builder);

  assert_round_trip (http);
  assert_round_trip (websocket);
  assert_round_trip (lifespan);
  assert_round_trip (plain);
}

static void
test_to_variant_keeps_unknown_keys (void)
{
  g_autoptr(GVariant) base = http_variant ();
  g_autoptr(GVariant) with_extra = with_key (base, "x-server-thing", g_variant_new_int32 (7));
  g_autoptr(GVariant) lifespan_base = lifespan_variant ();
  g_autoptr(GVariant) lifespan_with_extra = with_key (lifespan_base, "path", g_variant_new_string ("/odd"));
  g_autoptr(AsgirefScope) scope = from_variant (g_variant_ref (with_extra));
  g_autoptr(AsgirefScope) lifespan = from_variant (g_variant_ref (lifespan_with_extra));
  g_autoptr(GVariant) view = asgiref_scope_to_variant (scope);
  g_autoptr(GVariant) lifespan_view = asgiref_scope_to_variant (lifespan);
  g_autoptr(AsgirefScope) again = from_variant (g_variant_ref (view));
  g_autoptr(GVariant) again_view = asgiref_scope_to_variant (again);
  gint32 thing = 0;
  const char *path = NULL;

  g_assert_true (g_variant_lookup (view, "x-server-thing", "i", &thing));
  g_assert_cmpint (thing, ==, 7);
  g_assert_true (g_variant_equal (again_view, view));
  /* A key ASGI names for another type is an unknown key here. */
  g_assert_null (asgiref_scope_get_path (lifespan));
  g_assert_true (g_variant_lookup (lifespan_view, "path", "&s", &path));
  g_assert_cmpstr (path, ==, "/odd");

  /* The unknown keys, and only they, read on their own. */
  g_assert_cmpuint (g_variant_n_children (asgiref_scope_get_extra (scope)), ==, 1);
  g_assert_true (g_variant_lookup (asgiref_scope_get_extra (scope), "x-server-thing", "i", &thing));
  g_assert_cmpuint (g_variant_n_children (asgiref_scope_get_extra (lifespan)), ==, 1);
  g_assert_true (g_variant_equal (asgiref_scope_get_extra (again), asgiref_scope_get_extra (scope)));
}

static void
test_scope_without_unknown_keys_has_no_extra (void)
{
  g_autoptr(GVariant) base = http_variant ();
  g_autoptr(AsgirefScope) plain = from_variant (g_variant_ref (base));
  g_autoptr(AsgirefScope) made = asgiref_scope_new_http ("GET", "/", NULL, NULL);

  g_assert_null (asgiref_scope_get_extra (plain));
  g_assert_null (asgiref_scope_get_extra (made));
}

static void
test_to_variant_is_cached (void)
{
  g_autoptr(AsgirefScope) scope = websocket_scope ();
  g_autoptr(GVariant) first = asgiref_scope_to_variant (scope);
  g_autoptr(GVariant) second = asgiref_scope_to_variant (scope);

  g_assert_true (first == second);
}

#define N_VIEW_THREADS 4

typedef struct
{
  AsgirefScope *scope;
  gint          ready;
  GVariant     *views[N_VIEW_THREADS];
} ViewRace;

typedef struct
{
  ViewRace *race;
  guint     index;
} ViewRacer;

static gpointer
view_racer_thread (gpointer data)
{
  ViewRacer *racer = data;

  /* Start together, as far as a spin can arrange it. */
  g_atomic_int_inc (&racer->race->ready);
  while (g_atomic_int_get (&racer->race->ready) < N_VIEW_THREADS)
    ;
  racer->race->views[racer->index] = asgiref_scope_to_variant (racer->race->scope);
  return NULL;
}

static void
test_to_variant_is_built_once_across_threads (void)
{
  g_autoptr(AsgirefScope) scope = http_scope ();
  ViewRace race = { scope, 0, { NULL } };
  ViewRacer racers[N_VIEW_THREADS];
  GThread *threads[N_VIEW_THREADS];

  for (guint i = 0; i < N_VIEW_THREADS; i++)
    {
      racers[i] = (ViewRacer) { &race, i };
      threads[i] = g_thread_new ("view-racer", view_racer_thread, &racers[i]);
    }
  for (guint i = 0; i < N_VIEW_THREADS; i++)
    g_thread_join (threads[i]);

  for (guint i = 0; i < N_VIEW_THREADS; i++)
    {
      g_assert_true (race.views[i] == race.views[0]);
      g_variant_unref (race.views[i]);
    }
}

/* }}} */

/* {{{ From a variant: one rule each */

static void
test_from_variant_accepts_extra_keys (void)
{
  g_autoptr(GVariant) base = http_variant ();
  g_autoptr(AsgirefScope) scope = from_variant (with_key (base, "x-server-thing", g_variant_new_int32 (1)));

  assert_valid (scope);
}

static void
test_from_variant_rejects_not_a_dictionary (void)
{
  assert_rejected (parse ("'http'"), "a{sv}", "“s”", NULL);
  assert_rejected (parse ("@a{ss} {'type': 'http'}"), "a{sv}", "a{ss}", NULL);
}

static void
test_from_variant_rejects_missing_type (void)
{
  assert_rejected_with (http_variant (), "type", NULL, "“type”");
}

static void
test_from_variant_rejects_type_not_a_string (void)
{
  assert_rejected (parse ("{'type': <42>}"), "“type”", "“s”", "“i”", NULL);
}

static void
test_from_variant_rejects_unknown_type (void)
{
  assert_rejected (parse ("{'type': <'mqtt'>}"), "“mqtt”", NULL);
}

static void
test_from_variant_rejects_missing_asgi (void)
{
  assert_rejected_with (http_variant (), "asgi", NULL, "“asgi”");
  assert_rejected_with (lifespan_variant (), "asgi", NULL, "“asgi”");
}

static void
test_from_variant_rejects_missing_required_http_keys (void)
{
  const char *required[] = { "http_version", "method", "path", "query_string", "headers" };

  for (gsize i = 0; i < G_N_ELEMENTS (required); i++)
    {
      g_autofree char *fragment = g_strdup_printf ("“%s”", required[i]);

      assert_rejected_with (http_variant (), required[i], NULL, fragment);
    }
}

static void
test_from_variant_rejects_missing_required_websocket_keys (void)
{
  assert_rejected_with (websocket_variant (), "path", NULL, "“path”");
  assert_rejected_with (websocket_variant (), "headers", NULL, "“headers”");
}

static void
test_from_variant_accepts_websocket_without_optional_keys (void)
{
  g_autoptr(AsgirefScope) scope = from_variant (parse ("{'type': <'websocket'>, 'asgi': <{'version': <'3.0'>}>, "
                                                       "'path': <'/'>, 'headers': <@a(ayay) []>}"));

  assert_valid (scope);
}

static void
test_from_variant_rejects_values_of_the_wrong_type (void)
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
      GVariant *base = cases[i].websocket ? websocket_variant () : http_variant ();

      assert_rejected_with (base, cases[i].key, g_variant_get_variant (boxed), fragment);
    }
}

static void
test_from_variant_rejects_asgi_keys_of_the_wrong_type (void)
{
  assert_rejected_with (http_variant (), "asgi", parse ("{'version': <3>}"), "“version”");
  assert_rejected_with (http_variant (), "asgi", parse ("{'version': <'3.0'>, 'spec_version': <2.3>}"),
                        "“spec_version”");
}

static void
test_from_variant_rejects_asgi_version_not_3 (void)
{
  assert_rejected_with (http_variant (), "asgi", parse ("{'version': <'2.0'>}"), "“2.0”");
  assert_rejected_with (http_variant (), "asgi", parse ("{'version': <'30'>}"), "“30”");
  assert_rejected_with (http_variant (), "asgi", parse ("{'version': <'3.x'>}"), "“3.x”");
  /* No version means 2.0, as ASGI says. */
  assert_rejected_with (http_variant (), "asgi", parse ("@a{sv} {}"), "“2.0”");
}

static void
test_from_variant_accepts_asgi_3_versions (void)
{
  const char *versions[] = { "3", "3.0", "3.1" };

  for (gsize i = 0; i < G_N_ELEMENTS (versions); i++)
    {
      g_autofree char *text = g_strdup_printf ("{'version': <'%s'>}", versions[i]);
      g_autoptr(GVariant) base = http_variant ();
      g_autoptr(AsgirefScope) scope = from_variant (with_key (base, "asgi", parse (text)));

      assert_valid (scope);
    }
}

static void
test_from_variant_rejects_unknown_http_version (void)
{
  assert_rejected_with (http_variant (), "http_version", g_variant_new_string ("3"), "“3”");
  /* There is no WebSocket over HTTP/1.0. */
  assert_rejected_with (websocket_variant (), "http_version", g_variant_new_string ("1.0"), "“1.0”");
}

static void
test_from_variant_rejects_empty_method (void)
{
  assert_rejected_with (http_variant (), "method", g_variant_new_string (""), "empty");
}

static void
test_from_variant_rejects_method_not_upper_case (void)
{
  assert_rejected_with (http_variant (), "method", g_variant_new_string ("Get"), "upper-case");
}

static void
test_from_variant_rejects_method_not_a_token (void)
{
  assert_rejected_with (http_variant (), "method", g_variant_new_string ("GET /"), "“GET /”");
}

static void
test_from_variant_rejects_empty_scheme (void)
{
  assert_rejected_with (http_variant (), "scheme", g_variant_new_string (""), "scheme");
}

static void
test_from_variant_rejects_empty_path (void)
{
  assert_rejected_with (http_variant (), "path", g_variant_new_string (""), "empty");
}

static void
test_from_variant_rejects_relative_path (void)
{
  assert_rejected_with (http_variant (), "path", g_variant_new_string ("items"), "“items”");
  assert_rejected_with (http_variant (), "path", g_variant_new_string ("*"), "“*”");
}

static void
test_from_variant_accepts_options_asterisk (void)
{
  g_autoptr(AsgirefScope) built = asgiref_scope_new_http ("OPTIONS", "*", NULL, NULL);
  g_autoptr(AsgirefScope) scope = from_variant (asgiref_scope_to_variant (built));

  assert_valid (built);
  assert_valid (scope);
}

static void
test_from_variant_rejects_relative_root_path (void)
{
  assert_rejected_with (http_variant (), "root_path", g_variant_new_string ("api"), "“api”");
}

static void
test_from_variant_rejects_bad_headers (void)
{
  assert_rejected_with (http_variant (), "headers", one_header ("Host", "x"), "lower-case");
  assert_rejected_with (websocket_variant (), "headers", one_header ("host", "x\r\ny: z"), "value");
  assert_rejected_with (http_variant (), "headers", one_header (":authority", "x"), "“http”");
}

static void
test_from_variant_rejects_empty_host (void)
{
  assert_rejected_with (http_variant (), "client", g_variant_new ("(si)", "", 1), "“client”");
  assert_rejected_with (http_variant (), "server", g_variant_new ("(smi)", "", FALSE, 0), "“server”");
}

static void
test_from_variant_rejects_port_out_of_range (void)
{
  assert_rejected_with (http_variant (), "client", g_variant_new ("(si)", "192.0.2.1", 65536), "65536");
  assert_rejected_with (websocket_variant (), "server", g_variant_new ("(smi)", "::", TRUE, -1), "-1");
}

static void
test_from_variant_rejects_bad_subprotocol (void)
{
  const char *bad[] = { "chat", "", NULL };
  const char *spaced[] = { "a b", NULL };

  assert_rejected_with (websocket_variant (), "subprotocols", g_variant_new_strv (bad, -1), "Subprotocol 1");
  assert_rejected_with (websocket_variant (), "subprotocols", g_variant_new_strv (spaced, -1), "Subprotocol 0");
}

static void
test_from_variant_rejects_extension_not_a_dictionary (void)
{
  assert_rejected_with (websocket_variant (), "extensions", parse ("{'tls': <'1.3'>}"), "“tls”");
}

/* }}} */

/* {{{ Validation of a built scope: one rule each */

static AsgirefScope *
http_with (void (*set) (AsgirefScopeBuilder *builder, const char *value),
           const char *value)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_http ("GET", "/");

  set (builder, value);
  return asgiref_scope_builder_end (builder);
}

static void
test_validate_rejects_bad_method (void)
{
  assert_invalid (asgiref_scope_new_http ("", "/", NULL, NULL), "empty", NULL);
  assert_invalid (asgiref_scope_new_http ("Get", "/", NULL, NULL), "“Get”", "upper-case", NULL);
  assert_invalid (asgiref_scope_new_http ("GET /", "/", NULL, NULL), "“GET /”", NULL);
}

static void
test_validate_rejects_unknown_http_version (void)
{
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_websocket ("/");

  assert_invalid (http_with (asgiref_scope_builder_set_http_version, "3"), "“3”", "“http”", NULL);
  /* There is no WebSocket over HTTP/1.0. */
  asgiref_scope_builder_set_http_version (builder, "1.0");
  assert_invalid (asgiref_scope_builder_end (builder), "“1.0”", "“websocket”", NULL);
}

static void
test_validate_rejects_empty_scheme (void)
{
  assert_invalid (http_with (asgiref_scope_builder_set_scheme, ""), "scheme", NULL);
}

static void
test_validate_rejects_bad_paths (void)
{
  assert_invalid (asgiref_scope_new_http ("GET", "", NULL, NULL), "path", "empty", NULL);
  assert_invalid (asgiref_scope_new_websocket ("ws", NULL, NULL, NULL), "“ws”", "“websocket”", NULL);
  assert_invalid (asgiref_scope_new_http ("GET", "*", NULL, NULL), "“*”", NULL);
  assert_invalid (http_with (asgiref_scope_builder_set_root_path, "api"), "“api”", NULL);
}

static void
test_validate_rejects_bad_addresses (void)
{
  g_autoptr(AsgirefScopeBuilder) empty_client = asgiref_scope_builder_new_http ("GET", "/");
  g_autoptr(AsgirefScopeBuilder) empty_server = asgiref_scope_builder_new_http ("GET", "/");
  g_autoptr(AsgirefScopeBuilder) client_port = asgiref_scope_builder_new_http ("GET", "/");
  g_autoptr(AsgirefScopeBuilder) server_port = asgiref_scope_builder_new_websocket ("/");

  asgiref_scope_builder_set_client (empty_client, "", 1);
  assert_invalid (asgiref_scope_builder_end (empty_client), "“client”", NULL);
  asgiref_scope_builder_set_server (empty_server, "", -1);
  assert_invalid (asgiref_scope_builder_end (empty_server), "“server”", NULL);
  asgiref_scope_builder_set_client (client_port, "192.0.2.1", 65536);
  assert_invalid (asgiref_scope_builder_end (client_port), "65536", "“client”", NULL);
  /* -1 is no port; other negative numbers are no port number either. */
  asgiref_scope_builder_set_server (server_port, "::", -2);
  assert_invalid (asgiref_scope_builder_end (server_port), "-2", "“server”", NULL);
}

static void
test_validate_rejects_bad_subprotocol (void)
{
  const char *bad[] = { "chat", "", NULL };
  const char *spaced[] = { "a b", NULL };

  assert_invalid (asgiref_scope_new_websocket ("/", NULL, NULL, bad), "Subprotocol 1", NULL);
  assert_invalid (asgiref_scope_new_websocket ("/", NULL, NULL, spaced), "Subprotocol 0", NULL);
}

/* }}} */

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Scope/new-http-fills-in-defaults", test_new_http_fills_in_defaults);
  g_test_add_func ("/Asgiref/Scope/new-http-without-query-or-headers", test_new_http_without_query_or_headers);
  g_test_add_func ("/Asgiref/Scope/new-http-keeps-a-reference-to-headers",
                   test_new_http_keeps_a_reference_to_headers);
  g_test_add_func ("/Asgiref/Scope/new-websocket", test_new_websocket);
  g_test_add_func ("/Asgiref/Scope/new-websocket-without-subprotocols", test_new_websocket_without_subprotocols);
  g_test_add_func ("/Asgiref/Scope/new-lifespan", test_new_lifespan);
  g_test_add_func ("/Asgiref/Scope/new-lifespan-with-state", test_new_lifespan_with_state);
  g_test_add_func ("/Asgiref/Scope/ref-unref", test_scope_ref_unref);

  g_test_add_func ("/Asgiref/Scope/builder-new-http-matches-new-http", test_builder_new_http);
  g_test_add_func ("/Asgiref/Scope/builder-sets-every-key", test_builder_sets_every_key);
  g_test_add_func ("/Asgiref/Scope/builder-takes-unusual-versions-and-schemes",
                   test_builder_takes_unusual_versions_and_schemes);
  g_test_add_func ("/Asgiref/Scope/builder-end-spends-the-builder", test_builder_end_spends_the_builder);
  g_test_add_func ("/Asgiref/Scope/builder-unref-without-end-frees-the-scope", test_builder_unref_without_end);
  g_test_add_func ("/Asgiref/Scope/builder-server-on-unix-socket-has-no-port", test_builder_server_on_unix_socket);
  g_test_add_func ("/Asgiref/Scope/builder-null-removes-optional-keys", test_builder_null_removes_optional_keys);
  g_test_add_func ("/Asgiref/Scope/builder-add-extension", test_builder_add_extension);
  g_test_add_func ("/Asgiref/Scope/builder-subprotocols-only-for-websocket",
                   test_builder_subprotocols_only_for_websocket);
  g_test_add_func ("/Asgiref/Scope/builder-ref-unref", test_builder_ref_unref);

  g_test_add_func ("/Asgiref/Scope/accessors-of-a-lifespan-scope", test_accessors_of_a_lifespan_scope);
  g_test_add_func ("/Asgiref/Scope/from-variant-fills-in-asgi-defaults", test_from_variant_fills_in_asgi_defaults);
  g_test_add_func ("/Asgiref/Scope/from-variant-spec-version-default-depends-on-type",
                   test_from_variant_spec_version_default_depends_on_type);
  g_test_add_func ("/Asgiref/Scope/from-variant-reads-every-key", test_from_variant_reads_every_key);
  g_test_add_func ("/Asgiref/Scope/from-variant-reads-serialised-variants",
                   test_from_variant_reads_serialised_variants);
  g_test_add_func ("/Asgiref/Scope/strings-live-as-long-as-the-scope", test_strings_live_as_long_as_the_scope);
  g_test_add_func ("/Asgiref/Scope/from-variant-consumes-floating", test_from_variant_consumes_floating);

  g_test_add_func ("/Asgiref/Scope/to-variant-has-the-keys-of-an-asgi-scope",
                   test_to_variant_has_the_keys_of_an_asgi_scope);
  g_test_add_func ("/Asgiref/Scope/to-variant-round-trip", test_to_variant_round_trip);
  g_test_add_func ("/Asgiref/Scope/to-variant-keeps-unknown-keys", test_to_variant_keeps_unknown_keys);
  g_test_add_func ("/Asgiref/Scope/no-extra-without-unknown-keys", test_scope_without_unknown_keys_has_no_extra);
  g_test_add_func ("/Asgiref/Scope/to-variant-is-cached", test_to_variant_is_cached);
  g_test_add_func ("/Asgiref/Scope/to-variant-is-built-once-across-threads",
                   test_to_variant_is_built_once_across_threads);

  g_test_add_func ("/Asgiref/Scope/from-variant-accepts-extra-keys", test_from_variant_accepts_extra_keys);
  g_test_add_func ("/Asgiref/Scope/from-variant-accepts-websocket-without-optional-keys",
                   test_from_variant_accepts_websocket_without_optional_keys);
  g_test_add_func ("/Asgiref/Scope/from-variant-accepts-asgi-3-versions", test_from_variant_accepts_asgi_3_versions);
  g_test_add_func ("/Asgiref/Scope/from-variant-accepts-options-asterisk", test_from_variant_accepts_options_asterisk);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-not-a-dictionary", test_from_variant_rejects_not_a_dictionary);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-missing-type", test_from_variant_rejects_missing_type);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-type-not-a-string",
                   test_from_variant_rejects_type_not_a_string);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-unknown-type", test_from_variant_rejects_unknown_type);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-missing-asgi", test_from_variant_rejects_missing_asgi);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-missing-required-http-keys",
                   test_from_variant_rejects_missing_required_http_keys);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-missing-required-websocket-keys",
                   test_from_variant_rejects_missing_required_websocket_keys);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-values-of-the-wrong-type",
                   test_from_variant_rejects_values_of_the_wrong_type);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-asgi-keys-of-the-wrong-type",
                   test_from_variant_rejects_asgi_keys_of_the_wrong_type);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-asgi-version-not-3",
                   test_from_variant_rejects_asgi_version_not_3);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-unknown-http-version",
                   test_from_variant_rejects_unknown_http_version);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-empty-method", test_from_variant_rejects_empty_method);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-method-not-upper-case",
                   test_from_variant_rejects_method_not_upper_case);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-method-not-a-token",
                   test_from_variant_rejects_method_not_a_token);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-empty-scheme", test_from_variant_rejects_empty_scheme);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-empty-path", test_from_variant_rejects_empty_path);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-relative-path", test_from_variant_rejects_relative_path);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-relative-root-path",
                   test_from_variant_rejects_relative_root_path);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-bad-headers", test_from_variant_rejects_bad_headers);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-empty-host", test_from_variant_rejects_empty_host);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-port-out-of-range",
                   test_from_variant_rejects_port_out_of_range);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-bad-subprotocol", test_from_variant_rejects_bad_subprotocol);
  g_test_add_func ("/Asgiref/Scope/from-variant-rejects-extension-not-a-dictionary",
                   test_from_variant_rejects_extension_not_a_dictionary);

  g_test_add_func ("/Asgiref/Scope/validate-rejects-bad-method", test_validate_rejects_bad_method);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-unknown-http-version", test_validate_rejects_unknown_http_version);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-empty-scheme", test_validate_rejects_empty_scheme);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-bad-paths", test_validate_rejects_bad_paths);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-bad-addresses", test_validate_rejects_bad_addresses);
  g_test_add_func ("/Asgiref/Scope/validate-rejects-bad-subprotocol", test_validate_rejects_bad_subprotocol);

  return g_test_run ();
}
