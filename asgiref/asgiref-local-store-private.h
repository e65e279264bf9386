/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

#include "asgiref-context.h"
#include "asgiref-hamt-private.h"

G_BEGIN_DECLS

/*
 * Where AsgirefLocal keeps values: slots, the entries of the maps, and the
 * stores shared between threads (main contexts and scope objects).
 */

/* Values of all Locals share the stores; a slot's key says whose it is. */
typedef struct
{
  AsgirefHamtEntry parent;
  guint64 local_id;
  guint64 thread_tag;   /* 0, or the only thread that may see the slot */
  char *name;           /* NULL for the Local's "initialised here" marker */
  GValue value;         /* G_TYPE_INVALID for values given as pointers */
  gpointer data;
  GDestroyNotify destroy;
} AsgirefSlot;

typedef struct
{
  guint64 local_id;
  guint64 thread_tag;
  const char *name;
} AsgirefSlotKey;

/*
 * A store shared between threads: the values of a main context or a scope
 * object. Unlike a context's, any thread may write it, so reads take the
 * lock too.
 */
typedef struct
{
  gatomicrefcount ref;
  GMutex lock;
  AsgirefHamt *snapshot;
} AsgirefSharedStore;

static inline guint
_asgiref_slot_hash (const AsgirefSlotKey *key)
{
  guint64 mixed;
  guint hash = 5381;

  /* g_str_hash's function, inlined: this runs on every access. */
  if (key->name != NULL)
    for (const char *p = key->name; *p != '\0'; p++)
      hash = (hash << 5) + hash + (guchar) *p;
  else
    hash = 0x5bd1e995u;

  mixed = (key->local_id * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)) ^ key->thread_tag;
  hash ^= (guint) (mixed ^ (mixed >> 32));
  /* Spread the bits that the trie's first levels use. */
  hash ^= hash >> 16;
  hash *= 0x85ebca6bu;
  hash ^= hash >> 13;
  return hash;
}

gboolean            _asgiref_slot_matches              (const AsgirefHamtEntry *entry,
                                                        gconstpointer           key);
AsgirefSlot        *_asgiref_slot_new                  (const AsgirefSlotKey   *key);
void                _asgiref_slot_free                 (gpointer                data);
gpointer            _asgiref_slot_peek_pointer         (const AsgirefSlot      *slot);

AsgirefSharedStore *_asgiref_shared_store_ref          (AsgirefSharedStore     *store);
void                _asgiref_shared_store_unref        (gpointer                data);
AsgirefHamt        *_asgiref_shared_store_dup_snapshot (AsgirefSharedStore     *store);

/* Replaces *@map by a map that also holds @slot (a reference is taken). */
void                _asgiref_slots_put                 (AsgirefHamt           **map,
                                                        AsgirefSlot            *slot);

/* @target with the changes from @before to @after applied, leaving out
 * thread-critical values, which never cross threads (transfer full). */
AsgirefHamt        *_asgiref_slots_apply_changes       (AsgirefHamt            *target,
                                                        const AsgirefHamt      *before,
                                                        const AsgirefHamt      *after);

/*
 * The library's own values in the current context (the bridge's scope):
 * slots of local_id 0, which no Local has, so they follow the context
 * through copies and hops like any value, but skip what a Local does on
 * each access (finding the store, initialisation on a miss). Names are
 * static strings, never copied. Setting NULL removes the value.
 */
#define ASGIREF_INTERNAL_LOCAL_ID 0

gpointer            _asgiref_context_value_get         (const char             *name);
void                _asgiref_context_value_set         (const char             *name,
                                                        gpointer                data,
                                                        GDestroyNotify          destroy);
/* A copy of @context with @data set under @name, from any thread: what
 * copying, entering, setting and leaving gives, without entering. */
AsgirefContext     *_asgiref_context_copy_with_value   (AsgirefContext         *context,
                                                        const char             *name,
                                                        gpointer                data,
                                                        GDestroyNotify          destroy);

/* The store of the calling thread's thread-default main context. */
AsgirefSharedStore *_asgiref_main_context_store_get    (void);
/* The store attached to @object, created on first use. */
AsgirefSharedStore *_asgiref_scope_store_get           (GObject                *object);

G_END_DECLS
