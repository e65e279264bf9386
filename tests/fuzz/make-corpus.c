/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes the seed corpus of fuzz-validate into the directory given on the
 * command line: the a{sv} forms of valid messages and scopes (made by the
 * builders), of ones with keys that extensions or other kinds add, and of
 * nearly valid ones, in each of the target's input modes (see
 * fuzz-validate.c). A file is named after the
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

/* The a{sv} form of @message (consumed), in every mode that fits it. */
static void
add_message (AsgirefMessage *message)
{
  g_autoptr(AsgirefMessage) owned = message;

  add (asgiref_message_to_variant (owned));
}

static void
add_scope (AsgirefScope *scope)
{
  g_autoptr(AsgirefScope) owned = scope;

  add (asgiref_scope_to_variant (owned));
}

/* A copy of @base (not consumed) with @key set to @value (floating,
 * consumed), or removed when @value is NULL. */
static GVariant *
with_value (GVariant   *base,
            const char *key,
            GVariant   *value)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, base);
  if (value == NULL)
    g_variant_dict_remove (&dict, key);
  else
    g_variant_dict_insert_value (&dict, key, value);
  return g_variant_dict_end (&dict);
}

/* The same with @text parsed as the value (or removal when NULL). */
static GVariant *
with (GVariant   *base,
      const char *key,
      const char *text)
{
  g_autoptr(GError) error = NULL;
  GVariant *value = NULL;

  if (text != NULL)
    {
      value = g_variant_parse (NULL, text, NULL, NULL, &error);
      if (value == NULL)
        g_error ("%s: %s", text, error->message);
    }
  return with_value (base, key, value);
}

/* One header as an a(ayay), without terminating NULs, whatever its
 * bytes (so also one that breaks the header rules). Floating. */
static GVariant *
header_list (const char *name,
             const char *value)
{
  GVariant *pair = g_variant_new ("(@ay@ay)",
                                  g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, name, strlen (name), 1),
                                  g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, value, strlen (value), 1));

  return g_variant_new_array (NULL, &pair, 1);
}

/* One valid header as a native list. */
static AsgirefHeaders *
headers (const char *name,
         const char *value)
{
  const char *names[] = { name, NULL };
  const char *values[] = { value, NULL };
  g_autoptr(GError) error = NULL;
  AsgirefHeaders *list = asgiref_headers_new (names, values, &error);

  if (list == NULL)
    g_error ("%s: %s", name, error->message);
  return list;
}

