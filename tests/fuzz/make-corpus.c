/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes the seed corpus of fuzz-validate into the directory given on the
 * command line: valid and nearly valid messages and scopes, in each of the
 * target's input modes (see fuzz-validate.c). A file is named after the
 * SHA-1 of its content, as libFuzzer names what it finds, so running this
 * again only adds what is new.
 *
 *   meson compile -C _build-fuzz fuzz-corpus   (writes tests/fuzz/corpus)
 */

#include <asgiref.h>

#include <string.h>

static const char *directory;
static guint n_written;

static void
write_input (guint8        mode,
             gconstpointer data,
             gsize         size)
{
  g_autoptr(GByteArray) input = g_byte_array_sized_new (size + 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  g_byte_array_append (input, &mode, 1);
  g_byte_array_append (input, data, size);
  name = g_compute_checksum_for_data (G_CHECKSUM_SHA1, input->data, input->len);
  path = g_build_filename (directory, name, NULL);
  if (!g_file_set_contents (path, (const char *) input->data, input->len, &error))
    g_error ("%s", error->message);
  n_written++;
}

/* @value (consumed, floating or not) in every mode that fits it. */
static void
add (GVariant *value)
{
  g_autoptr(GVariant) owned = g_variant_take_ref (value);
  g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_variant (owned));
  g_autofree char *text = g_variant_print (owned, TRUE);

  if (g_variant_is_of_type (owned, G_VARIANT_TYPE_VARDICT))
    write_input (0, g_variant_get_data (owned), g_variant_get_size (owned));
  write_input (1, g_variant_get_data (boxed), g_variant_get_size (boxed));
  write_input (2, text, strlen (text));
  if (g_variant_is_of_type (owned, G_VARIANT_TYPE ("a(ayay)")))
    write_input (3, g_variant_get_data (owned), g_variant_get_size (owned));
}

/* A copy of @base (not consumed) with @key set to @text, parsed, or
 * removed when @text is NULL. */
static GVariant *
with (GVariant   *base,
      const char *key,
      const char *text)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, base);
  if (text == NULL)
    g_variant_dict_remove (&dict, key);
  else
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) value = g_variant_parse (NULL, text, NULL, NULL, &error);

      if (value == NULL)
        g_error ("%s: %s", text, error->message);
      g_variant_dict_insert_value (&dict, key, value);
    }
  return g_variant_dict_end (&dict);
}

static GVariant *
header_list (const char *name,
             const char *value)
{
  GVariant *pair = g_variant_new ("(@ay@ay)",
                                  g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, name, strlen (name), 1),
                                  g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, value, strlen (value), 1));

  return g_variant_new_array (NULL, &pair, 1);
}

static void
add_messages (void)
{
  const char *bare[] = {
    "http.disconnect", "lifespan.startup", "lifespan.startup.complete", "lifespan.shutdown",
    "lifespan.shutdown.complete", "websocket.connect",
  };
  g_autoptr(GBytes) body = g_bytes_new_static ("hello", 5);
  g_autoptr(GVariant) start = asgiref_message_new_http_response_start (200, header_list ("content-type", "text/plain"), TRUE);
  g_autoptr(GVariant) accept = asgiref_message_new_websocket_accept ("chat", header_list ("x-a", "b"));

  for (gsize i = 0; i < G_N_ELEMENTS (bare); i++)
    add (asgiref_message_new (bare[i]));
  add (asgiref_message_new_http_request (body, TRUE));
  add (g_variant_ref (start));
  add (asgiref_message_new_http_response_body (body, FALSE));
  add (asgiref_message_new_http_response_trailers (header_list ("grpc-status", "0"), FALSE));
  add (asgiref_message_new_lifespan_startup_failed ("no database"));
  add (asgiref_message_new_lifespan_shutdown_failed (NULL));
  add (g_variant_ref (accept));
  add (asgiref_message_new_websocket_send (NULL, "hi"));
  add (asgiref_message_new_websocket_receive (body, NULL));
  add (asgiref_message_new_websocket_close (1000, "bye"));
  add (asgiref_message_new_websocket_disconnect (1006));
  add (asgiref_message_new_websocket_http_response_start (403, header_list ("content-length", "0")));
  add (asgiref_message_new_websocket_http_response_body (body, FALSE));

  /* Nearly valid: one rule broken each. */
  add (asgiref_message_new ("http.teapot"));
  add (with (start, "status", "99"));
  add (with (start, "status", "int64 200"));
  add (with (start, "status", NULL));
  add (with (start, "headers", "[('a', 'b')]"));
  add (asgiref_message_new_http_response_start (200, header_list ("Content-Type", "x"), FALSE));
  add (asgiref_message_new_http_response_start (200, header_list (":status", "200"), FALSE));
  add (asgiref_message_new_http_response_start (200, header_list ("x", "a\r\nb"), FALSE));
  add (asgiref_message_new_http_response_start (200, header_list ("", "x"), FALSE));
  add (with (accept, "headers", "[(b'sec-websocket-protocol', b'chat')]"));
  add (g_variant_new_parsed ("{'type': <'websocket.send'>, 'bytes': <b'x'>, 'text': <'x'>}"));
  add (g_variant_new_parsed ("{'type': <'http.request'>, 'body': <'text'>}"));
  add (g_variant_new_parsed ("@a{sv} {}"));

  /* Header lists alone, for mode 3. */
  add (header_list ("host", "example.com"));
  add (header_list ("X-Upper", "v"));
  add (header_list ("a b", "v"));
}

