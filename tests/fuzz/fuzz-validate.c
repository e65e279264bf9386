/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the two ASGI validators and every accessor.
 *
 * The first byte of an input picks how the rest becomes a variant, so that
 * one corpus reaches both the validators' error paths and their deepest
 * rules:
 *
 *   0  a serialised a{sv}, untrusted, as it is and in normal form
 *   1  a serialised v: the boxed value as it is (seldom an a{sv}) and,
 *      unboxed, whatever it holds
 *   2  GVariant text format, through g_variant_parse()
 *   3  a serialised a(ayay), as the headers of an otherwise valid
 *      message and scope, to reach the header rules directly
 *
 * Whatever comes in, the validators must answer without crashing, set an
 * error exactly when they fail, and the accessors must be safe on any
 * a{sv}; on a value that passed validation they must also keep what
 * validation promised (checked below with g_assert(), which libFuzzer
 * reports as a crash). GLib's criticals and warnings abort, so that a
 * precondition failure counts as a bug too.
 */

#include <asgiref.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
read_message (GVariant *message,
              gboolean  valid)
{
  g_autoptr(GBytes) body = asgiref_message_get_body (message);
  g_autoptr(GBytes) bytes = asgiref_message_get_bytes (message);
  g_autoptr(GVariant) headers = asgiref_message_get_headers (message);
  const char *type = asgiref_message_get_type_name (message);
  const char *text = asgiref_message_get_text (message);
  int status = asgiref_message_get_status (message);

  (void) asgiref_message_get_more_body (message);
  (void) asgiref_message_get_trailers (message);
  (void) asgiref_message_get_more_trailers (message);
  (void) asgiref_message_get_message (message);
  (void) asgiref_message_get_subprotocol (message);
  (void) asgiref_message_get_code (message);
  (void) asgiref_message_get_reason (message);

  g_assert (body != NULL);
  g_assert (g_variant_is_of_type (headers, G_VARIANT_TYPE ("a(ayay)")));

  if (!valid)
    return;

  g_assert (type != NULL);
  if (strcmp (type, "http.response.start") == 0 || strcmp (type, "websocket.http.response.start") == 0)
    g_assert (status >= 100 && status <= 599);
  if (strcmp (type, "websocket.send") == 0 || strcmp (type, "websocket.receive") == 0)
    g_assert ((bytes != NULL) != (text != NULL));
}

static void
read_scope (GVariant *scope,
            gboolean  valid)
{
  g_autoptr(GBytes) raw_path = asgiref_scope_get_raw_path (scope);
  g_autoptr(GBytes) query_string = asgiref_scope_get_query_string (scope);
  g_autoptr(GVariant) headers = asgiref_scope_get_headers (scope);
  g_autoptr(GVariant) state = asgiref_scope_get_state (scope);
  g_auto(GStrv) subprotocols = asgiref_scope_get_subprotocols (scope);
  const char *type = asgiref_scope_get_type_name (scope);
  const char *path = asgiref_scope_get_path (scope);
  const char *method = asgiref_scope_get_method (scope);
  const char *client_host = NULL, *server_host = NULL;
  int client_port = 0, server_port = 0;
  gboolean has_client, has_server;

  (void) asgiref_scope_get_spec_version (scope);
  g_assert (asgiref_scope_get_asgi_version (scope) != NULL);
  g_assert (asgiref_scope_get_http_version (scope) != NULL);
  g_assert (asgiref_scope_get_scheme (scope) != NULL);
  g_assert (asgiref_scope_get_root_path (scope) != NULL);
  (void) asgiref_scope_has_extension (scope, "websocket.http.response");
  has_client = asgiref_scope_get_client (scope, &client_host, &client_port);
  has_server = asgiref_scope_get_server (scope, &server_host, &server_port);

  g_assert (query_string != NULL);
  g_assert (raw_path == NULL || g_bytes_get_size (raw_path) < G_MAXSIZE);
  g_assert (state == NULL || g_variant_is_of_type (state, G_VARIANT_TYPE_VARDICT));
  g_assert (subprotocols != NULL);
  g_assert (g_variant_is_of_type (headers, G_VARIANT_TYPE ("a(ayay)")));
  g_assert (has_client == (client_host != NULL));
  g_assert (has_server == (server_host != NULL));

  if (!valid)
    return;

  g_assert (type != NULL);
  if (strcmp (type, "lifespan") == 0)
    return;
  g_assert (path != NULL && (path[0] == '/' || strcmp (path, "*") == 0));
  if (strcmp (type, "http") == 0)
    g_assert (method != NULL && method[0] != '\0');
  if (has_client)
    g_assert (client_host[0] != '\0' && client_port >= 0 && client_port <= 65535);
  if (has_server)
    g_assert (server_host[0] != '\0' && server_port >= -1 && server_port <= 65535);
}

