/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "asgiref-context-private.h"
#include "asgiref-local-store-private.h"
#include "asgiref-lock-private.h"

gboolean
_asgiref_slot_matches (const AsgirefHamtEntry *entry,
                       gconstpointer           data)
{
  const AsgirefSlot *slot = (const AsgirefSlot *) entry;
  const AsgirefSlotKey *key = data;

  if (slot->local_id != key->local_id || slot->thread_tag != key->thread_tag)
    return FALSE;
  if (slot->name == NULL || key->name == NULL)
    return slot->name == key->name;
  return strcmp (slot->name, key->name) == 0;
}

void
_asgiref_slot_free (gpointer data)
{
  AsgirefSlot *slot = data;

  if (G_VALUE_TYPE (&slot->value) != G_TYPE_INVALID)
    g_value_unset (&slot->value);
  else if (slot->destroy != NULL)
    slot->destroy (slot->data);
  /* The library's own values are named by static strings. */
  if (slot->local_id != ASGIREF_INTERNAL_LOCAL_ID)
    g_free (slot->name);
  g_free (slot);
}

AsgirefSlot *
_asgiref_slot_new (const AsgirefSlotKey *key)
{
  AsgirefSlot *slot = g_new0 (AsgirefSlot, 1);

  _asgiref_hamt_entry_init (&slot->parent, _asgiref_slot_hash (key), _asgiref_slot_free);
  slot->local_id = key->local_id;
  slot->thread_tag = key->thread_tag;
  slot->name = g_strdup (key->name);
  return slot;
}

gpointer
_asgiref_slot_peek_pointer (const AsgirefSlot *slot)
{
  GType type;

  if (G_VALUE_TYPE (&slot->value) == G_TYPE_INVALID)
    return slot->data;

  type = G_VALUE_TYPE (&slot->value);
  if (g_type_value_table_peek (type)->value_peek_pointer == NULL)
    return NULL;
  return g_value_peek_pointer (&slot->value);
}

/* A slot of the library's own, named by the static string in @key. */
static AsgirefSlot *
internal_slot_new (const AsgirefSlotKey *key,
                   gpointer              data,
                   GDestroyNotify        destroy)
{
  AsgirefSlot *slot = g_new0 (AsgirefSlot, 1);

  _asgiref_hamt_entry_init (&slot->parent, _asgiref_slot_hash (key), _asgiref_slot_free);
  slot->local_id = ASGIREF_INTERNAL_LOCAL_ID;
  slot->name = (char *) key->name;
  slot->data = data;
  slot->destroy = destroy;
  return slot;
}

gpointer
_asgiref_context_value_get (const char *name)
{
  AsgirefSlotKey key = { ASGIREF_INTERNAL_LOCAL_ID, 0, name };
  const AsgirefSlot *slot;

  slot = (const AsgirefSlot *) _asgiref_hamt_lookup (_asgiref_context_peek_current_snapshot (),
                                                     _asgiref_slot_hash (&key), &key,
                                                     _asgiref_slot_matches);
  return slot != NULL ? slot->data : NULL;
}

void
_asgiref_context_value_set (const char     *name,
                            gpointer        data,
                            GDestroyNotify  destroy)
{
  AsgirefSlotKey key = { ASGIREF_INTERNAL_LOCAL_ID, 0, name };
  AsgirefHamt *snapshot = _asgiref_context_peek_current_snapshot ();
  AsgirefSlot *slot;
  gboolean removed;

  if (data == NULL)
    {
      snapshot = _asgiref_hamt_remove (snapshot, _asgiref_slot_hash (&key), &key,
                                       _asgiref_slot_matches, &removed);
      if (removed)
        _asgiref_context_replace_current_snapshot (snapshot);
      else
        _asgiref_hamt_unref (snapshot);
      return;
    }

  slot = internal_slot_new (&key, data, destroy);
  _asgiref_context_replace_current_snapshot (_asgiref_hamt_insert (snapshot, &slot->parent, &key,
                                                                   _asgiref_slot_matches));
}

