/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the way into the native types from their a{sv}
 * form: asgiref_message_new_from_variant(),
 * asgiref_scope_new_from_variant() and asgiref_headers_new_from_variant(),
 * and for the way back out (the *_to_variant() views).
 *
 * The first byte of an input picks how the rest becomes a variant, so that
 * one corpus reaches both the checks' error paths and their deepest
 * rules:
 *
 *   0  a serialised a{sv}, untrusted, as it is and in normal form
 *   1  a serialised v: the boxed value as it is (seldom an a{sv}) and,
 *      unboxed, whatever it holds
 *   2  GVariant text format, through g_variant_parse()
 *   3  a serialised a(ayay): as a header list, and as the headers of a
 *      message and a scope that are otherwise valid (and of a message
 *      kind that has no headers, where the key is an extension's)
 *
 * Whatever comes in, each constructor must answer without crashing and
 * set an error exactly when it fails. What it makes must keep what it
 * promises: every rule of asgiref_message_validate() holds, accessors give
 * their defaults for keys of other kinds, header lists obey the header
 * rules, and the a{sv} form gives back every key it was given with its
 * value. That form must read back (a second new_from_variant() succeeds)
 * into an equal object. Violations are g_assert() failures, which
 * libFuzzer reports as crashes. GLib's criticals and warnings abort, so
 * that a precondition failure counts as a bug too.
 */

#include <asgiref.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static guint n_message_kinds;

/* {{{ Header lists */

static gboolean
is_token_char (guchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A list that exists obeys the header rules, and its a(ayay) form says
 * the same bytes. */
static void
check_header_list (AsgirefHeaders *headers)
{
  g_autoptr(GVariant) view = asgiref_headers_to_variant (headers);
  g_autoptr(GVariant) again = asgiref_headers_to_variant (headers);
  guint length = asgiref_headers_get_length (headers);

  g_assert (view == again);
  g_assert (!g_variant_is_floating (view));
  g_assert (g_variant_is_of_type (view, G_VARIANT_TYPE ("a(ayay)")));
  g_assert (g_variant_n_children (view) == length);

  for (guint i = 0; i < length; i++)
    {
      const char *name = asgiref_headers_get_name (headers, i);
      const char *value = asgiref_headers_get_value (headers, i);
      gsize name_len = strlen (name);
      gsize value_len = strlen (value);
      g_autoptr(GVariant) view_name = NULL;
      g_autoptr(GVariant) view_value = NULL;
      const char *first;

      g_assert (name_len > 0);
      for (gsize j = 0; j < name_len; j++)
        g_assert (is_token_char (name[j]) && !g_ascii_isupper (name[j]));
      g_assert (strpbrk (value, "\r\n") == NULL);

      g_variant_get_child (view, i, "(@ay@ay)", &view_name, &view_value);
      g_assert (g_variant_get_size (view_name) == name_len);
      g_assert (g_variant_get_size (view_value) == value_len);
      g_assert (memcmp (g_variant_get_data (view_name), name, name_len) == 0);
      g_assert (value_len == 0 || memcmp (g_variant_get_data (view_value), value, value_len) == 0);

      /* The first header of that name, whatever the case asked in. */
      first = asgiref_headers_lookup (headers, name);
      for (guint k = 0; k <= i; k++)
        if (strcmp (asgiref_headers_get_name (headers, k), name) == 0)
          {
            g_assert (first == asgiref_headers_get_value (headers, k));
            break;
          }
    }
}

/* }}} */
/* {{{ Messages */

static gboolean
kind_in (AsgirefMessageKind kind,
         AsgirefMessageKind a,
         AsgirefMessageKind b)
{
  return kind == a || kind == b;
}

/* The promises of a message that exists. */
static void
check_message (AsgirefMessage *message)
{
  g_autoptr(GError) error = NULL;
  AsgirefMessageKind kind = asgiref_message_get_kind (message);
  g_autoptr(GBytes) body = asgiref_message_get_body (message);
  g_autoptr(GBytes) bytes = asgiref_message_get_bytes (message);
  AsgirefHeaders *headers = asgiref_message_get_headers (message);
  const char *text = asgiref_message_get_text (message);

  g_assert ((guint) kind < n_message_kinds);
  g_assert (asgiref_message_get_type_name (message) != NULL);
  g_assert (asgiref_message_validate (message, &error));
  g_assert (error == NULL);
  g_assert (body != NULL);
  g_assert (headers != NULL);
  check_header_list (headers);

  /* What validation promised. */
  if (kind_in (kind, ASGIREF_MESSAGE_HTTP_RESPONSE_START, ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START))
    g_assert (asgiref_message_get_status (message) >= 100 && asgiref_message_get_status (message) <= 599);
  if (kind_in (kind, ASGIREF_MESSAGE_WEBSOCKET_RECEIVE, ASGIREF_MESSAGE_WEBSOCKET_SEND))
    g_assert ((bytes != NULL) != (text != NULL));
  if (kind == ASGIREF_MESSAGE_WEBSOCKET_ACCEPT)
    g_assert (asgiref_headers_lookup (headers, "sec-websocket-protocol") == NULL);

  /* Accessors of other kinds give their defaults. */
  if (kind != ASGIREF_MESSAGE_HTTP_REQUEST && kind != ASGIREF_MESSAGE_HTTP_RESPONSE_BODY &&
      kind != ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_BODY)
    {
      g_assert (g_bytes_get_size (body) == 0);
      g_assert (!asgiref_message_get_more_body (message));
    }
  if (!kind_in (kind, ASGIREF_MESSAGE_HTTP_RESPONSE_START, ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START))
    g_assert (asgiref_message_get_status (message) == 0);
  if (!kind_in (kind, ASGIREF_MESSAGE_HTTP_RESPONSE_START, ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS) &&
      !kind_in (kind, ASGIREF_MESSAGE_WEBSOCKET_ACCEPT, ASGIREF_MESSAGE_WEBSOCKET_HTTP_RESPONSE_START))
    g_assert (asgiref_headers_get_length (headers) == 0);
  if (kind != ASGIREF_MESSAGE_HTTP_RESPONSE_START)
    g_assert (!asgiref_message_get_trailers (message));
  if (kind != ASGIREF_MESSAGE_HTTP_RESPONSE_TRAILERS)
    g_assert (!asgiref_message_get_more_trailers (message));
  if (!kind_in (kind, ASGIREF_MESSAGE_LIFESPAN_STARTUP_FAILED, ASGIREF_MESSAGE_LIFESPAN_SHUTDOWN_FAILED))
    g_assert (asgiref_message_get_message (message) == NULL);
  if (!kind_in (kind, ASGIREF_MESSAGE_WEBSOCKET_RECEIVE, ASGIREF_MESSAGE_WEBSOCKET_SEND))
    g_assert (bytes == NULL && text == NULL);
  if (kind != ASGIREF_MESSAGE_WEBSOCKET_ACCEPT)
    g_assert (asgiref_message_get_subprotocol (message) == NULL);
  if (!kind_in (kind, ASGIREF_MESSAGE_WEBSOCKET_CLOSE, ASGIREF_MESSAGE_WEBSOCKET_DISCONNECT))
    g_assert (asgiref_message_get_code (message) == 0);
  if (kind != ASGIREF_MESSAGE_WEBSOCKET_CLOSE)
    g_assert (asgiref_message_get_reason (message) == NULL);
}

/* Whether @a and @b hold the same values. Not by comparing their normal
 * forms: GLib 2.74's normal form of untrusted, non-normal data nested in
 * a `v` is not always the normal form (normalising it again changes its
 * bytes), so the same values can serialise differently. Their text says
 * what they hold. */
static gboolean
same_values (GVariant *a,
                      GVariant *b)
{
  g_autofree char *a_text = NULL;
  g_autofree char *b_text = NULL;

  if (!g_variant_type_equal (g_variant_get_type (a), g_variant_get_type (b)))
    return FALSE;
  a_text = g_variant_print (a, TRUE);
  b_text = g_variant_print (b, TRUE);
  return strcmp (a_text, b_text) == 0;
}

/* The value of the @n-th entry (from 0) named @key in the a{sv} @dict,
 * or %NULL. */
static GVariant *
nth_value (GVariant   *dict,
           const char *key,
           guint       n)
{
  gsize n_children = g_variant_n_children (dict);

  for (gsize i = 0; i < n_children; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (dict, i);
      g_autoptr(GVariant) entry_key = g_variant_get_child_value (entry, 0);

      if (strcmp (g_variant_get_string (entry_key, NULL), key) == 0 && n-- == 0)
        {
          g_autoptr(GVariant) boxed = g_variant_get_child_value (entry, 1);

          return g_variant_get_variant (boxed);
        }
    }
  return NULL;
}

/* Whether the a{sv} @a and @b hold the same entries, in any order: an
 * a{sv} built by GVariantDict has its keys in the order of a hash table,
 * which two equal dictionaries need not share. A key given more than once
 * (untrusted data may repeat one) matches occurrence by occurrence. */
static gboolean
equal_dicts (GVariant *a,
             GVariant *b)
{
  gsize n = g_variant_n_children (a);

  if (!g_variant_is_of_type (a, G_VARIANT_TYPE_VARDICT) ||
      !g_variant_is_of_type (b, G_VARIANT_TYPE_VARDICT) ||
      g_variant_n_children (b) != n)
    return FALSE;

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (a, i);
      g_autoptr(GVariant) key = g_variant_get_child_value (entry, 0);
      g_autoptr(GVariant) boxed = g_variant_get_child_value (entry, 1);
      g_autoptr(GVariant) value = g_variant_get_variant (boxed);
      const char *name = g_variant_get_string (key, NULL);
      g_autoptr(GVariant) other = NULL;
      guint occurrence = 0;

      for (gsize j = 0; j < i; j++)
        {
          g_autoptr(GVariant) earlier = g_variant_get_child_value (a, j);
          g_autoptr(GVariant) earlier_key = g_variant_get_child_value (earlier, 0);

          if (strcmp (g_variant_get_string (earlier_key, NULL), name) == 0)
            occurrence++;
        }
      other = nth_value (b, name, occurrence);
      if (other == NULL || !same_values (value, other))
        return FALSE;
    }
  return TRUE;
}

static guint
count_key (GVariant   *dict,
           const char *key)
{
  gsize n = g_variant_n_children (dict);
  guint count = 0;

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (dict, i);
      g_autoptr(GVariant) entry_key = g_variant_get_child_value (entry, 0);

      if (strcmp (g_variant_get_string (entry_key, NULL), key) == 0)
        count++;
    }
  return count;
}

