/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-headers-private.h"
#include "asgiref-i18n-private.h"

/**
 * AsgirefHeaders:
 *
 * The headers of an ASGI scope or message: an immutable list of
 * name/value pairs, in order, repeats allowed, as ASGI's
 * `Iterable[[byte string, byte string]]`.
 *
 * Names are lower-case RFC 9110 tokens; values carry no CR, LF or NUL
 * byte. Both constructors check this, so a list that exists is one HTTP
 * can carry: a server writes it out as it is.
 *
 * ```c
 * static const char * const names[] = { "content-type", "cache-control", NULL };
 * static const char * const values[] = { "text/plain", "no-store", NULL };
 * g_autoptr(AsgirefHeaders) headers = asgiref_headers_new (names, values, &error);
 *
 * for (guint i = 0; i < asgiref_headers_get_length (headers); i++)
 *   g_print ("%s: %s\n", asgiref_headers_get_name (headers, i),
 *            asgiref_headers_get_value (headers, i));
 * ```
 *
 * Headers are refcounted and may be shared between threads. Bindings that
 * want ASGI's list of byte-string pairs get it from
 * [method@Asgiref.Headers.to_variant] (type `a(ayay)`).
 */

G_DEFINE_BOXED_TYPE (AsgirefHeaders, asgiref_headers, asgiref_headers_ref, asgiref_headers_unref)

static AsgirefHeaders empty_headers;   /* immortal: ref and unref skip it */

AsgirefHeaders *
_asgiref_headers_empty (void)
{
  return &empty_headers;
}

AsgirefHeaders *
_asgiref_headers_alloc (guint length,
                        gsize string_size)
{
  AsgirefHeaders *self;

  if (length == 0)
    return asgiref_headers_ref (&empty_headers);

  /* One allocation: the list, its entries, then their strings, each with
   * its terminator. */
  self = g_malloc (sizeof *self + length * sizeof (AsgirefHeader) + string_size + 2 * (gsize) length);
  g_atomic_ref_count_init (&self->ref_count);
  self->length = length;
  self->headers = (AsgirefHeader *) (self + 1);
  self->view = NULL;
  return self;
}

static char *
copy_string (char       *to,
             const char *from,
             gsize       len,
             gboolean    lower)
{
  if (lower)
    for (gsize i = 0; i < len; i++)
      to[i] = g_ascii_tolower (from[i]);
  else if (len > 0)   /* an empty byte string's data may be NULL */
    memcpy (to, from, len);
  to[len] = '\0';
  return to + len + 1;
}

void
_asgiref_headers_put (AsgirefHeaders *self,
                      guint           index,
                      const char     *name,
                      gsize           name_len,
                      const char     *value,
                      gsize           value_len,
                      gboolean        lower)
{
  AsgirefHeader *header = &self->headers[index];
  char *strings;

  g_assert (index < self->length);
  g_assert (name_len <= G_MAXUINT32 && value_len <= G_MAXUINT32);

  if (index == 0)
    strings = (char *) (self->headers + self->length);
  else
    strings = (char *) self->headers[index - 1].value + self->headers[index - 1].value_len + 1;

  header->name = strings;
  header->name_len = name_len;
  strings = copy_string (strings, name, name_len, lower);
  header->value = strings;
  header->value_len = value_len;
  copy_string (strings, value, value_len, FALSE);
}

/* RFC 9110's tchar: what a header name may be made of. A colon is not
 * one, which keeps HTTP/2 pseudo-headers (":authority") out, as ASGI
 * asks; neither is a space, which would let a name smuggle in a value. */
static gboolean
is_token_char (guint8 c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
has_line_break_or_nul (const char *data,
                       gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (data[i] == '\r' || data[i] == '\n' || data[i] == '\0')
      return TRUE;
  return FALSE;
}

gboolean
_asgiref_headers_check (AsgirefHeaders  *self,
                        GError         **error)
{
  for (guint i = 0; i < self->length; i++)
    {
      const AsgirefHeader *header = &self->headers[i];

      if (header->name_len == 0)
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("Header %u has an empty name"), i);
          return FALSE;
        }
      if (has_line_break_or_nul (header->name, header->name_len))
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("Header %u has a CR, LF or NUL byte in its name"), i);
          return FALSE;
        }
      for (gsize j = 0; j < header->name_len; j++)
        if (g_ascii_isupper (header->name[j]))
          {
            g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                         _("Header %u has a name that is not lower-case"), i);
            return FALSE;
          }
      for (gsize j = 0; j < header->name_len; j++)
        if (!is_token_char (header->name[j]))
          {
            g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                         _("Header %u has a name with a byte that HTTP does not allow in one (0x%02x)"),
                         i, (guint8) header->name[j]);
            return FALSE;
          }
      if (has_line_break_or_nul (header->value, header->value_len))
        {
          g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                       _("Header %u has a CR, LF or NUL byte in its value"), i);
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * asgiref_headers_new:
 * @names: (array zero-terminated=1): the header names, in order; stored
 *   lower-case, as ASGI wants them
 * @values: (array zero-terminated=1): the value of each name, as many as
 *   @names
 * @error: return location for a #GError
 *
 * Makes a header list, for a response (`http.response.start`), a scope or
 * a test.
 *
 * Fails with %ASGIREF_ERROR_INVALID_MESSAGE when a header could not be
 * carried by HTTP/1.1: a name that is empty or not an RFC 9110 token (a
 * colon, a space, a CR or LF in it, say), or a value with a CR, LF or NUL
 * byte, which would split the header.
 *
 * Returns: (transfer full): the headers, or %NULL on error
 */