AsgirefContext *
_asgiref_context_copy_with_value (AsgirefContext *context,
                                  const char     *name,
                                  gpointer        data,
                                  GDestroyNotify  destroy)
{
  AsgirefSlotKey key = { ASGIREF_INTERNAL_LOCAL_ID, 0, name };
  AsgirefHamt *snapshot = _asgiref_context_dup_snapshot (context);
  AsgirefHamt *with;
  AsgirefSlot *slot;

  slot = internal_slot_new (&key, data, destroy);
  with = _asgiref_hamt_insert (snapshot, &slot->parent, &key, _asgiref_slot_matches);
  _asgiref_hamt_unref (snapshot);
  return _asgiref_context_new_for_snapshot (with);
}

static AsgirefSharedStore *
shared_store_new (void)
{
  AsgirefSharedStore *store = g_new0 (AsgirefSharedStore, 1);

  g_atomic_ref_count_init (&store->ref);
  g_mutex_init (&store->lock);
  return store;
}

AsgirefSharedStore *
_asgiref_shared_store_ref (AsgirefSharedStore *store)
{
  g_atomic_ref_count_inc (&store->ref);
  return store;
}

void
_asgiref_shared_store_unref (gpointer data)
{
  AsgirefSharedStore *store = data;

  if (!g_atomic_ref_count_dec (&store->ref))
    return;
  _asgiref_hamt_unref (store->snapshot);
  g_mutex_clear (&store->lock);
  g_free (store);
}

AsgirefHamt *
_asgiref_shared_store_dup_snapshot (AsgirefSharedStore *store)
{
  AsgirefHamt *snapshot;

  _asgiref_mutex_lock (&store->lock);
  snapshot = _asgiref_hamt_ref (store->snapshot);
  _asgiref_mutex_unlock (&store->lock);
  return snapshot;
}

/* ---- Main-context stores ------------------------------------------------
 *
 * A GMainContext has no data slots and no finalization hook, but it frees
 * its sources when it goes: a source that is never ready carries the store
 * and drops it from the table when the main context finalizes it.
 */

typedef struct
{
  GSource source;
  GMainContext *main_context;
  AsgirefSharedStore *store;
} StoreSource;

G_LOCK_DEFINE_STATIC (main_context_stores);
static GHashTable *main_context_stores;

static void
store_source_finalize (GSource *source)
{
  StoreSource *self = (StoreSource *) source;

  G_LOCK (main_context_stores);
  _asgiref_tsan_acquire (&main_context_stores);
  g_hash_table_remove (main_context_stores, self->main_context);
  _asgiref_tsan_release (&main_context_stores);
  G_UNLOCK (main_context_stores);

  _asgiref_shared_store_unref (self->store);
}

static GSourceFuncs store_source_funcs = {
  .finalize = store_source_finalize,
};

AsgirefSharedStore *
_asgiref_main_context_store_get (void)
{
  GMainContext *main_context;
  AsgirefSharedStore *store;

  main_context = g_main_context_get_thread_default ();
  if (main_context == NULL)
    main_context = g_main_context_default ();

  G_LOCK (main_context_stores);
  _asgiref_tsan_acquire (&main_context_stores);

  if (main_context_stores == NULL)
    main_context_stores = g_hash_table_new (NULL, NULL);

  store = g_hash_table_lookup (main_context_stores, main_context);
  if (store == NULL)
    {
      StoreSource *source;

      source = (StoreSource *) g_source_new (&store_source_funcs, sizeof (StoreSource));
      g_source_set_static_name (&source->source, "[asgiref] Local main-context store");
      source->main_context = main_context;
      source->store = store = shared_store_new ();
      g_hash_table_insert (main_context_stores, main_context, store);
      g_source_attach (&source->source, main_context);
      g_source_unref (&source->source);
    }
  _asgiref_shared_store_ref (store);

  _asgiref_tsan_release (&main_context_stores);
  G_UNLOCK (main_context_stores);

  return store;
}

