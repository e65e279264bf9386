/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The persistent trie behind contexts, checked against a GHashTable model. */
#include <asgiref.h>

#include "asgiref-hamt-private.h"

typedef struct
{
  AsgirefHamtEntry parent;
  guint key;
  guint value;
} IntEntry;

static gint live_entries;

static void
int_entry_free (gpointer data)
{
  g_atomic_int_add (&live_entries, -1);
  g_free (data);
}

static gboolean
int_entry_matches (const AsgirefHamtEntry *entry,
                   gconstpointer           key)
{
  return ((const IntEntry *) entry)->key == *(const guint *) key;
}

/* A hash with few bits, so that collisions and deep paths are common. */
static guint hash_mask;

static guint
hash_of (guint key)
{
  return (key * 2654435761u) & hash_mask;
}

static AsgirefHamtEntry *
int_entry_new (guint key,
               guint value)
{
  IntEntry *entry = g_new0 (IntEntry, 1);

  g_atomic_int_add (&live_entries, 1);
  _asgiref_hamt_entry_init (&entry->parent, hash_of (key), int_entry_free);
  entry->key = key;
  entry->value = value;
  return &entry->parent;
}

static void
assert_same (const AsgirefHamt *map,
             GHashTable        *model)
{
  GHashTableIter iter;
  gpointer key, value;

  g_assert_cmpuint (_asgiref_hamt_size (map), ==, g_hash_table_size (model));
  g_hash_table_iter_init (&iter, model);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint k = GPOINTER_TO_UINT (key);
      IntEntry *entry = (IntEntry *) _asgiref_hamt_lookup (map, hash_of (k), &k, int_entry_matches);

      g_assert_nonnull (entry);
      g_assert_cmpuint (entry->value, ==, GPOINTER_TO_UINT (value));
    }
}

static GHashTable *
copy_model (GHashTable *model)
{
  GHashTable *copy = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, model);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, key, value);
  return copy;
}

static void
run_random_operations (guint mask)
{
  g_autoptr(GHashTable) model = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) snapshots = g_ptr_array_new_with_free_func ((GDestroyNotify) _asgiref_hamt_unref);
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  AsgirefHamt *map = NULL;

  hash_mask = mask;
  for (guint i = 0; i < 4000; i++)
    {
      guint key = (guint) g_test_rand_int_range (0, 300);
      g_autoptr(GHashTable) old_model = copy_model (model);
      AsgirefHamt *next;

      if (g_test_rand_int_range (0, 3) > 0)
        {
          guint value = (guint) g_test_rand_int ();

          next = _asgiref_hamt_insert (map, int_entry_new (key, value), &key, int_entry_matches);
          g_hash_table_insert (model, GUINT_TO_POINTER (key), GUINT_TO_POINTER (value));
        }
      else
        {
          gboolean removed;

          next = _asgiref_hamt_remove (map, hash_of (key), &key, int_entry_matches, &removed);
          g_assert_cmpint (removed, ==, g_hash_table_remove (model, GUINT_TO_POINTER (key)));
          if (g_test_verbose ())
            g_test_message ("step %u: remove %u", i, key);
        }

      /* Every so often keep the old version: it must never change. */
      if (i % 97 == 0)
        {
          g_ptr_array_add (snapshots, map);
          g_ptr_array_add (models, g_steal_pointer (&old_model));
        }
      else
        _asgiref_hamt_unref (map);
      map = next;
      assert_same (map, model);
    }

  for (guint i = 0; i < snapshots->len; i++)
    assert_same (g_ptr_array_index (snapshots, i), g_ptr_array_index (models, i));

  _asgiref_hamt_unref (map);
}

static void
test_matches_a_hash_table_with_spread_hashes (void)
{
  run_random_operations (0xffffffffu);
  g_assert_cmpint (live_entries, ==, 0);
}

static void
test_matches_a_hash_table_with_colliding_hashes (void)
{
  /* 64 distinct hashes for 300 keys: collision lists of several entries. */
  run_random_operations (0x8000003fu);
  g_assert_cmpint (live_entries, ==, 0);
}

static void
test_removing_everything_leaves_the_empty_map (void)
{
  AsgirefHamt *map = NULL;

  hash_mask = 0xffffffffu;
  for (guint key = 0; key < 100; key++)
    {
      AsgirefHamt *next = _asgiref_hamt_insert (map, int_entry_new (key, key), &key, int_entry_matches);

      _asgiref_hamt_unref (map);
      map = next;
    }
  for (guint key = 0; key < 100; key++)
    {
      AsgirefHamt *next = _asgiref_hamt_remove (map, hash_of (key), &key, int_entry_matches, NULL);

      _asgiref_hamt_unref (map);
      map = next;
    }
  g_assert_null (map);
  g_assert_cmpint (live_entries, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Asgiref/Hamt/matches-a-hash-table-with-spread-hashes",
                   test_matches_a_hash_table_with_spread_hashes);
  g_test_add_func ("/Asgiref/Hamt/matches-a-hash-table-with-colliding-hashes",
                   test_matches_a_hash_table_with_colliding_hashes);
  g_test_add_func ("/Asgiref/Hamt/removing-everything-leaves-the-empty-map",
                   test_removing_everything_leaves_the_empty_map);

  return g_test_run ();
}
