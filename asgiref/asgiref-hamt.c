/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "asgiref-hamt-private.h"

/*
 * Refcounts are plain atomic ints rather than gatomicrefcount: GLib's
 * g_atomic_ref_count_dec() is an out-of-line call, and a set touches the
 * count of every slot in the copied nodes.
 *
 * Nodes follow the CHAMP layout: two bitmaps say which of the 32 positions
 * at this level hold an entry and which hold a child node, and the slots
 * array stores the entries (in position order) followed by the children.
 * Keeping the entries inline and the trie canonical (a child that shrinks
 * to one entry is folded back into its parent) keeps lookups short and
 * makes equal maps have equal shapes.
 *
 * Entries whose full 32-bit hashes are equal cannot be told apart by
 * position; they share a collision node, a plain list in which
 * n_collisions > 0 and the bitmaps are unused.
 */
struct _AsgirefHamtNode
{
  gint ref;
  guint32 entry_map;
  guint32 node_map;
  guint32 n_collisions;
  gpointer slots[];
};

#define BITS_PER_LEVEL 5
#define LEVEL_MASK 0x1f

/* Baseline x86-64 has no popcnt instruction, and the libgcc fallback is a
 * call; this is the branch-free bit count, inlined. */
static inline guint
popcount (guint32 bits)
{
  bits = bits - ((bits >> 1) & 0x55555555u);
  bits = (bits & 0x33333333u) + ((bits >> 2) & 0x33333333u);
  bits = (bits + (bits >> 4)) & 0x0f0f0f0fu;
  return (bits * 0x01010101u) >> 24;
}

static inline guint32
position_bit (guint hash,
              guint shift)
{
  /* Past the last level only collision nodes live; a lone entry left in
   * one there is folded into its parent at once, whatever its position. */
  if G_UNLIKELY (shift >= 32)
    return 1u;
  return 1u << ((hash >> shift) & LEVEL_MASK);
}

static inline guint
node_n_entries (const AsgirefHamt *node)
{
  return node->n_collisions ? node->n_collisions : popcount (node->entry_map);
}

static inline guint
node_n_slots (const AsgirefHamt *node)
{
  return node_n_entries (node) + popcount (node->node_map);
}

static inline guint
entry_index (const AsgirefHamt *node,
             guint32            bit)
{
  return popcount (node->entry_map & (bit - 1));
}

static inline guint
child_index (const AsgirefHamt *node,
             guint32            bit)
{
  return popcount (node->entry_map) + popcount (node->node_map & (bit - 1));
}

void
_asgiref_hamt_entry_init (AsgirefHamtEntry *entry,
                          guint             hash,
                          GDestroyNotify    free_func)
{
  entry->ref = 1;
  entry->hash = hash;
  entry->free_func = free_func;
}

AsgirefHamtEntry *
_asgiref_hamt_entry_ref (AsgirefHamtEntry *entry)
{
  g_atomic_int_inc (&entry->ref);
  return entry;
}

void
_asgiref_hamt_entry_unref (AsgirefHamtEntry *entry)
{
  if (g_atomic_int_dec_and_test (&entry->ref))
    entry->free_func (entry);
}

static AsgirefHamt *
node_alloc (guint32 entry_map,
            guint32 node_map,
            guint   n_collisions)
{
  AsgirefHamt *node;
  guint n_slots;

  n_slots = n_collisions ? n_collisions : popcount (entry_map) + popcount (node_map);
  node = g_malloc (sizeof *node + n_slots * sizeof (gpointer));
  node->ref = 1;
  node->entry_map = entry_map;
  node->node_map = node_map;
  node->n_collisions = n_collisions;
  return node;
}

AsgirefHamt *
_asgiref_hamt_ref (AsgirefHamt *map)
{
  if (map != NULL)
    g_atomic_int_inc (&map->ref);
  return map;
}

void
_asgiref_hamt_unref (AsgirefHamt *map)
{
  guint n_entries, n_slots;

  if (map == NULL || !g_atomic_int_dec_and_test (&map->ref))
    return;

  n_entries = node_n_entries (map);
  n_slots = node_n_slots (map);
  for (guint i = 0; i < n_entries; i++)
    _asgiref_hamt_entry_unref (map->slots[i]);
  for (guint i = n_entries; i < n_slots; i++)
    _asgiref_hamt_unref (map->slots[i]);
  g_free (map);
}

