/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Completions queued for a main context: what GTask does with an idle
 * source for each result it cannot deliver at once, without the source.
 * Each GMainContext has at most one completion source, attached when
 * first asked for and kept until the context goes away; queuing an entry
 * costs a lock and a list append, and the source dispatches every entry
 * queued before its dispatch, in order, in one go. Entries queued from
 * its dispatch run in a later iteration, as an idle's would.
 *
 * The entry is embedded in what it completes: queuing allocates nothing.
 */
typedef struct _AsgirefCompletion AsgirefCompletion;

/* Runs @completion on its context (@run TRUE); or, with @run FALSE, the
 * context went away before it could run: only release what it holds. */
typedef void (*AsgirefCompletionFunc) (AsgirefCompletion *completion,
                                       gboolean           run);

struct _AsgirefCompletion
{
  AsgirefCompletion *next;       /* the source's */
  AsgirefCompletionFunc func;
};

typedef struct _AsgirefCompletionSource AsgirefCompletionSource;

/* The completion source of @context (not %NULL). Any thread.
 * (transfer full) */
AsgirefCompletionSource *_asgiref_completion_source_get   (GMainContext            *context);
void                     _asgiref_completion_source_unref (AsgirefCompletionSource *self);

/* @completion->func runs with it on the source's context, after the
 * entries queued before it, from a dispatch that starts after this call.
 * Any thread. */
void                     _asgiref_completion_source_queue (AsgirefCompletionSource *self,
                                                           AsgirefCompletion       *completion);

G_END_DECLS