/* Every key of @given (an a{sv} that made a message) is in @view with the
 * value it had: those of the kind as they were read, the others kept for
 * the extension that added them. (A key given twice is left out: which
 * of the two a dictionary means is not said.) */
static void
check_keys_come_back (GVariant *given,
                      GVariant *view)
{
  gsize n = g_variant_n_children (given);

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (given, i);
      g_autoptr(GVariant) key = g_variant_get_child_value (entry, 0);
      g_autoptr(GVariant) boxed = g_variant_get_child_value (entry, 1);
      g_autoptr(GVariant) value = g_variant_get_variant (boxed);
      const char *name = g_variant_get_string (key, NULL);
      g_autoptr(GVariant) out = NULL;

      if (count_key (given, name) != 1)
        continue;
      out = g_variant_lookup_value (view, name, NULL);
      g_assert (out != NULL);
      g_assert (same_values (out, value));
    }
}

/* The a{sv} form of @message, read back: it must make an equal message,
 * whose a{sv} form is the same. */
static void
round_trip_message (AsgirefMessage *message,
                    GVariant       *given)
{
  g_autoptr(GVariant) view = asgiref_message_to_variant (message);
  g_autoptr(GVariant) again = asgiref_message_to_variant (message);
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefMessage) back = NULL;
  g_autoptr(GVariant) back_view = NULL;
  g_autoptr(GBytes) body = asgiref_message_get_body (message);
  g_autoptr(GBytes) back_body = NULL;

  g_assert (view == again);
  g_assert (!g_variant_is_floating (view));
  g_assert (g_variant_is_of_type (view, G_VARIANT_TYPE_VARDICT));
  if (given != NULL)
    check_keys_come_back (given, view);

  back = asgiref_message_new_from_variant (view, &error);
  if (back == NULL)
    g_error ("The a{sv} form of a message does not read back: %s", error->message);
  g_assert (error == NULL);
  check_message (back);

  back_body = asgiref_message_get_body (back);
  g_assert (asgiref_message_get_kind (back) == asgiref_message_get_kind (message));
  g_assert (g_bytes_equal (back_body, body));
  g_assert (asgiref_message_get_more_body (back) == asgiref_message_get_more_body (message));
  g_assert (asgiref_message_get_status (back) == asgiref_message_get_status (message));
  g_assert (asgiref_message_get_code (back) == asgiref_message_get_code (message));
  g_assert (asgiref_message_get_trailers (back) == asgiref_message_get_trailers (message));
  g_assert (asgiref_message_get_more_trailers (back) == asgiref_message_get_more_trailers (message));
  g_assert (g_strcmp0 (asgiref_message_get_text (back), asgiref_message_get_text (message)) == 0);
  g_assert (g_strcmp0 (asgiref_message_get_message (back), asgiref_message_get_message (message)) == 0);
  g_assert (g_strcmp0 (asgiref_message_get_subprotocol (back), asgiref_message_get_subprotocol (message)) == 0);
  g_assert (g_strcmp0 (asgiref_message_get_reason (back), asgiref_message_get_reason (message)) == 0);

  back_view = asgiref_message_to_variant (back);
  g_assert (equal_dicts (back_view, view));
}