/* A copy of @node sharing (and reffing) all its entries and children. */
static AsgirefHamt *
node_copy (const AsgirefHamt *node)
{
  AsgirefHamt *copy;
  guint n_entries = node_n_entries (node);
  guint n_slots = node_n_slots (node);

  copy = node_alloc (node->entry_map, node->node_map, node->n_collisions);
  for (guint i = 0; i < n_entries; i++)
    copy->slots[i] = _asgiref_hamt_entry_ref (node->slots[i]);
  for (guint i = n_entries; i < n_slots; i++)
    copy->slots[i] = _asgiref_hamt_ref (node->slots[i]);
  return copy;
}

AsgirefHamtEntry *
_asgiref_hamt_lookup (const AsgirefHamt *map,
                      guint              hash,
                      gconstpointer      key,
                      AsgirefHamtMatch   match)
{
  const AsgirefHamt *node = map;
  guint shift = 0;

  while (node != NULL)
    {
      guint32 bit;

      if (node->n_collisions)
        {
          for (guint i = 0; i < node->n_collisions; i++)
            {
              AsgirefHamtEntry *entry = node->slots[i];

              if (entry->hash == hash && match (entry, key))
                return entry;
            }
          return NULL;
        }

      bit = position_bit (hash, shift);
      if (node->entry_map & bit)
        {
          AsgirefHamtEntry *entry = node->slots[entry_index (node, bit)];

          return (entry->hash == hash && match (entry, key)) ? entry : NULL;
        }
      if (!(node->node_map & bit))
        return NULL;

      node = node->slots[child_index (node, bit)];
      shift += BITS_PER_LEVEL;
    }

  return NULL;
}

static guint
item_hash (gpointer item,
           gboolean is_node)
{
  if (is_node)
    return ((AsgirefHamtEntry *) ((AsgirefHamt *) item)->slots[0])->hash;
  return ((AsgirefHamtEntry *) item)->hash;
}

/*
 * The smallest subtrie, rooted at level @shift, holding both @item (an
 * entry, or a collision node when @item_is_node) and @entry, whose hashes
 * differ unless @item is an entry. Takes both references.
 */
static AsgirefHamt *
merge (guint             shift,
       gpointer          item,
       gboolean          item_is_node,
       AsgirefHamtEntry *entry)
{
  guint hash = item_hash (item, item_is_node);
  guint32 item_bit, entry_bit;
  AsgirefHamt *node;

  if (!item_is_node && hash == entry->hash)
    {
      node = node_alloc (0, 0, 2);
      node->slots[0] = item;
      node->slots[1] = entry;
      return node;
    }

  /* Distinct hashes differ in some bit below 32, so this ends by level 6. */
  g_assert (shift < 32);

  item_bit = position_bit (hash, shift);
  entry_bit = position_bit (entry->hash, shift);

  if (item_bit == entry_bit)
    {
      node = node_alloc (0, item_bit, 0);
      node->slots[0] = merge (shift + BITS_PER_LEVEL, item, item_is_node, entry);
      return node;
    }

  if (item_is_node)
    {
      node = node_alloc (entry_bit, item_bit, 0);
      node->slots[0] = entry;
      node->slots[1] = item;
      return node;
    }

  node = node_alloc (item_bit | entry_bit, 0, 0);
  node->slots[item_bit < entry_bit ? 0 : 1] = item;
  node->slots[item_bit < entry_bit ? 1 : 0] = entry;
  return node;
}

/* A copy of @node with @entry added at the entry position @bit. */
static AsgirefHamt *
node_with_entry_added (const AsgirefHamt *node,
                       guint32            bit,
                       AsgirefHamtEntry  *entry)
{
  AsgirefHamt *copy;
  guint at = entry_index (node, bit);
  guint n_slots = node_n_slots (node);
  guint n_entries = node_n_entries (node);

  copy = node_alloc (node->entry_map | bit, node->node_map, 0);
  for (guint i = 0, j = 0; i < n_slots; i++, j++)
    {
      if (i == at)
        copy->slots[j++] = entry;
      copy->slots[j] = i < n_entries ? (gpointer) _asgiref_hamt_entry_ref (node->slots[i])
                                     : (gpointer) _asgiref_hamt_ref (node->slots[i]);
    }
  if (at == n_slots)
    copy->slots[n_slots] = entry;
  return copy;
}

/*
 * A copy of @node with the bitmaps given, in which the slot at @from is
 * left out and @item (reference taken) sits at @to: how an entry moves down
 * into a new child, or a child shrunk to one entry moves back up.
 */