static void
add_scopes (void)
{
  const char *offered[] = { "chat", "v2.chat", NULL };
  g_autoptr(GBytes) query = g_bytes_new_static ("a=1&b=2", 7);
  g_autoptr(GBytes) raw_path = g_bytes_new_static ("/it%65ms", 8);
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_websocket ("/ws");
  g_autoptr(GVariant) http = asgiref_scope_new_http ("GET", "/items", query, header_list ("host", "example.com"));
  g_autoptr(GVariant) websocket = NULL;

  asgiref_scope_builder_set_http_version (builder, "2");
  asgiref_scope_builder_set_scheme (builder, "wss");
  asgiref_scope_builder_set_raw_path (builder, raw_path);
  asgiref_scope_builder_set_root_path (builder, "/app");
  asgiref_scope_builder_set_client (builder, "192.0.2.7", 51234);
  asgiref_scope_builder_set_server (builder, "/run/app.sock", -1);
  asgiref_scope_builder_set_subprotocols (builder, offered);
  asgiref_scope_builder_set_state (builder, g_variant_new_parsed ("{'db': <'x'>}"));
  asgiref_scope_builder_add_extension (builder, "websocket.http.response", NULL);
  websocket = asgiref_scope_builder_end (builder);

  add (g_variant_ref (http));
  add (g_variant_ref (websocket));
  add (asgiref_scope_new_lifespan (NULL));
  add (asgiref_scope_new_lifespan (g_variant_new_parsed ("{'n': <1>}")));
  add (asgiref_scope_new_http ("OPTIONS", "*", NULL, NULL));

  /* Nearly valid: one rule broken each. */
  add (g_variant_new_parsed ("{'type': <'mqtt'>}"));
  add (with (http, "asgi", NULL));
  add (with (http, "asgi", "{'version': <'2.0'>}"));
  add (with (http, "asgi", "{'version': <3>}"));
  add (with (http, "http_version", "'3'"));
  add (with (http, "method", "'get'"));
  add (with (http, "method", "''"));
  add (with (http, "method", "'GET /'"));
  add (with (http, "scheme", "''"));
  add (with (http, "path", "'items'"));
  add (with (http, "path", "''"));
  add (with (http, "root_path", "'app'"));
  add (with (http, "query_string", NULL));
  add (with (http, "headers", "[(b'Host', b'x')]"));
  add (with (http, "client", "('', 1)"));
  add (with (http, "client", "('192.0.2.1', 70000)"));
  add (with (http, "server", "('::1', 80)"));
  add (with (websocket, "http_version", "'1.0'"));
  add (with (websocket, "subprotocols", "['a b']"));
  add (with (websocket, "extensions", "{'tls': <'1.3'>}"));
  add (with (websocket, "server", "('::1', @mi 65536)"));
}

int
main (int    argc,
      char **argv)
{
  if (argc != 2)
    {
      g_printerr ("Usage: %s DIRECTORY\n", argv[0]);
      return 2;
    }
  directory = argv[1];
  if (g_mkdir_with_parents (directory, 0755) != 0)
    g_error ("Cannot create %s", directory);

  add_messages ();
  add_scopes ();
  g_print ("%u seed inputs in %s\n", n_written, directory);
  return 0;
}
