/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A persistent hash array mapped trie: the immutable map behind every
 * AsgirefContext snapshot.
 *
 * A map is a pointer to its root node; NULL is the empty map. Every
 * operation that changes something returns a new map and leaves its input
 * untouched, copying only the nodes on the path to the change (at most
 * seven levels of 32-way nodes), so snapshots share everything else.
 * Maps, nodes and entries are refcounted with atomics and never mutated
 * after they are published, so any number of threads may read them.
 *
 * Entries are the caller's: a struct that starts with AsgirefHamtEntry.
 * The map holds one reference per slot and releases it with the entry's
 * own free function when the last node holding it goes.
 */

typedef struct _AsgirefHamtNode AsgirefHamt;

typedef struct
{
  gint ref;             /* atomic */
  guint hash;
  GDestroyNotify free_func;
} AsgirefHamtEntry;

/* Whether @entry is the one @key names; only called when hashes match. */
typedef gboolean (*AsgirefHamtMatch) (const AsgirefHamtEntry *entry,
                                      gconstpointer           key);

typedef void (*AsgirefHamtForeach) (AsgirefHamtEntry *entry,
                                    gpointer          user_data);

void              _asgiref_hamt_entry_init  (AsgirefHamtEntry   *entry,
                                             guint               hash,
                                             GDestroyNotify      free_func);
AsgirefHamtEntry *_asgiref_hamt_entry_ref   (AsgirefHamtEntry   *entry);
void              _asgiref_hamt_entry_unref (AsgirefHamtEntry   *entry);

AsgirefHamt      *_asgiref_hamt_ref         (AsgirefHamt        *map);
void              _asgiref_hamt_unref       (AsgirefHamt        *map);

AsgirefHamtEntry *_asgiref_hamt_lookup      (const AsgirefHamt  *map,
                                             guint               hash,
                                             gconstpointer       key,
                                             AsgirefHamtMatch    match);
AsgirefHamt      *_asgiref_hamt_insert      (AsgirefHamt        *map,
                                             AsgirefHamtEntry   *entry,
                                             gconstpointer       key,
                                             AsgirefHamtMatch    match);
AsgirefHamt      *_asgiref_hamt_remove      (AsgirefHamt        *map,
                                             guint               hash,
                                             gconstpointer       key,
                                             AsgirefHamtMatch    match,
                                             gboolean           *removed);
guint             _asgiref_hamt_size        (const AsgirefHamt  *map);
void              _asgiref_hamt_foreach     (const AsgirefHamt  *map,
                                             AsgirefHamtForeach  func,
                                             gpointer            user_data);

G_END_DECLS
