/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Header lists: every rule of HTTP header names and values, through both
 * constructors (asgiref_headers_new() lower-cases names,
 * asgiref_headers_new_from_variant() wants them lower-case already), the
 * accessors, the cached a(ayay) form, the empty list, and the life of a
 * list shared by several messages (valgrind and ASan check the counts).
 */

#include <asgiref.h>

#include <string.h>

#include "test-util.h"

/* {{{ Helpers */

static GVariant *
bytes_variant (const char *data,
               gsize       len)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1);
}

/* One header of explicit lengths, so that a NUL may be inside. */
typedef struct
{
  const char *name;
  gsize       name_len;
  const char *value;
  gsize       value_len;
} RawHeader;

#define RAW(n, v) { n, sizeof (n) - 1, v, sizeof (v) - 1 }

/* An a(ayay) of @n headers, without terminating NULs. Not floating. */
static GVariant *
raw_list (const RawHeader *headers,
          gsize            n)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ayay)"));
  for (gsize i = 0; i < n; i++)
    g_variant_builder_add (&builder, "(@ay@ay)",
                           bytes_variant (headers[i].name, headers[i].name_len),
                           bytes_variant (headers[i].value, headers[i].value_len));
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* An a(ayay) from NULL-terminated pairs of C strings. Not floating. */
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
                             bytes_variant (name, strlen (name)),
                             bytes_variant (value, strlen (value)));
    }
  va_end (args);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static AsgirefHeaders *
new_valid (const char * const *names,
           const char * const *values)
{
  g_autoptr(GError) error = NULL;
  AsgirefHeaders *headers = asgiref_headers_new (names, values, &error);

  g_assert_no_error (error);
  g_assert_nonnull (headers);
  return headers;
}

static AsgirefHeaders *
from_variant_valid (GVariant *variant)
{
  g_autoptr(GError) error = NULL;
  AsgirefHeaders *headers = asgiref_headers_new_from_variant (variant, &error);

  g_assert_no_error (error);
  g_assert_nonnull (headers);
  return headers;
}

static void
assert_error (const GError *error,
              const char   *first_fragment,
              ...)
{
  const char *fragment;
  va_list args;

  g_assert_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE);
  va_start (args, first_fragment);
  for (fragment = first_fragment; fragment != NULL; fragment = va_arg (args, const char *))
    if (strstr (error->message, fragment) == NULL)
      g_error ("“%s” does not contain “%s”", error->message, fragment);
  va_end (args);
}

/* Asserts that asgiref_headers_new() refuses one header @name: @value at
 * index @index (after @index valid ones), with @fragment in the error. */
static void
assert_new_refuses (const char *name,
                    const char *value,
                    guint       index,
                    const char *fragment)
{
  const char *names[] = { "ok-0", "ok-1", "ok-2", NULL, NULL };
  const char *values[] = { "v", "v", "v", NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefHeaders) headers = NULL;
  g_autofree char *header = g_strdup_printf ("Header %u", index);

  g_assert_cmpuint (index, <=, 3);
  names[index] = name;
  values[index] = value;
  names[index + 1] = NULL;
  values[index + 1] = NULL;
  headers = asgiref_headers_new (names, values, &error);
  g_assert_null (headers);
  assert_error (error, header, fragment, NULL);
}

/* The same through asgiref_headers_new_from_variant(), with lengths, so
 * that a NUL byte may be in the name or value. */
static void
assert_from_variant_refuses (RawHeader   bad,
                             guint       index,
                             const char *fragment)
{
  RawHeader list[] = { RAW ("ok-0", "v"), RAW ("ok-1", "v"), RAW ("ok-2", "v"), RAW ("", "") };
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefHeaders) headers = NULL;
  g_autofree char *header = g_strdup_printf ("Header %u", index);

  g_assert_cmpuint (index, <, G_N_ELEMENTS (list));
  list[index] = bad;
  variant = raw_list (list, index + 1);
  headers = asgiref_headers_new_from_variant (variant, &error);
  g_assert_null (headers);
  assert_error (error, header, fragment, NULL);
}

/* Both constructors refuse the C-string header @name: @value, at index 0
 * and after two valid ones. */
