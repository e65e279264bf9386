/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (ASGIREF_INSIDE) && !defined (ASGIREF_COMPILATION)
# error "Only <asgiref.h> can be included directly."
#endif

#include <glib-object.h>

#include "asgiref-version-macros.h"

G_BEGIN_DECLS

#define ASGIREF_TYPE_HEADERS (asgiref_headers_get_type ())

typedef struct _AsgirefHeaders AsgirefHeaders;

ASGIREF_AVAILABLE_IN_1_0
GType           asgiref_headers_get_type         (void) G_GNUC_CONST;

ASGIREF_AVAILABLE_IN_1_0
AsgirefHeaders *asgiref_headers_new              (const char * const  *names,
                                                  const char * const  *values,
                                                  GError             **error);
ASGIREF_AVAILABLE_IN_1_0
AsgirefHeaders *asgiref_headers_new_from_variant (GVariant            *variant,
                                                  GError             **error);
ASGIREF_AVAILABLE_IN_1_0
AsgirefHeaders *asgiref_headers_ref              (AsgirefHeaders      *headers);
ASGIREF_AVAILABLE_IN_1_0
void            asgiref_headers_unref            (AsgirefHeaders      *headers);

ASGIREF_AVAILABLE_IN_1_0
guint           asgiref_headers_get_length       (AsgirefHeaders      *headers);
ASGIREF_AVAILABLE_IN_1_0
const char     *asgiref_headers_get_name         (AsgirefHeaders      *headers,
                                                  guint                index);
ASGIREF_AVAILABLE_IN_1_0
const char     *asgiref_headers_get_value        (AsgirefHeaders      *headers,
                                                  guint                index);
ASGIREF_AVAILABLE_IN_1_0
const char     *asgiref_headers_lookup           (AsgirefHeaders      *headers,
                                                  const char          *name);
ASGIREF_AVAILABLE_IN_1_0
GVariant       *asgiref_headers_to_variant       (AsgirefHeaders      *headers);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsgirefHeaders, asgiref_headers_unref)

G_END_DECLS
