/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "asgiref-context.h"
#include "asgiref-hamt-private.h"

G_BEGIN_DECLS

/*
 * The snapshot of the current context, for Local. Only the thread that has
 * a context entered ever replaces its snapshot, so the calling thread may
 * read it without a lock; the pointer stays valid until this thread
 * replaces it or leaves the context.
 */
AsgirefHamt *_asgiref_context_peek_current_snapshot    (void);
/* Takes @snapshot; copies made from other threads see either map whole. */
void         _asgiref_context_replace_current_snapshot (AsgirefHamt *snapshot);

/* The per-thread map behind thread-critical Locals on a plain thread. It
 * is never shared, so no lock guards it. */
AsgirefHamt *_asgiref_thread_peek_snapshot             (void);
void         _asgiref_thread_replace_snapshot          (AsgirefHamt *snapshot);

/* A number no other thread of the process has had, never 0. */
guint64      _asgiref_thread_get_id                    (void);

G_END_DECLS