static void
assert_both_refuse (const char *name,
                    const char *value,
                    const char *fragment)
{
  RawHeader bad = { name, strlen (name), value, strlen (value) };

  for (guint index = 0; index <= 2; index += 2)
    {
      assert_new_refuses (name, value, index, fragment);
      assert_from_variant_refuses (bad, index, fragment);
    }
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

/* }}} */

/* {{{ Construction */

static void
test_new_lower_cases_names (void)
{
  const char *names[] = { "HOST", "Accept", "host", "X-MiXeD-123", NULL };
  const char *values[] = { "Example.COM", "*/*", "two", "KEEP Case", NULL };
  g_autoptr(AsgirefHeaders) headers = new_valid (names, values);

  assert_headers (headers, "host", "Example.COM", "accept", "*/*", "host", "two",
                  "x-mixed-123", "KEEP Case", NULL);
}

static void
test_new_from_variant_keeps_order_and_repeats (void)
{
  g_autoptr(GVariant) variant = header_list ("set-cookie", "a=1", "x-b", "", "set-cookie", "b=2", NULL);
  g_autoptr(AsgirefHeaders) headers = from_variant_valid (variant);

  assert_headers (headers, "set-cookie", "a=1", "x-b", "", "set-cookie", "b=2", NULL);
}

static void
test_new_from_variant_reads_serialised_lists (void)
{
  g_autoptr(GVariant) built = header_list ("content-type", "text/plain", "x-empty", "", NULL);
  g_autoptr(GBytes) data = g_bytes_new (g_variant_get_data (built), g_variant_get_size (built));
  g_autoptr(GVariant) serialised = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("a(ayay)"), data, FALSE));
  g_autoptr(AsgirefHeaders) headers = from_variant_valid (serialised);

  assert_headers (headers, "content-type", "text/plain", "x-empty", "", NULL);
}

/* Header names are tokens: every tchar of RFC 9110 is allowed. Values may
 * hold anything but CR, LF and NUL: spaces, tabs, obs-text. */
static void
test_both_accept_every_token_char_and_value_byte (void)
{
  const char *names[] = { "!#$%&'*+-.^_`|~09az", NULL };
  const char *values[] = { " \t\"():;<>@[]{}\x7f\x80\xc3\xa9\xff", NULL };
  g_autoptr(AsgirefHeaders) headers = new_valid (names, values);
  g_autoptr(GVariant) variant = header_list (names[0], values[0], NULL);
  g_autoptr(AsgirefHeaders) read = from_variant_valid (variant);

  assert_headers (headers, names[0], values[0], NULL);
  assert_headers (read, names[0], values[0], NULL);
}

static void
test_both_refuse_empty_name (void)
{
  assert_both_refuse ("", "x", "empty");
}

static void
test_both_refuse_cr_or_lf_in_name (void)
{
  assert_both_refuse ("a\rb", "x", "name");
  assert_both_refuse ("a\nb", "x", "name");
  assert_both_refuse ("bad\r\nname", "v", "CR, LF or NUL");
}

static void
test_from_variant_refuses_nul_in_name (void)
{
  RawHeader inside = RAW ("a\0b", "x");
  RawHeader at_end = RAW ("host\0", "x");

  assert_from_variant_refuses (inside, 0, "name");
  assert_from_variant_refuses (at_end, 2, "name");
}

static void
test_both_refuse_cr_or_lf_in_value (void)
{
  assert_both_refuse ("x", "a\rb", "value");
  assert_both_refuse ("x", "a\nb", "value");
  assert_both_refuse ("x", "split\r\nx-injected: 1", "CR, LF or NUL");
}

static void
test_from_variant_refuses_nul_in_value (void)
{
  RawHeader inside = RAW ("x", "a\0b");
  RawHeader at_end = RAW ("x", "v\0");

  assert_from_variant_refuses (inside, 0, "value");
  assert_from_variant_refuses (at_end, 1, "value");
}

/* Names must already be lower-case in the a(ayay) form, as ASGI says;
 * asgiref_headers_new() lower-cases them instead. */
static void
test_from_variant_refuses_upper_case_but_new_lower_cases (void)
{
  RawHeader upper = RAW ("X-Upper", "v");
  const char *names[] = { "X-Upper", NULL };
  const char *values[] = { "v", NULL };
  g_autoptr(AsgirefHeaders) headers = new_valid (names, values);

  assert_from_variant_refuses (upper, 0, "lower-case");
  assert_from_variant_refuses (upper, 3, "lower-case");
  assert_headers (headers, "x-upper", "v", NULL);
}