/* ---- Scope-object stores ------------------------------------------------ */

static GQuark
scope_store_quark (void)
{
  static GQuark quark;

  if G_UNLIKELY (quark == 0)
    quark = g_quark_from_static_string ("asgiref-local-scope-store");
  return quark;
}

static gpointer
scope_store_dup (gpointer data,
                 gpointer user_data)
{
  return data != NULL ? _asgiref_shared_store_ref (data) : NULL;
}

AsgirefSharedStore *
_asgiref_scope_store_get (GObject *object)
{
  for (;;)
    {
      AsgirefSharedStore *store;

      store = g_object_dup_qdata (object, scope_store_quark (), scope_store_dup, NULL);
      if (store != NULL)
        return store;

      store = shared_store_new ();
      if (g_object_replace_qdata (object, scope_store_quark (), NULL, store,
                                  _asgiref_shared_store_unref, NULL))
        return _asgiref_shared_store_ref (store);

      /* Another thread attached one first: use that. */
      _asgiref_shared_store_unref (store);
    }
}

typedef struct
{
  AsgirefHamt *result;
  const AsgirefHamt *other;
} Changes;

void
_asgiref_slots_put (AsgirefHamt **map,
                    AsgirefSlot  *slot)
{
  AsgirefSlotKey key = { slot->local_id, slot->thread_tag, slot->name };
  AsgirefHamt *result;

  result = _asgiref_hamt_insert (*map, _asgiref_hamt_entry_ref (&slot->parent),
                                 &key, _asgiref_slot_matches);
  _asgiref_hamt_unref (*map);
  *map = result;
}

static void
slots_drop (AsgirefHamt **map,
            AsgirefSlot  *slot)
{
  AsgirefSlotKey key = { slot->local_id, slot->thread_tag, slot->name };
  AsgirefHamt *result;

  result = _asgiref_hamt_remove (*map, slot->parent.hash, &key, _asgiref_slot_matches, NULL);
  _asgiref_hamt_unref (*map);
  *map = result;
}

/* The entry of the other map under @slot's key, if any. */
static AsgirefHamtEntry *
other_entry (const Changes *changes,
             AsgirefSlot   *slot)
{
  AsgirefSlotKey key = { slot->local_id, slot->thread_tag, slot->name };

  return _asgiref_hamt_lookup (changes->other, slot->parent.hash, &key, _asgiref_slot_matches);
}

static void
add_if_changed (AsgirefHamtEntry *entry,
                gpointer          data)
{
  Changes *changes = data;
  AsgirefSlot *slot = (AsgirefSlot *) entry;

  if (slot->thread_tag == 0 && other_entry (changes, slot) != entry)
    _asgiref_slots_put (&changes->result, slot);
}

static void
drop_if_removed (AsgirefHamtEntry *entry,
                 gpointer          data)
{
  Changes *changes = data;
  AsgirefSlot *slot = (AsgirefSlot *) entry;

  if (slot->thread_tag == 0 && other_entry (changes, slot) == NULL)
    slots_drop (&changes->result, slot);
}

AsgirefHamt *
_asgiref_slots_apply_changes (AsgirefHamt       *target,
                              const AsgirefHamt *before,
                              const AsgirefHamt *after)
{
  Changes changes = { _asgiref_hamt_ref (target), NULL };

  if (before == after)
    return changes.result;

  /* Entries are shared, never copied: an entry of @after that @before
   * holds too, pointer for pointer, is unchanged. */
  changes.other = before;
  _asgiref_hamt_foreach (after, add_if_changed, &changes);
  changes.other = after;
  _asgiref_hamt_foreach (before, drop_if_removed, &changes);
  return changes.result;
}
