/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for AsgirefRequestFraming, which reads untrusted bytes
 * from every client: the first byte of an input says in what pieces the
 * rest reaches the framing (1 to 256 bytes each, as reads would), and the
 * rest is the connection's bytes.
 *
 * Besides not crashing, the framing must not depend on how the bytes were
 * cut: fed in those pieces, and fed whole, it must refuse the same input
 * (with the same reason), or accept it and end in the same state.
 */

#include <stdint.h>
#include <string.h>

#include "asgiref-request-framing-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  AsgirefRequestFraming whole, pieces;
  const char *whole_reason = NULL, *pieces_reason = NULL;
  gboolean whole_ok, pieces_ok = TRUE;
  gsize piece;

  if (size < 1)
    return 0;
  piece = (gsize) data[0] + 1;
  data++;
  size--;

  _asgiref_request_framing_init (&whole);
  _asgiref_request_framing_init (&pieces);

  whole_ok = _asgiref_request_framing_feed (&whole, data, size, &whole_reason);
  for (gsize at = 0; at < size && pieces_ok; at += piece)
    pieces_ok = _asgiref_request_framing_feed (&pieces, data + at, MIN (piece, size - at), &pieces_reason);

  g_assert_cmpint (whole_ok, ==, pieces_ok);
  if (whole_ok)
    {
      g_assert_cmpint (whole.state, ==, pieces.state);
      g_assert_cmpuint (whole.remaining, ==, pieces.remaining);
    }
  else
    g_assert_cmpstr (whole_reason, ==, pieces_reason);

  _asgiref_request_framing_clear (&whole);
  _asgiref_request_framing_clear (&pieces);
  return 0;
}