/* @value through asgiref_message_new_from_variant() (transfer full: the
 * message, or %NULL). */
static AsgirefMessage *
try_message (GVariant *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefMessage) message = asgiref_message_new_from_variant (value, &error);

  g_assert ((message == NULL) == (error != NULL));
  if (message == NULL)
    {
      g_assert (g_error_matches (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE));
      return NULL;
    }

  check_message (message);
  round_trip_message (message, value);
  return g_steal_pointer (&message);
}

/* }}} */
/* {{{ Scopes */

static void
round_trip_scope (AsgirefScope *scope)
{
  g_autoptr(GVariant) view = asgiref_scope_to_variant (scope);
  g_autoptr(GVariant) again = asgiref_scope_to_variant (scope);
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefScope) back = NULL;
  g_autoptr(GVariant) back_view = NULL;

  g_assert (view == again);
  g_assert (!g_variant_is_floating (view));
  g_assert (g_variant_is_of_type (view, G_VARIANT_TYPE_VARDICT));

  back = asgiref_scope_new_from_variant (view, &error);
  if (back == NULL)
    g_error ("The a{sv} form of a scope does not read back: %s", error->message);
  g_assert (error == NULL);
  g_assert (asgiref_scope_get_kind (back) == asgiref_scope_get_kind (scope));
  g_assert (g_strcmp0 (asgiref_scope_get_type_name (back), asgiref_scope_get_type_name (scope)) == 0);

  back_view = asgiref_scope_to_variant (back);
  g_assert (equal_dicts (back_view, view));
}

