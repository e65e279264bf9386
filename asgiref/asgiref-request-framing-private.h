/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Follows the requests of one HTTP/1.x connection through its bytes, as
 * they go to libsoup, and checks the framing of their bodies, which
 * libsoup 3.2 reads leniently: a chunk size of "zz" (strtoul() makes it 0,
 * the last chunk), "0x5" or "-1", a chunk not followed by its CRLF, a
 * Content-Length that is not a number (read as 0). Each leaves the rest of
 * the body to be read as a request of its own, which is how requests are
 * smuggled past a proxy that framed the body differently.
 *
 * It agrees with libsoup where the framing is valid: requests end where
 * libsoup ends them. Where libsoup has no single reading either (several
 * lengths, a Transfer-Encoding other than chunked, both), the server
 * refuses the request and closes; an upgrade leaves HTTP. The checking
 * stops there.
 */
typedef struct
{
  int state;
  GString *line;       /* the request head so far, or a chunk's line */
  gsize line_start;    /* in the head: where its current line starts */
  guint64 remaining;   /* of the body or of the chunk */
} AsgirefRequestFraming;

void     _asgiref_request_framing_init  (AsgirefRequestFraming  *self);
void     _asgiref_request_framing_clear (AsgirefRequestFraming  *self);

/* Follows the next @size bytes of the connection. FALSE, with the reason
 * in @reason (static, untranslated, for a debug message), at bytes that
 * break the framing rules of HTTP/1.1 (RFC 9112): the connection must
 * close. */
gboolean _asgiref_request_framing_feed  (AsgirefRequestFraming  *self,
                                         const guint8           *data,
                                         gsize                   size,
                                         const char            **reason);

G_END_DECLS