/* A colon keeps HTTP/2 pseudo-headers out, a space or a tab a name that
 * smuggles a value in; the byte is named in the error. */
static void
test_both_refuse_colon_and_space_in_names (void)
{
  assert_both_refuse (":status", "200", "0x3a");
  assert_both_refuse ("host:", "x", "0x3a");
  assert_both_refuse ("a b", "x", "0x20");
  assert_both_refuse ("a\tb", "x", "0x09");
  assert_both_refuse (" host", "x", "0x20");
}

static void
test_both_refuse_other_separators_and_non_ascii_in_names (void)
{
  static const char separators[] = "\"(),/;<=>?@[\\]{}\x7f\x01";

  for (gsize i = 0; i < sizeof separators - 1; i++)
    {
      char name[] = { 'x', separators[i], 'y', '\0' };
      g_autofree char *byte = g_strdup_printf ("0x%02x", (guint8) separators[i]);

      assert_both_refuse (name, "v", byte);
    }
  assert_both_refuse ("caf\xc3\xa9", "v", "0xc3");
}

/* The first header that breaks a rule is the one named. */
static void
test_errors_name_the_first_bad_header (void)
{
  const char *names[] = { "ok", "a b", "", NULL };
  const char *values[] = { "v", "v", "v", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, &error);

  g_assert_null (headers);
  assert_error (error, "Header 1", "0x20", NULL);
}

static void
test_from_variant_refuses_other_types (void)
{
  static const char * const texts[] = {
    "[('a', 'b')]",
    "@a(ay) []",
    "[b'a']",
    "@a{ss} {}",
    "@a(ayayay) []",
    "('a', 'b')",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GVariant) variant = g_variant_parse (NULL, texts[i], NULL, NULL, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(AsgirefHeaders) headers = NULL;

      g_assert_nonnull (variant);
      headers = asgiref_headers_new_from_variant (variant, &error);
      g_assert_null (headers);
      assert_error (error, "“a(ayay)”", g_variant_get_type_string (variant), NULL);
    }
}

static void
test_from_variant_does_not_sink (void)
{
  GVariant *floating = g_variant_new_array (G_VARIANT_TYPE ("(ayay)"), NULL, 0);
  g_autoptr(AsgirefHeaders) headers = from_variant_valid (floating);

  g_assert_true (g_variant_is_floating (floating));
  g_variant_unref (g_variant_ref_sink (floating));
  g_assert_cmpuint (asgiref_headers_get_length (headers), ==, 0);
}

static void
test_new_needs_as_many_values_as_names (void)
{
  const char *names[] = { "a", "b", NULL };
  const char *values[] = { "1", NULL };
  AsgirefHeaders *headers;

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_CRITICAL, "*g_strv_length*");
  headers = asgiref_headers_new (names, values, NULL);
  g_test_assert_expected_messages ();
  g_assert_null (headers);
}

/* }}} */

/* {{{ Accessors */

static void
test_get_name_and_value (void)
{
  const char *names[] = { "content-type", "x-empty", NULL };
  const char *values[] = { "text/plain", "", NULL };
  g_autoptr(AsgirefHeaders) headers = new_valid (names, values);

  g_assert_cmpuint (asgiref_headers_get_length (headers), ==, 2);
  g_assert_cmpstr (asgiref_headers_get_name (headers, 0), ==, "content-type");
  g_assert_cmpstr (asgiref_headers_get_value (headers, 0), ==, "text/plain");
  g_assert_cmpstr (asgiref_headers_get_name (headers, 1), ==, "x-empty");
  g_assert_cmpstr (asgiref_headers_get_value (headers, 1), ==, "");
}

static void
test_get_out_of_range_is_a_precondition (void)
{
  const char *names[] = { "a", NULL };
  const char *values[] = { "1", NULL };
  g_autoptr(AsgirefHeaders) headers = new_valid (names, values);
  const char *read;

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_CRITICAL, "*index < headers->length*");
  read = asgiref_headers_get_name (headers, 1);
  g_test_assert_expected_messages ();
  g_assert_null (read);

  g_test_expect_message ("Asgiref", G_LOG_LEVEL_CRITICAL, "*index < headers->length*");
  read = asgiref_headers_get_value (headers, 1);
  g_test_assert_expected_messages ();
  g_assert_null (read);
}