static AsgirefHamt *
node_with_slot_moved (const AsgirefHamt *node,
                      guint32            entry_map,
                      guint32            node_map,
                      guint              from,
                      guint              to,
                      gpointer           item)
{
  AsgirefHamt *copy = node_alloc (entry_map, node_map, 0);
  guint n_entries = node_n_entries (node);
  guint n_slots = node_n_slots (node);

  for (guint i = 0, j = 0; i < n_slots; i++)
    {
      if (i == from)
        continue;
      if (j == to)
        copy->slots[j++] = item;
      copy->slots[j++] = i < n_entries ? (gpointer) _asgiref_hamt_entry_ref (node->slots[i])
                                       : (gpointer) _asgiref_hamt_ref (node->slots[i]);
    }
  if (to == n_slots - 1)
    copy->slots[to] = item;
  return copy;
}

/* A copy of @node where the entry at @bit became the child @child. */
static AsgirefHamt *
node_with_entry_pushed_down (const AsgirefHamt *node,
                             guint32            bit,
                             AsgirefHamt       *child)
{
  guint32 entry_map = node->entry_map & ~bit;
  guint32 node_map = node->node_map | bit;

  return node_with_slot_moved (node, entry_map, node_map,
                               entry_index (node, bit),
                               popcount (entry_map) + popcount (node_map & (bit - 1)),
                               child);
}

/* A copy of @node where the child at @bit became the entry @entry. */
static AsgirefHamt *
node_with_child_pulled_up (const AsgirefHamt *node,
                           guint32            bit,
                           AsgirefHamtEntry  *entry)
{
  guint32 entry_map = node->entry_map | bit;

  return node_with_slot_moved (node, entry_map, node->node_map & ~bit,
                               child_index (node, bit),
                               popcount (entry_map & (bit - 1)),
                               entry);
}

/* A copy of @node without the slot @index, whose position is @bit. */
static AsgirefHamt *
node_without_slot (const AsgirefHamt *node,
                   guint              index,
                   guint32            bit)
{
  AsgirefHamt *copy;
  guint n_entries = node_n_entries (node);
  guint n_slots = node_n_slots (node);

  if (node->n_collisions)
    copy = node_alloc (0, 0, node->n_collisions - 1);
  else if (index < n_entries)
    copy = node_alloc (node->entry_map & ~bit, node->node_map, 0);
  else
    copy = node_alloc (node->entry_map, node->node_map & ~bit, 0);

  for (guint i = 0, j = 0; i < n_slots; i++)
    {
      if (i == index)
        continue;
      copy->slots[j++] = i < n_entries ? (gpointer) _asgiref_hamt_entry_ref (node->slots[i])
                                       : (gpointer) _asgiref_hamt_ref (node->slots[i]);
    }
  return copy;
}

/* A copy of @node with slot @index replaced by @item (reference taken). */
static AsgirefHamt *
node_with_slot_replaced (const AsgirefHamt *node,
                         guint              index,
                         gpointer           item)
{
  AsgirefHamt *copy = node_copy (node);

  if (index < node_n_entries (node))
    _asgiref_hamt_entry_unref (copy->slots[index]);
  else
    _asgiref_hamt_unref (copy->slots[index]);
  copy->slots[index] = item;
  return copy;
}

static AsgirefHamt *
node_insert (AsgirefHamt      *node,
             guint             shift,
             AsgirefHamtEntry *entry,
             gconstpointer     key,
             AsgirefHamtMatch  match)
{
  guint32 bit;

  if (node->n_collisions)
    {
      AsgirefHamt *copy;

      if (item_hash (node, TRUE) != entry->hash)
        return merge (shift, _asgiref_hamt_ref (node), TRUE, entry);

      for (guint i = 0; i < node->n_collisions; i++)
        if (match (node->slots[i], key))
          return node_with_slot_replaced (node, i, entry);

      copy = node_alloc (0, 0, node->n_collisions + 1);
      for (guint i = 0; i < node->n_collisions; i++)
        copy->slots[i] = _asgiref_hamt_entry_ref (node->slots[i]);
      copy->slots[node->n_collisions] = entry;
      return copy;
    }

  bit = position_bit (entry->hash, shift);

  if (node->entry_map & bit)
    {
      guint index = entry_index (node, bit);
      AsgirefHamtEntry *existing = node->slots[index];
      AsgirefHamt *child;

      if (existing->hash == entry->hash && match (existing, key))
        return node_with_slot_replaced (node, index, entry);

      child = merge (shift + BITS_PER_LEVEL, _asgiref_hamt_entry_ref (existing), FALSE, entry);
      return node_with_entry_pushed_down (node, bit, child);
    }

  if (node->node_map & bit)
    {
      guint index = child_index (node, bit);
      AsgirefHamt *child;

      child = node_insert (node->slots[index], shift + BITS_PER_LEVEL, entry, key, match);
      return node_with_slot_replaced (node, index, child);
    }

  return node_with_entry_added (node, bit, entry);
}

