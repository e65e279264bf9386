/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What ASGI messages and scopes share: both are a{sv} dictionaries, read
 * by the same accessors and checked against tables of keys. */

/* The precondition of every public accessor of a message or a scope.
 * @dict is a plain parameter name, left bare so that the critical names
 * it as the caller's code does ("assertion 'scope != NULL' failed"). */
#define _asgiref_return_val_if_not_vardict(dict, val) \
  g_return_val_if_fail (dict != NULL, val); \
  g_return_val_if_fail (g_variant_is_of_type (dict, G_VARIANT_TYPE_VARDICT), val)

/* Whose keys are checked: it says which error messages name them. */
typedef enum
{
  ASGIREF_VARDICT_MESSAGE,
  ASGIREF_VARDICT_SCOPE,
  ASGIREF_VARDICT_SCOPE_ASGI,   /* the "asgi" dictionary of a scope */
} AsgirefVardictKind;

/* Called on a key's value once its type is right, for the rules the type
 * alone does not say; @type is the dictionary's "type". */
typedef gboolean (*AsgirefKeyCheckFunc) (GVariant    *value,
                                         const char  *type,
                                         GError     **error);

typedef struct
{
  const char          *key;
  const char          *type;      /* a GVariant type string */
  gboolean             required;
  AsgirefKeyCheckFunc  check;     /* nullable */
} AsgirefKeySpec;

/* A value of type "ay" holding @bytes (nullable: empty); floating. */
GVariant   *_asgiref_bytes_value                  (GBytes              *bytes);
/* An empty header list, of type a(ayay); floating. */
GVariant   *_asgiref_empty_headers                (void);

/* A pointer into @dict's own data, valid as long as @dict is: @dict is
 * serialised first (once serialised, it stays so), since a string read
 * from a variant in tree form points into a child that goes away when the
 * variant is serialised later, by g_variant_equal() or
 * g_variant_get_data(), say. %NULL when @dict has no @key string. */
const char *_asgiref_vardict_lookup_string        (GVariant            *dict,
                                                   const char          *key);
/* The bytes of @key, of type ay; when there is none, %NULL or, with
 * @or_empty, empty bytes. */
GBytes     *_asgiref_vardict_lookup_bytes         (GVariant            *dict,
                                                   const char          *key,
                                                   gboolean             or_empty);

/* The "headers" of @dict, of type a(ayay); an empty list when it has
 * none of that type. (transfer full) */
GVariant   *_asgiref_vardict_lookup_headers       (GVariant            *dict);

/* The first checks of a message or a scope (@kind): @dict is an a{sv}
 * with a "type" string. Returns the "type" value (transfer full), or
 * %NULL with @error set. */
GVariant   *_asgiref_vardict_check_type           (GVariant            *dict,
                                                   AsgirefVardictKind   kind,
                                                   GError             **error);

/* Checks @dict against @keys, a table ended by a NULL key, in its order:
 * required keys are there, the keys there have their type and pass their
 * check. @type is the dictionary's "type", for the error messages (NULL
 * for ASGIREF_VARDICT_SCOPE_ASGI, whose keys are all optional). */
gboolean    _asgiref_vardict_check_keys           (GVariant            *dict,
                                                   AsgirefVardictKind   kind,
                                                   const char          *type,
                                                   const AsgirefKeySpec *keys,
                                                   GError             **error);

G_END_DECLS