static void
test_lookup_ignores_case (void)
{
  const char *names[] = { "Content-Type", NULL };
  const char *values[] = { "text/plain", NULL };
  g_autoptr(AsgirefHeaders) headers = new_valid (names, values);

  g_assert_cmpstr (asgiref_headers_lookup (headers, "content-type"), ==, "text/plain");
  g_assert_cmpstr (asgiref_headers_lookup (headers, "Content-Type"), ==, "text/plain");
  g_assert_cmpstr (asgiref_headers_lookup (headers, "CONTENT-TYPE"), ==, "text/plain");
}

static void
test_lookup_finds_the_first_of_repeats (void)
{
  g_autoptr(GVariant) variant = header_list ("set-cookie", "a=1", "x", "y", "set-cookie", "b=2", NULL);
  g_autoptr(AsgirefHeaders) headers = from_variant_valid (variant);

  g_assert_cmpstr (asgiref_headers_lookup (headers, "set-cookie"), ==, "a=1");
  g_assert_cmpstr (asgiref_headers_lookup (headers, "Set-Cookie"), ==, "a=1");
}

static void
test_lookup_is_null_when_missing (void)
{
  const char *names[] = { "content-type", NULL };
  const char *values[] = { "text/plain", NULL };
  const char *none[] = { NULL };
  g_autoptr(AsgirefHeaders) headers = new_valid (names, values);
  g_autoptr(AsgirefHeaders) empty = new_valid (none, none);

  g_assert_null (asgiref_headers_lookup (headers, "content-length"));
  /* Whole names only. */
  g_assert_null (asgiref_headers_lookup (headers, "content"));
  g_assert_null (asgiref_headers_lookup (headers, "content-type-x"));
  g_assert_null (asgiref_headers_lookup (headers, ""));
  g_assert_null (asgiref_headers_lookup (empty, "content-type"));
}

/* }}} */

/* {{{ The a(ayay) form */

static void
test_to_variant_gives_the_list (void)
{
  const char *names[] = { "Content-Type", "x-empty", "set-cookie", NULL };
  const char *values[] = { "text/plain", "", "a=1", NULL };
  g_autoptr(AsgirefHeaders) headers = new_valid (names, values);
  g_autoptr(GVariant) view = asgiref_headers_to_variant (headers);
  g_autoptr(GVariant) expected = header_list ("content-type", "text/plain", "x-empty", "",
                                              "set-cookie", "a=1", NULL);
  g_autoptr(AsgirefHeaders) back = NULL;

  g_assert_false (g_variant_is_floating (view));
  g_assert_true (g_variant_is_of_type (view, G_VARIANT_TYPE ("a(ayay)")));
  /* Byte strings of the exact length: no terminating NUL in them. */
  g_assert_true (g_variant_equal (view, expected));

  back = from_variant_valid (view);
  assert_headers (back, "content-type", "text/plain", "x-empty", "", "set-cookie", "a=1", NULL);
}

static void
test_to_variant_is_cached (void)
{
  g_autoptr(GVariant) variant = header_list ("a", "1", NULL);
  g_autoptr(AsgirefHeaders) headers = from_variant_valid (variant);
  g_autoptr(GVariant) first = asgiref_headers_to_variant (headers);
  g_autoptr(GVariant) second = asgiref_headers_to_variant (headers);

  g_assert_true (first == second);
  g_assert_true (g_variant_equal (first, variant));
}

typedef struct
{
  AsgirefHeaders *headers;
  TestGate        gate;
  GVariant       *views[8];   /* what each thread got, joined */
} SharedViews;

static gpointer
take_view (gpointer data)
{
  SharedViews *shared = data;
  GVariant *view;

  test_gate_wait (&shared->gate);
  asgiref_headers_unref (asgiref_headers_ref (shared->headers));
  view = asgiref_headers_to_variant (shared->headers);
  return view;
}

/* Threads racing for the first view all get the one that is kept. */
static void
test_to_variant_from_many_threads_gives_one_view (void)
{
  const char *names[] = { "a", "b", NULL };
  const char *values[] = { "1", "2", NULL };

  for (guint round = 0; round < 50; round++)
    {
      SharedViews shared = { 0 };
      GThread *threads[G_N_ELEMENTS (shared.views)];
      g_autoptr(GVariant) kept = NULL;

      shared.headers = new_valid (names, values);
      test_gate_init (&shared.gate, G_N_ELEMENTS (threads));
      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        threads[i] = g_thread_new ("view", take_view, &shared);
      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        shared.views[i] = g_thread_join (threads[i]);

      kept = asgiref_headers_to_variant (shared.headers);
      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        {
          g_assert_true (shared.views[i] == kept);
          g_variant_unref (shared.views[i]);
        }
      asgiref_headers_unref (shared.headers);
    }
}

