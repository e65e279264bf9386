/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-enums.h"
#include "asgiref-error.h"
#include "asgiref-i18n-private.h"
#include "asgiref-vardict-private.h"

GVariant *
_asgiref_bytes_value (GBytes *bytes)
{
  if (bytes == NULL)
    return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, NULL, 0, 1);
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

GVariant *
_asgiref_empty_headers (void)
{
  return g_variant_new_array (G_VARIANT_TYPE ("(ayay)"), NULL, 0);
}

const char *
_asgiref_vardict_lookup_string (GVariant   *dict,
                                const char *key)
{
  const char *value = NULL;

  g_variant_get_data (dict);
  if (!g_variant_lookup (dict, key, "&s", &value))
    return NULL;
  return value;
}

GBytes *
_asgiref_vardict_lookup_bytes (GVariant   *dict,
                               const char *key,
                               gboolean    or_empty)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (dict, key, G_VARIANT_TYPE_BYTESTRING);

  if (value == NULL)
    return or_empty ? g_bytes_new (NULL, 0) : NULL;
  return g_variant_get_data_as_bytes (value);
}

static void
set_wrong_type_error (GError             **error,
                      AsgirefVardictKind   kind,
                      const char          *key,
                      const char          *expected,
                      GVariant            *value)
{
  const char *actual = g_variant_get_type_string (value);

  switch (kind)
    {
    case ASGIREF_VARDICT_MESSAGE:
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("Key “%s” of the ASGI message must be of type “%s”, not “%s”"),
                   key, expected, actual);
      break;
    case ASGIREF_VARDICT_SCOPE:
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("Key “%s” of the ASGI scope must be of type “%s”, not “%s”"),
                   key, expected, actual);
      break;
    case ASGIREF_VARDICT_SCOPE_ASGI:
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("Key “%s” of the “asgi” dictionary of the ASGI scope must be of type “%s”, not “%s”"),
                   key, expected, actual);
      break;
    default:
      g_assert_not_reached ();
    }
}

GVariant *
_asgiref_vardict_lookup_headers (GVariant *dict)
{
  GVariant *headers = g_variant_lookup_value (dict, "headers", G_VARIANT_TYPE ("a(ayay)"));

  if (headers == NULL)
    headers = g_variant_ref_sink (_asgiref_empty_headers ());
  return headers;
}

GVariant *
_asgiref_vardict_check_type (GVariant            *dict,
                             AsgirefVardictKind   kind,
                             GError             **error)
{
  g_autoptr(GVariant) type_value = NULL;

  g_return_val_if_fail (kind != ASGIREF_VARDICT_SCOPE_ASGI, NULL);

  if (!g_variant_is_of_type (dict, G_VARIANT_TYPE_VARDICT))
    {
      if (kind == ASGIREF_VARDICT_MESSAGE)
        g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                     _("An ASGI message must be a dictionary of type “a{sv}”, not “%s”"),
                     g_variant_get_type_string (dict));
      else
        g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                     _("An ASGI scope must be a dictionary of type “a{sv}”, not “%s”"),
                     g_variant_get_type_string (dict));
      return NULL;
    }

  type_value = g_variant_lookup_value (dict, "type", NULL);
  if (type_value == NULL)
    {
      if (kind == ASGIREF_VARDICT_MESSAGE)
        g_set_error_literal (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                             _("The ASGI message has no “type” key"));
      else
        g_set_error_literal (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                             _("The ASGI scope has no “type” key"));
      return NULL;
    }
  if (!g_variant_is_of_type (type_value, G_VARIANT_TYPE_STRING))
    {
      set_wrong_type_error (error, kind, "type", "s", type_value);
      return NULL;
    }

  return g_steal_pointer (&type_value);
}

static void
set_missing_key_error (GError             **error,
                       AsgirefVardictKind   kind,
                       const char          *type,
                       const char          *key)
{
  switch (kind)
    {
    case ASGIREF_VARDICT_MESSAGE:
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The ASGI message “%s” lacks the required key “%s”"),
                   type, key);
      break;
    case ASGIREF_VARDICT_SCOPE:
      g_set_error (error, ASGIREF_ERROR, ASGIREF_ERROR_INVALID_MESSAGE,
                   _("The ASGI scope “%s” lacks the required key “%s”"),
                   type, key);
      break;
    case ASGIREF_VARDICT_SCOPE_ASGI:
    default:
      /* The "asgi" dictionary has no required key. */
      g_assert_not_reached ();
    }
}

gboolean
_asgiref_vardict_check_keys (GVariant             *dict,
                             AsgirefVardictKind    kind,
                             const char           *type,
                             const AsgirefKeySpec *keys,
                             GError              **error)
{
  for (const AsgirefKeySpec *key = keys; key != NULL && key->key != NULL; key++)
    {
      g_autoptr(GVariant) value = g_variant_lookup_value (dict, key->key, NULL);

      if (value == NULL)
        {
          if (key->required)
            {
              set_missing_key_error (error, kind, type, key->key);
              return FALSE;
            }
          continue;
        }

      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (key->type)))
        {
          set_wrong_type_error (error, kind, key->key, key->type, value);
          return FALSE;
        }

      if (key->check != NULL && !key->check (value, type, error))
        return FALSE;
    }

  return TRUE;
}
