//===- RespTable.h - The store's flat hash table ---------------*- C++ -*-===//
//
// Private to the embedded store. A dense vector of entries (iteration in
// insertion order while nothing is erased) indexed by an open-addressing slot
// array with linear probing and backward-shift deletion: a lookup touches one
// cache line of slots (each slot carries 32 bits of the hash, so a probe
// compares keys only on a likely match) and one entry. No tombstones, no node
// allocation per entry.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_LIVE_RESPTABLE_H
#define INFRAC_RUNTIME_LIVE_RESPTABLE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/xxhash.h"

#include <cassert>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace infrac::live {

template <class V> class RespTable {
public:
  struct Entry {
    std::string key;
    V value;
    uint64_t hash;
  };

  static uint64_t hashOf(llvm::StringRef key) { return llvm::xxHash64(key); }

  size_t size() const { return entries.size(); }
  bool empty() const { return entries.empty(); }
  Entry &at(size_t pos) { return entries[pos]; }
  const Entry &at(size_t pos) const { return entries[pos]; }
  const std::vector<Entry> &all() const { return entries; }

  /// The position of `key` in the dense vector, or npos.
  size_t find(llvm::StringRef key, uint64_t h) const {
    if (entries.empty())
      return npos;
    uint64_t tag = h >> 32;
    for (size_t s = h & mask;; s = (s + 1) & mask) {
      uint64_t slot = slots[s];
      if (slot == 0)
        return npos;
      if ((slot >> 32) == tag) {
        size_t pos = size_t(uint32_t(slot)) - 1;
        const Entry &e = entries[pos];
        if (e.hash == h && llvm::StringRef(e.key) == key)
          return pos;
      }
    }
  }
  size_t find(llvm::StringRef key) const { return find(key, hashOf(key)); }

  /// The position of `key`, inserting a default value when absent; the bool
  /// says whether it was inserted. Positions stay valid; references do not.
  std::pair<size_t, bool> insert(llvm::StringRef key, uint64_t h) {
    size_t pos = find(key, h);
    if (pos != npos)
      return {pos, false};
    if ((entries.size() + 1) * 2 > slots.size())
      grow();
    pos = entries.size();
    assert(pos < UINT32_MAX - 1 && "table too large");
    entries.push_back(Entry{std::string(key), V(), h});
    place(h, pos);
    return {pos, true};
  }

  /// Removes the entry at `pos` by moving the last entry into its place (the
  /// order changes). Returns true when an entry was moved to `pos`.
  bool eraseSwap(size_t pos) {
    assert(pos < entries.size() && "erase out of range");
    unslot(pos);
    size_t last = entries.size() - 1;
    bool moved = pos != last;
    if (moved) {
      slots[slotOf(last)] = (entries[last].hash >> 32 << 32) | uint64_t(pos + 1);
      entries[pos] = std::move(entries[last]);
    }
    entries.pop_back();
    return moved;
  }

  /// Removes the entry at `pos` keeping the others in order (linear).
  void eraseOrdered(size_t pos) {
    assert(pos < entries.size() && "erase out of range");
    entries.erase(entries.begin() + pos);
    rebuild(slots.size());
  }

  void clear() {
    entries.clear();
    slots.assign(slots.size(), 0);
  }

  static constexpr size_t npos = size_t(-1);

private:
  void place(uint64_t h, size_t pos) {
    size_t s = h & mask;
    while (slots[s] != 0)
      s = (s + 1) & mask;
    slots[s] = (h >> 32 << 32) | uint64_t(pos + 1);
  }
  size_t slotOf(size_t pos) const {
    for (size_t s = entries[pos].hash & mask;; s = (s + 1) & mask) {
      assert(slots[s] != 0 && "entry without a slot");
      if (size_t(uint32_t(slots[s])) == pos + 1)
        return s;
    }
  }
  // Backward-shift deletion: later members of the probe run move up so that
  // every entry stays reachable from its home slot without tombstones.
  void unslot(size_t pos) {
    size_t hole = slotOf(pos);
    for (size_t j = (hole + 1) & mask;; j = (j + 1) & mask) {
      uint64_t slot = slots[j];
      if (slot == 0)
        break;
      size_t home = entries[size_t(uint32_t(slot)) - 1].hash & mask;
      // Move slot j into the hole unless its home lies cyclically in (hole, j].
      bool stays = hole <= j ? (hole < home && home <= j)
                             : (hole < home || home <= j);
      if (!stays) {
        slots[hole] = slot;
        hole = j;
      }
    }
    slots[hole] = 0;
  }
  void grow() { rebuild(slots.empty() ? 16 : slots.size() * 2); }
  void rebuild(size_t capacity) {
    slots.assign(capacity, 0);
    mask = capacity - 1;
    for (size_t i = 0; i < entries.size(); ++i)
      place(entries[i].hash, i);
  }

  std::vector<Entry> entries;
  std::vector<uint64_t> slots;
  size_t mask = 0;
};

} // namespace infrac::live

#endif // INFRAC_RUNTIME_LIVE_RESPTABLE_H
