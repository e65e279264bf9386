/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-headers.h"

G_BEGIN_DECLS

/* One header: NUL-terminated name (lower-case) and value, with lengths. */
typedef struct
{
  const char *name;
  const char *value;
  guint32     name_len;
  guint32     value_len;
} AsgirefHeader;

struct _AsgirefHeaders
{
  gatomicrefcount  ref_count;
  guint            length;
  AsgirefHeader   *headers;  /* points into the same allocation */
  GVariant        *view;     /* a(ayay), built on demand; set once, atomically */
};

/* The list with no header: immortal, shared (transfer none). */
AsgirefHeaders *_asgiref_headers_empty (void);

/*
 * For callers that already hold headers in another form (libsoup's): a
 * list of @length headers with room for @string_size bytes of names and
 * values (their lengths, without terminators), filled in order by
 * _asgiref_headers_put() and checked by _asgiref_headers_check().
 */
AsgirefHeaders *_asgiref_headers_alloc (guint       length,
                                        gsize       string_size);
/* Copies header @index in, after header @index - 1; with @lower, the
 * name is stored lower-case. */
void            _asgiref_headers_put   (AsgirefHeaders *headers,
                                        guint           index,
                                        const char     *name,
                                        gsize           name_len,
                                        const char     *value,
                                        gsize           value_len,
                                        gboolean        lower);
/* ASGI's header rules (names: RFC 9110 tokens, lower-case; values: no CR,
 * LF or NUL), with an error naming the first header that breaks them. */
gboolean        _asgiref_headers_check (AsgirefHeaders *headers,
                                        GError        **error);

/* Whether a header named @name (lower-case) is there. */
gboolean        _asgiref_headers_contain (AsgirefHeaders *headers,
                                          const char     *name);

/* The header rules, for an a(ayay) list: the checks of
 * asgiref_headers_new_from_variant(), for validating the a{sv} form of
 * messages and scopes. */
gboolean        _asgiref_headers_validate (GVariant  *headers,
                                           GError   **error);

G_END_DECLS