static AsgirefScope *
try_scope (GVariant *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefScope) scope = asgiref_scope_new_from_variant (value, &error);
  g_autoptr(GError) validate_error = NULL;

  g_assert ((scope == NULL) == (error != NULL));
  if (scope == NULL)
    {
      g_assert (g_error_matches (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE));
      return NULL;
    }

  g_assert (asgiref_scope_validate (scope, &validate_error));
  g_assert (validate_error == NULL);
  g_assert (asgiref_scope_get_type_name (scope) != NULL);
  if (asgiref_scope_get_headers (scope) != NULL)
    check_header_list (asgiref_scope_get_headers (scope));
  round_trip_scope (scope);
  return g_steal_pointer (&scope);
}

/* }}} */
/* {{{ Inputs */

static void
check (GVariant *value)
{
  AsgirefMessage *message = try_message (value);
  AsgirefScope *scope = try_scope (value);

  g_clear_pointer (&message, asgiref_message_unref);
  g_clear_pointer (&scope, asgiref_scope_unref);
}

/* Checks @value as it is and in normal form, which may differ for
 * untrusted data (and must be judged the same, into the same object). */
static void
check_both_forms (GVariant *value)
{
  g_autoptr(GVariant) normal = g_variant_get_normal_form (value);
  g_autoptr(AsgirefMessage) message = try_message (value);
  g_autoptr(AsgirefMessage) normal_message = try_message (normal);
  g_autoptr(AsgirefScope) scope = try_scope (value);
  g_autoptr(AsgirefScope) normal_scope = try_scope (normal);

  g_assert ((message == NULL) == (normal_message == NULL));
  g_assert ((scope == NULL) == (normal_scope == NULL));
  if (message != NULL)
    {
      g_autoptr(GVariant) view = asgiref_message_to_variant (message);
      g_autoptr(GVariant) normal_view = asgiref_message_to_variant (normal_message);

      g_assert (equal_dicts (view, normal_view));
    }
  if (scope != NULL)
    {
      g_autoptr(GVariant) view = asgiref_scope_to_variant (scope);
      g_autoptr(GVariant) normal_view = asgiref_scope_to_variant (normal_scope);

      g_assert (equal_dicts (view, normal_view));
    }
}