static void
add_messages (void)
{
  const AsgirefMessageKind bare[] = {
    ASGIREF_MESSAGE_HTTP_DISCONNECT, ASGIREF_MESSAGE_LIFESPAN_STARTUP,
    ASGIREF_MESSAGE_LIFESPAN_STARTUP_COMPLETE, ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN,
    ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_COMPLETE, ASGIREF_MESSAGE_WEBSOCKET_CONNECT,
    ASGIREF_MESSAGE_WEBSOCKET_CLOSE, ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT,
  };
  g_autoptr(GBytes) body = g_bytes_new_static ("hello", 5);
  g_autoptr(AsgirefHeaders) content_type = headers ("content-type", "text/plain");
  g_autoptr(AsgirefHeaders) x_a = headers ("x-a", "b");
  g_autoptr(AsgirefHeaders) grpc_status = headers ("grpc-status", "0");
  g_autoptr(AsgirefHeaders) content_length = headers ("content-length", "0");
  g_autoptr(AsgirefHeaders) empty_value = headers ("x-empty", "");
  g_autoptr(AsgirefMessage) start_message = asgiref_message_new_http_response_start (200, content_type, TRUE);
  g_autoptr(AsgirefMessage) accept_message = asgiref_message_new_websocket_accept ("chat", x_a);
  g_autoptr(AsgirefMessage) trailers_message = asgiref_message_new_http_response_trailers (grpc_status, TRUE);
  g_autoptr(AsgirefMessage) close_message = asgiref_message_new_websocket_close (1000, "bye");
  g_autoptr(AsgirefMessage) request_message = asgiref_message_new_http_request (body, TRUE);
  g_autoptr(GVariant) start = asgiref_message_to_variant (start_message);
  g_autoptr(GVariant) accept_dict = asgiref_message_to_variant (accept_message);
  g_autoptr(GVariant) trailers = asgiref_message_to_variant (trailers_message);
  g_autoptr(GVariant) close_dict = asgiref_message_to_variant (close_message);
  g_autoptr(GVariant) request = asgiref_message_to_variant (request_message);

  for (gsize i = 0; i < G_N_ELEMENTS (bare); i++)
    add_message (asgiref_message_new (bare[i]));
  add (g_variant_ref (request));
  add (g_variant_ref (start));
  add_message (asgiref_message_new_http_response_body (body, FALSE));
  add (g_variant_ref (trailers));
  add_message (asgiref_message_new_lifespan_startup_failed ("no database"));
  add_message (asgiref_message_new_lifespan_shutdown_failed (NULL));
  add (g_variant_ref (accept_dict));
  add_message (asgiref_message_new_websocket_send (NULL, "hi"));
  add_message (asgiref_message_new_websocket_receive (body, NULL));
  add (g_variant_ref (close_dict));
  add_message (asgiref_message_new_websocket_disconnect (1006));
  add_message (asgiref_message_new_websocket_http_response_start (403, content_length));
  add_message (asgiref_message_new_websocket_http_response_body (body, FALSE));
  add_message (asgiref_message_new_http_response_start (204, empty_value, FALSE));

  /* Keys an extension added, which must come back; keys of other kinds,
   * which are such keys too; a key given twice. */
  add (with (request, "x-extension", "{'a': <[1, 2]>}"));
  add (with (trailers, "more_body", "false"));
  add (with (request, "more_trailers", "true"));
  add (with (close_dict, "status", "200"));
  add (with (start, "code", "4000"));
  add (with (close_dict, "body", "b'x'"));
  add (with_value (request, "headers", header_list ("x-a", "1")));
  add (with_value (request, "headers", header_list ("X-A", "1")));
  add (g_variant_new_parsed ("{'type': <'websocket.close'>, 'code': <4000>, 'code': <1000>, 'x': <1>, 'x': <2>}"));

  /* Nearly valid: one rule broken each. */
  add (g_variant_new_parsed ("{'type': <'http.teapot'>}"));
  add (with (start, "status", "99"));
  add (with (start, "status", "int64 200"));
  add (with (start, "status", NULL));
  add (with (start, "headers", "[('a', 'b')]"));
  add (with_value (start, "headers", header_list ("Content-Type", "x")));
  add (with_value (start, "headers", header_list (":status", "200")));
  add (with_value (start, "headers", header_list ("x", "a\r\nb")));
  add (with_value (start, "headers", header_list ("", "x")));
  add (with (accept_dict, "headers", "[(b'sec-websocket-protocol', b'chat')]"));
  add (with_value (accept_dict, "headers", header_list ("sec-websocket-protocol", "chat")));
  add (g_variant_new_parsed ("{'type': <'websocket.send'>, 'bytes': <b'x'>, 'text': <'x'>}"));
  add (g_variant_new_parsed ("{'type': <'http.request'>, 'body': <'text'>}"));
  add (g_variant_new_parsed ("@a{sv} {}"));

  /* Header lists alone, for mode 3. */
  add (header_list ("host", "example.com"));
  add (header_list ("x-empty", ""));
  add (header_list ("X-Upper", "v"));
  add (header_list ("a b", "v"));
}

static void
add_scopes (void)
{
  const char *offered[] = { "chat", "v2.chat", NULL };
  g_autoptr(GBytes) query = g_bytes_new_static ("a=1&b=2", 7);
  g_autoptr(GBytes) raw_path = g_bytes_new_static ("/it%65ms", 8);
  g_autoptr(AsgirefHeaders) host = headers ("host", "example.com");
  g_autoptr(AsgirefScopeBuilder) builder = asgiref_scope_builder_new_websocket ("/ws");
  g_autoptr(AsgirefScope) http_scope = asgiref_scope_new_http ("GET", "/items", query, host);
  g_autoptr(AsgirefScope) websocket_scope = NULL;
  g_autoptr(GVariant) http = asgiref_scope_to_variant (http_scope);
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
  websocket_scope = asgiref_scope_builder_end (builder);
  websocket = asgiref_scope_to_variant (websocket_scope);

  add (g_variant_ref (http));
  add (g_variant_ref (websocket));
  add_scope (asgiref_scope_new_lifespan (NULL));
  add_scope (asgiref_scope_new_lifespan (g_variant_new_parsed ("{'n': <1>}")));
  add_scope (asgiref_scope_new_http ("OPTIONS", "*", NULL, NULL));
  add (with (http, "x-extension", "<(1, 'a')>"));

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
  add (with_value (http, "headers", header_list ("Host", "x")));
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