AsgirefHeaders *
asgiref_headers_new (const char * const  *names,
                     const char * const  *values,
                     GError             **error)
{
  g_autoptr(AsgirefHeaders) self = NULL;
  gsize string_size = 0;
  guint n;

  g_return_val_if_fail (names != NULL, NULL);
  g_return_val_if_fail (values != NULL, NULL);
  g_return_val_if_fail (g_strv_length ((char **) names) == g_strv_length ((char **) values), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (n = 0; names[n] != NULL; n++)
    string_size += strlen (names[n]) + strlen (values[n]);

  self = _asgiref_headers_alloc (n, string_size);
  for (guint i = 0; i < n; i++)
    _asgiref_headers_put (self, i, names[i], strlen (names[i]), values[i], strlen (values[i]), TRUE);

  if (!_asgiref_headers_check (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

static const guint8 *
fixed_bytes (GVariant *bytes,
             gsize    *len)
{
  return g_variant_get_fixed_array (bytes, len, 1);
}

/**
 * asgiref_headers_new_from_variant:
 * @variant: a header list of type `a(ayay)`, as ASGI's list of byte-string
 *   pairs
 * @error: return location for a #GError
 *
 * Makes a header list from its [struct@GLib.Variant] form: what bindings
 * use to pass a list of byte-string pairs. The names must already be
 * lower-case.
 *
 * Fails with %ASGIREF_ERROR_INVALID_MESSAGE when @variant is not of type
 * `a(ayay)` or breaks a rule of [ctor@Asgiref.Headers.new], or a name is
 * not lower-case. Does not consume a floating reference.
 *
 * Returns: (transfer full): the headers, or %NULL on error
 */
AsgirefHeaders *
asgiref_headers_new_from_variant (GVariant  *variant,
                                  GError   **error)
{
  g_autoptr(AsgirefHeaders) self = NULL;
  gsize n, string_size = 0;

  g_return_val_if_fail (variant != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_variant_is_of_type (variant, G_VARIANT_TYPE ("a(ayay)")))
    {
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("Headers must be of type “a(ayay)”, not “%s”"),
                   g_variant_get_type_string (variant));
      return NULL;
    }

  n = g_variant_n_children (variant);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) name = NULL;
      g_autoptr(GVariant) value = NULL;

      g_variant_get_child (variant, i, "(@ay@ay)", &name, &value);
      string_size += g_variant_get_size (name) + g_variant_get_size (value);
    }

  self = _asgiref_headers_alloc (n, string_size);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) name = NULL;
      g_autoptr(GVariant) value = NULL;
      const guint8 *name_data, *value_data;
      gsize name_len, value_len;

      g_variant_get_child (variant, i, "(@ay@ay)", &name, &value);
      name_data = fixed_bytes (name, &name_len);
      value_data = fixed_bytes (value, &value_len);
      _asgiref_headers_put (self, i, (const char *) name_data, name_len,
                            (const char *) value_data, value_len, FALSE);
    }

  if (!_asgiref_headers_check (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
_asgiref_headers_validate (GVariant  *headers,
                           GError   **error)
{
  g_autoptr(AsgirefHeaders) checked = asgiref_headers_new_from_variant (headers, error);

  return checked != NULL;
}

/**
 * asgiref_headers_ref:
 * @headers: a header list
 *
 * Takes a reference to @headers. Any thread may call it.
 *
 * Returns: (transfer full): @headers
 */
AsgirefHeaders *
asgiref_headers_ref (AsgirefHeaders *headers)
{
  g_return_val_if_fail (headers != NULL, NULL);

  if (headers != &empty_headers)
    g_atomic_ref_count_inc (&headers->ref_count);
  return headers;
}

/**
 * asgiref_headers_unref:
 * @headers: (transfer full): a header list
 *
 * Drops a reference to @headers, and frees it with the last one. Any
 * thread may call it.
 */
void
asgiref_headers_unref (AsgirefHeaders *headers)
{
  g_return_if_fail (headers != NULL);

  if (headers == &empty_headers || !g_atomic_ref_count_dec (&headers->ref_count))
    return;

  g_clear_pointer (&headers->view, g_variant_unref);
  g_free (headers);
}

/**
 * asgiref_headers_get_length:
 * @headers: a header list
 *
 * Counts the headers of @headers, for reading them by index with
 * [method@Asgiref.Headers.get_name] and [method@Asgiref.Headers.get_value].
 *
 * Returns: how many headers @headers has, repeats counted
 */
guint
asgiref_headers_get_length (AsgirefHeaders *headers)
{
  g_return_val_if_fail (headers != NULL, 0);

  return headers->length;
}

/**
 * asgiref_headers_get_name:
 * @headers: a header list
 * @index: which header, from 0 to [method@Asgiref.Headers.get_length] - 1
 *
 * Reads the name of header @index: lower-case ASCII.
 *
 * Returns: (transfer none): the name, valid as long as @headers
 */
const char *
asgiref_headers_get_name (AsgirefHeaders *headers,
                          guint           index)
{
  g_return_val_if_fail (headers != NULL, NULL);
  g_return_val_if_fail (index < headers->length, NULL);

  return headers->headers[index].name;
}

/**
 * asgiref_headers_get_value:
 * @headers: a header list
 * @index: which header, from 0 to [method@Asgiref.Headers.get_length] - 1
 *
 * Reads the value of header @index, as the client or the application gave
 * it. HTTP allows bytes that are not UTF-8 in a value (obs-text): bindings
 * that need the exact bytes read [method@Asgiref.Headers.to_variant].
 *
 * Returns: (transfer none): the value, valid as long as @headers
 */
const char *
asgiref_headers_get_value (AsgirefHeaders *headers,
                           guint           index)
{
  g_return_val_if_fail (headers != NULL, NULL);
  g_return_val_if_fail (index < headers->length, NULL);

  return headers->headers[index].value;
}

/**
 * asgiref_headers_lookup:
 * @headers: a header list
 * @name: a header name, in any case
 *
 * Finds the first header named @name.
 *
 * Returns: (transfer none) (nullable): its value, or %NULL when @headers
 *   has none of that name
 */
const char *
asgiref_headers_lookup (AsgirefHeaders *headers,
                        const char     *name)
{
  g_return_val_if_fail (headers != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < headers->length; i++)
    if (g_ascii_strcasecmp (headers->headers[i].name, name) == 0)
      return headers->headers[i].value;
  return NULL;
}

gboolean
_asgiref_headers_contain (AsgirefHeaders *headers,
                          const char     *name)
{
  for (guint i = 0; i < headers->length; i++)
    if (strcmp (headers->headers[i].name, name) == 0)
      return TRUE;
  return FALSE;
}

static GVariant *
bytes_variant (const char *data,
               gsize       len)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1);
}