/* An a{sv} of @type with @headers (a(ayay)) and, unless NULL, one more
 * key (@extra_value floating, consumed). */
static GVariant *
dict_with_headers (const char *type,
                   GVariant   *headers,
                   const char *extra_key,
                   GVariant   *extra_value)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "type", "s", type);
  g_variant_dict_insert_value (&dict, "headers", headers);
  if (extra_key != NULL)
    g_variant_dict_insert_value (&dict, extra_key, extra_value);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/* @headers (a(ayay)) as a list, and in a message and a scope that are
 * otherwise valid: the three must agree on whether it is valid. */
static void
check_headers (GVariant *headers)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefHeaders) list = asgiref_headers_new_from_variant (headers, &error);
  g_autoptr(GVariant) start_variant = dict_with_headers ("http.response.start", headers,
                                                         "status", g_variant_new_int32 (200));
  g_autoptr(GVariant) request_variant = dict_with_headers ("http.request", headers, NULL, NULL);
  g_autoptr(GVariant) scope_variant = NULL;
  g_autoptr(AsgirefMessage) start = NULL;
  g_autoptr(AsgirefMessage) request = NULL;

  g_assert ((list == NULL) == (error != NULL));
  if (list == NULL)
    g_assert (g_error_matches (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE));

  /* The message's check is the list's. */
  start = try_message (start_variant);
  g_assert ((start == NULL) == (list == NULL));

  /* An http.request has no headers: the key is an extension's, which may
   * hold any list. */
  request = try_message (request_variant);
  g_assert (request != NULL);

  if (list == NULL)
    return;

  check_header_list (list);
  {
    g_autoptr(GVariant) view = asgiref_headers_to_variant (list);
    g_autoptr(AsgirefHeaders) back = NULL;
    g_autoptr(GError) back_error = NULL;
    g_autoptr(AsgirefMessage) built = asgiref_message_new_http_response_start (200, list, FALSE);
    g_autoptr(AsgirefScope) scope = asgiref_scope_new_http ("GET", "/", NULL, list);
    g_autoptr(AsgirefScope) read_scope = NULL;

    g_assert (same_values (view, headers));
    back = asgiref_headers_new_from_variant (view, &back_error);
    g_assert (back != NULL && back_error == NULL);

    g_assert (asgiref_message_get_headers (built) == list);
    check_message (built);
    round_trip_message (built, NULL);

    round_trip_scope (scope);
    scope_variant = asgiref_scope_to_variant (scope);
    read_scope = try_scope (scope_variant);
    g_assert (read_scope != NULL);
  }
}

/* }}} */

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
  GEnumClass *kinds;

  g_log_set_writer_func (abort_on_warnings, NULL, NULL);
  kinds = g_type_class_ref (ASGIREF_TYPE_MESSAGE_KIND);
  n_message_kinds = kinds->n_values;
  g_type_class_unref (kinds);
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