/* }}} */

/* {{{ The empty list */

static void
test_empty_list_from_both_constructors (void)
{
  const char *none[] = { NULL };
  g_autoptr(AsgirefHeaders) made = new_valid (none, none);
  g_autoptr(GVariant) empty_variant = header_list (NULL);
  g_autoptr(AsgirefHeaders) read = from_variant_valid (empty_variant);
  g_autoptr(GVariant) made_view = asgiref_headers_to_variant (made);
  g_autoptr(GVariant) read_view = asgiref_headers_to_variant (read);
  g_autoptr(GVariant) again = asgiref_headers_to_variant (made);

  g_assert_cmpuint (asgiref_headers_get_length (made), ==, 0);
  g_assert_cmpuint (asgiref_headers_get_length (read), ==, 0);
  g_assert_true (g_variant_is_of_type (made_view, G_VARIANT_TYPE ("a(ayay)")));
  g_assert_cmpuint (g_variant_n_children (made_view), ==, 0);
  g_assert_true (g_variant_equal (read_view, empty_variant));
  g_assert_true (made_view == again);
}

/* The empty list may be shared by the whole process: any number of
 * references taken and dropped leave it usable. */
static void
test_empty_list_survives_extra_unrefs_of_its_users (void)
{
  const char *none[] = { NULL };

  for (guint i = 0; i < 3; i++)
    {
      AsgirefHeaders *headers = new_valid (none, none);
      AsgirefMessage *message = asgiref_message_new_http_response_start (200, headers, FALSE);
      AsgirefMessage *bare = asgiref_message_new_http_response_start (200, NULL, FALSE);

      asgiref_headers_unref (asgiref_headers_ref (headers));
      asgiref_headers_unref (headers);
      asgiref_message_unref (message);
      g_assert_cmpuint (asgiref_headers_get_length (asgiref_message_get_headers (bare)), ==, 0);
      g_assert_null (asgiref_headers_lookup (asgiref_message_get_headers (bare), "a"));
      asgiref_message_unref (bare);
    }
}

/* }}} */

/* {{{ Shared lists */

/* One list in two messages: it outlives both, and its view, made
 * through one message's view, is still the list's own afterwards. */
static void
test_shared_list_outlives_its_messages (void)
{
  const char *names[] = { "x-shared", "set-cookie", NULL };
  const char *values[] = { "1", "a=b", NULL };
  g_autoptr(AsgirefHeaders) headers = new_valid (names, values);
  AsgirefMessage *start = asgiref_message_new_http_response_start (200, headers, FALSE);
  AsgirefMessage *accept = asgiref_message_new_websocket_accept (NULL, headers);
  g_autoptr(GVariant) start_view = asgiref_message_to_variant (start);
  g_autoptr(GVariant) accept_view = asgiref_message_to_variant (accept);
  g_autoptr(GVariant) start_headers = g_variant_lookup_value (start_view, "headers", NULL);
  g_autoptr(GVariant) accept_headers = g_variant_lookup_value (accept_view, "headers", NULL);
  g_autoptr(GVariant) own = NULL;

  g_assert_true (asgiref_message_get_headers (start) == headers);
  g_assert_true (asgiref_message_get_headers (accept) == headers);
  g_assert_true (g_variant_equal (start_headers, accept_headers));

  asgiref_message_unref (start);
  asgiref_message_unref (accept);

  assert_headers (headers, "x-shared", "1", "set-cookie", "a=b", NULL);
  own = asgiref_headers_to_variant (headers);
  g_assert_true (g_variant_equal (own, start_headers));
}

