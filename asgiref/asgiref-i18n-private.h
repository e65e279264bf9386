/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The text domain is bound on first use, so that programs need no
 * initialisation call before the library's messages are translated. */
const char *_asgiref_gettext (const char *msgid) G_GNUC_FORMAT (1);

#define _(String) _asgiref_gettext (String)
#define N_(String) (String)

G_END_DECLS
