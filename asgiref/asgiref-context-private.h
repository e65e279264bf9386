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

/* A context holding @snapshot (taken), for copies made with a change. */
AsgirefContext *_asgiref_context_new_for_snapshot      (AsgirefHamt *snapshot);

/* A strong reference to @self's snapshot, from any thread. */
AsgirefHamt *_asgiref_context_dup_snapshot             (AsgirefContext *self);

/* Applies to @self, which the calling thread has entered, what changed
 * from @before to @after: how a bridge hop hands back the values its
 * callee set. Thread-critical values stay behind. */
void         _asgiref_context_apply_changes            (AsgirefContext    *self,
                                                        const AsgirefHamt *before,
                                                        const AsgirefHamt *after);

/* Enters @self unless another thread has it entered. */
gboolean     _asgiref_context_try_enter                (AsgirefContext *self);

/*
 * Whether the thread runs async code, which must not block: code run from
 * a main-context dispatch, except that the bridge runs sync functions from
 * dispatches (an executor's, for one) and starts async operations outside
 * of any. Between a push and its pop, the thread counts as running sync
 * (or async) code, until it dispatches a main context more deeply.
 */
typedef struct _AsgirefThreadFrame AsgirefThreadFrame;

struct _AsgirefThreadFrame
{
  AsgirefThreadFrame *outer;
  gint depth;
};

void         _asgiref_thread_push_sync_frame           (AsgirefThreadFrame *frame);
void         _asgiref_thread_push_async_frame          (AsgirefThreadFrame *frame);
void         _asgiref_thread_pop_frame                 (AsgirefThreadFrame *frame);
gboolean     _asgiref_thread_in_async_code             (void);
/* The thread is running a sync function (its innermost frame is a sync
 * frame, and it dispatches no main loop inside it): it is not running
 * any main context's sources, so it is most likely not a context's
 * owner, which callers can then know without taking the context's lock. */
gboolean     _asgiref_thread_runs_sync_code            (void);

/* A number no other thread of the process has had, never 0. */
guint64      _asgiref_thread_get_id                    (void);

G_END_DECLS