/* And the other way round: the messages outlive the caller's reference. */
static void
test_messages_keep_a_shared_list_alive (void)
{
  const char *names[] = { "x-shared", NULL };
  const char *values[] = { "1", NULL };
  AsgirefHeaders *headers = new_valid (names, values);
  g_autoptr(AsgirefMessage) start = asgiref_message_new_http_response_start (200, headers, FALSE);
  g_autoptr(AsgirefMessage) trailers = asgiref_message_new_http_response_trailers (headers, FALSE);

  asgiref_headers_unref (headers);
  assert_headers (asgiref_message_get_headers (start), "x-shared", "1", NULL);
  g_clear_pointer (&start, asgiref_message_unref);
  assert_headers (asgiref_message_get_headers (trailers), "x-shared", "1", NULL);
}

/* }}} */

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Headers/new-lower-cases-names", test_new_lower_cases_names);
  g_test_add_func ("/Asgiref/Headers/new-from-variant-keeps-order-and-repeats",
                   test_new_from_variant_keeps_order_and_repeats);
  g_test_add_func ("/Asgiref/Headers/new-from-variant-reads-serialised-lists",
                   test_new_from_variant_reads_serialised_lists);
  g_test_add_func ("/Asgiref/Headers/both-accept-every-token-char-and-value-byte",
                   test_both_accept_every_token_char_and_value_byte);
  g_test_add_func ("/Asgiref/Headers/both-refuse-empty-name", test_both_refuse_empty_name);
  g_test_add_func ("/Asgiref/Headers/both-refuse-cr-or-lf-in-name", test_both_refuse_cr_or_lf_in_name);
  g_test_add_func ("/Asgiref/Headers/from-variant-refuses-nul-in-name", test_from_variant_refuses_nul_in_name);
  g_test_add_func ("/Asgiref/Headers/both-refuse-cr-or-lf-in-value", test_both_refuse_cr_or_lf_in_value);
  g_test_add_func ("/Asgiref/Headers/from-variant-refuses-nul-in-value", test_from_variant_refuses_nul_in_value);
  g_test_add_func ("/Asgiref/Headers/from-variant-refuses-upper-case-but-new-lower-cases",
                   test_from_variant_refuses_upper_case_but_new_lower_cases);
  g_test_add_func ("/Asgiref/Headers/both-refuse-colon-and-space-in-names",
                   test_both_refuse_colon_and_space_in_names);
  g_test_add_func ("/Asgiref/Headers/both-refuse-other-separators-and-non-ascii-in-names",
                   test_both_refuse_other_separators_and_non_ascii_in_names);
  g_test_add_func ("/Asgiref/Headers/errors-name-the-first-bad-header", test_errors_name_the_first_bad_header);
  g_test_add_func ("/Asgiref/Headers/from-variant-refuses-other-types", test_from_variant_refuses_other_types);
  g_test_add_func ("/Asgiref/Headers/from-variant-does-not-sink", test_from_variant_does_not_sink);
  g_test_add_func ("/Asgiref/Headers/new-needs-as-many-values-as-names", test_new_needs_as_many_values_as_names);

  g_test_add_func ("/Asgiref/Headers/get-name-and-value", test_get_name_and_value);
  g_test_add_func ("/Asgiref/Headers/get-out-of-range-is-a-precondition", test_get_out_of_range_is_a_precondition);
  g_test_add_func ("/Asgiref/Headers/lookup-ignores-case", test_lookup_ignores_case);
  g_test_add_func ("/Asgiref/Headers/lookup-finds-the-first-of-repeats", test_lookup_finds_the_first_of_repeats);
  g_test_add_func ("/Asgiref/Headers/lookup-is-null-when-missing", test_lookup_is_null_when_missing);

  g_test_add_func ("/Asgiref/Headers/to-variant-gives-the-list", test_to_variant_gives_the_list);
  g_test_add_func ("/Asgiref/Headers/to-variant-is-cached", test_to_variant_is_cached);
  g_test_add_func ("/Asgiref/Headers/to-variant-from-many-threads-gives-one-view",
                   test_to_variant_from_many_threads_gives_one_view);

  g_test_add_func ("/Asgiref/Headers/empty-list-from-both-constructors", test_empty_list_from_both_constructors);
  g_test_add_func ("/Asgiref/Headers/empty-list-survives-its-users", test_empty_list_survives_extra_unrefs_of_its_users);

  g_test_add_func ("/Asgiref/Headers/shared-list-outlives-its-messages", test_shared_list_outlives_its_messages);
  g_test_add_func ("/Asgiref/Headers/messages-keep-a-shared-list-alive", test_messages_keep_a_shared_list_alive);

  return g_test_run ();
}