AsgirefHamt *
_asgiref_hamt_insert (AsgirefHamt      *map,
                      AsgirefHamtEntry *entry,
                      gconstpointer     key,
                      AsgirefHamtMatch  match)
{
  AsgirefHamt *node;

  if (map == NULL)
    {
      node = node_alloc (position_bit (entry->hash, 0), 0, 0);
      node->slots[0] = entry;
      return node;
    }

  return node_insert (map, 0, entry, key, match);
}

/* A node that holds nothing but one entry is folded into its parent. */
static inline gboolean
node_is_lone_entry (const AsgirefHamt *node)
{
  return node->n_collisions == 0 && node->node_map == 0 && popcount (node->entry_map) == 1;
}

static AsgirefHamt *
node_remove (AsgirefHamt      *node,
             guint             shift,
             guint             hash,
             gconstpointer     key,
             AsgirefHamtMatch  match,
             gboolean         *removed)
{
  guint32 bit;

  if (node->n_collisions)
    {
      for (guint i = 0; i < node->n_collisions; i++)
        {
          AsgirefHamtEntry *entry = node->slots[i];
          AsgirefHamt *lone;

          if (entry->hash != hash || !match (entry, key))
            continue;

          *removed = TRUE;
          if (node->n_collisions > 2)
            return node_without_slot (node, i, 0);

          entry = node->slots[1 - i];
          lone = node_alloc (position_bit (entry->hash, shift), 0, 0);
          lone->slots[0] = _asgiref_hamt_entry_ref (entry);
          return lone;
        }
      return _asgiref_hamt_ref (node);
    }

  bit = position_bit (hash, shift);

  if (node->entry_map & bit)
    {
      guint index = entry_index (node, bit);
      AsgirefHamtEntry *entry = node->slots[index];

      if (entry->hash != hash || !match (entry, key))
        return _asgiref_hamt_ref (node);

      *removed = TRUE;
      if (node_n_slots (node) == 1)
        return NULL;
      return node_without_slot (node, index, bit);
    }

  if (node->node_map & bit)
    {
      guint index = child_index (node, bit);
      AsgirefHamt *child = node->slots[index];
      AsgirefHamt *new_child;
      AsgirefHamt *result;

      new_child = node_remove (child, shift + BITS_PER_LEVEL, hash, key, match, removed);
      if (!*removed)
        {
          _asgiref_hamt_unref (new_child);
          return _asgiref_hamt_ref (node);
        }

      if (new_child == NULL)
        return node_n_slots (node) == 1 ? NULL : node_without_slot (node, index, bit);

      if (node_is_lone_entry (new_child))
        {
          result = node_with_child_pulled_up (node, bit,
                                              _asgiref_hamt_entry_ref (new_child->slots[0]));
          _asgiref_hamt_unref (new_child);
          return result;
        }

      return node_with_slot_replaced (node, index, new_child);
    }

  return _asgiref_hamt_ref (node);
}

AsgirefHamt *
_asgiref_hamt_remove (AsgirefHamt      *map,
                      guint             hash,
                      gconstpointer     key,
                      AsgirefHamtMatch  match,
                      gboolean         *removed)
{
  gboolean dummy = FALSE;

  if (removed == NULL)
    removed = &dummy;
  *removed = FALSE;

  if (map == NULL)
    return NULL;

  return node_remove (map, 0, hash, key, match, removed);
}

guint
_asgiref_hamt_size (const AsgirefHamt *map)
{
  guint size;
  guint n_entries;

  if (map == NULL)
    return 0;

  n_entries = node_n_entries (map);
  size = n_entries;
  for (guint i = n_entries; i < node_n_slots (map); i++)
    size += _asgiref_hamt_size (map->slots[i]);
  return size;
}

void
_asgiref_hamt_foreach (const AsgirefHamt  *map,
                       AsgirefHamtForeach  func,
                       gpointer            user_data)
{
  guint n_entries;

  if (map == NULL)
    return;

  n_entries = node_n_entries (map);
  for (guint i = 0; i < n_entries; i++)
    func (map->slots[i], user_data);
  for (guint i = n_entries; i < node_n_slots (map); i++)
    _asgiref_hamt_foreach (map->slots[i], func, user_data);
}