static void
check (GVariant *value)
{
  g_autoptr(GError) message_error = NULL;
  g_autoptr(GError) scope_error = NULL;
  gboolean message_valid = asgiref_message_validate (value, &message_error);
  gboolean scope_valid = asgiref_scope_validate (value, &scope_error);

  g_assert (message_valid == (message_error == NULL));
  g_assert (scope_valid == (scope_error == NULL));
  if (message_error != NULL)
    g_assert (g_error_matches (message_error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE));
  if (scope_error != NULL)
    g_assert (g_error_matches (scope_error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE));

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARDICT))
    {
      read_message (value, message_valid);
      read_scope (value, scope_valid);
    }
}

/* Checks @value as it is and in normal form, which may differ for
 * untrusted data (and must be judged the same). */
static void
check_both_forms (GVariant *value)
{
  g_autoptr(GVariant) normal = g_variant_get_normal_form (value);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) normal_error = NULL;

  check (value);
  check (normal);
  g_assert (asgiref_message_validate (value, &error) == asgiref_message_validate (normal, &normal_error));
}

/* A valid message and scope with @headers (a(ayay)) in them. */
static void
check_headers (GVariant *headers)
{
  g_autoptr(GVariant) message = asgiref_message_new_http_response_start (200, headers, FALSE);
  g_autoptr(GVariant) scope = asgiref_scope_new_http ("GET", "/", NULL, headers);

  check (message);
  check (scope);
}

/* Criticals and warnings abort: g_log_set_always_fatal() would raise
 * SIGTRAP, which libFuzzer does not catch, so it would save no input. */
static GLogWriterOutput
abort_on_warnings (GLogLevelFlags   log_level,
                   const GLogField *fields,
                   gsize            n_fields,
                   gpointer         user_data)
{
  GLogWriterOutput result = g_log_writer_standard_streams (log_level, fields, n_fields, user_data);

  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();
  return result;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_log_set_writer_func (abort_on_warnings, NULL, NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = NULL;
  guint8 mode;

  if (size == 0)
    return 0;
  mode = data[0] % 4;
  bytes = g_bytes_new (data + 1, size - 1);

  switch (mode)
    {
    case 0:
      {
        g_autoptr(GVariant) dict = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));

        check_both_forms (dict);
      }
      break;

    case 1:
      {
        g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARIANT, bytes, FALSE));
        g_autoptr(GVariant) inner = g_variant_get_variant (boxed);

        check (boxed);
        check_both_forms (inner);
      }
      break;

    case 2:
      {
        /* g_variant_parse() wants UTF-8 text (it hands string literals to
         * g_variant_new_string() unchecked), and stops at the first NUL. */
        g_autofree char *text = g_strndup ((const char *) data + 1, size - 1);
        g_autoptr(GVariant) value = NULL;

        if (!g_utf8_validate (text, -1, NULL))
          break;
        value = g_variant_parse (NULL, text, NULL, NULL, NULL);
        if (value != NULL)
          check (value);
      }
      break;

    case 3:
      {
        g_autoptr(GVariant) headers = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("a(ayay)"), bytes, FALSE));
        g_autoptr(GVariant) normal = g_variant_get_normal_form (headers);

        check_headers (headers);
        check_headers (normal);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  return 0;
}