/**
 * asgiref_headers_to_variant:
 * @headers: a header list
 *
 * Gives @headers in the form bindings and logs use: ASGI's list of
 * byte-string pairs, a [struct@GLib.Variant] of type `a(ayay)`. It is
 * built the first time it is asked for, then kept.
 *
 * Returns: (transfer full): the headers, of type `a(ayay)`, not floating
 */
GVariant *
asgiref_headers_to_variant (AsgirefHeaders *headers)
{
  GVariantBuilder builder;
  GVariant *view;

  g_return_val_if_fail (headers != NULL, NULL);

  view = g_atomic_pointer_get (&headers->view);
  if (view != NULL)
    return g_variant_ref (view);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ayay)"));
  for (guint i = 0; i < headers->length; i++)
    g_variant_builder_add (&builder, "(@ay@ay)",
                           bytes_variant (headers->headers[i].name, headers->headers[i].name_len),
                           bytes_variant (headers->headers[i].value, headers->headers[i].value_len));
  view = g_variant_ref_sink (g_variant_builder_end (&builder));

  /* The empty list is shared and immortal: its view is made once, like
   * any other's, and kept for the life of the process. */
  if (!g_atomic_pointer_compare_and_exchange (&headers->view, NULL, view))
    {
      g_variant_unref (view);
      view = g_atomic_pointer_get (&headers->view);
    }
  return g_variant_ref (view);
}
