//===- Core.h - Virtual time, the scheduler and the seeded random source -*- C++ -*-===//
//
// What every controller and both schedulers share. Time is an integer count
// of microseconds since the start of a run (`Instant`); controllers receive it
// as an argument and never read a clock. Randomness comes from an `Rng` that
// the caller seeds and passes in; there is no global random state.
//
//===----------------------------------------------------------------------===//
#ifndef INFRAC_RUNTIME_CORE_H
#define INFRAC_RUNTIME_CORE_H

#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace infrac::runtime {

/// Microseconds since the start of the run.
using Instant = int64_t;
/// Microseconds.
using Duration = int64_t;

constexpr Instant Never = std::numeric_limits<int64_t>::max();
constexpr Duration micros(int64_t v) { return v; }
constexpr Duration millis(int64_t v) { return v * 1000; }
constexpr Duration seconds(int64_t v) { return v * 1000000; }

/// A seeded pseudo-random source (xoshiro256**, seeded through splitmix64).
/// Cheap to copy; the same seed always gives the same sequence.
class Rng {
public:
  explicit Rng(uint64_t seed = 1) { reseed(seed); }
  void reseed(uint64_t seed) {
    for (uint64_t &w : s) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      w = z ^ (z >> 31);
    }
  }
  uint64_t next() {
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
  /// Uniform in [0, 1).
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n) {
    assert(n > 0 && "below(0)");
    return uint64_t((unsigned __int128)next() * n >> 64);
  }
  /// Exponentially distributed with the given mean.
  double exponential(double mean) {
    // 1 - uniform() is in (0, 1]: never log(0).
    return -std::log(1.0 - uniform()) * mean;
  }
  /// An independent stream derived from this one (for a sub-component).
  Rng fork() { return Rng(next()); }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s[4];
};

/// What a wake-up is for: a small tag the owner interprets. Plain data so the
/// simulated queue never allocates per event.
struct Timer {
  uint32_t kind = 0; ///< The owner's event kind.
  uint32_t id = 0;   ///< Which object (instance, target group, load...).
  uint64_t arg = 0;  ///< Anything else (a request id, a generation).
};

/// Names one scheduled timer, for `cancel`. Never reused within a run.
using TimerId = uint64_t;
constexpr TimerId NoTimer = 0;

/// The one scheduling interface. The simulator implements it on a virtual
/// clock; the live runtime implements it on the steady clock.
class Scheduler {
public:
  virtual ~Scheduler();
  /// The current instant as the scheduler sees it.
  virtual Instant now() const = 0;
  /// Asks for `t` to be delivered at `at` (never earlier than now()).
  virtual TimerId runAt(Instant at, Timer t) = 0;
  /// Withdraws a timer that has not been delivered yet (a no-op otherwise).
  virtual void cancel(TimerId id) = 0;
};

/// The simulated scheduler: a priority queue ordered by (time, insertion
/// sequence), so events at one instant are delivered in the order they were
/// scheduled and a run is a pure function of its inputs and seed.
class SimScheduler final : public Scheduler {
public:
  Instant now() const override { return current; }
  TimerId runAt(Instant at, Timer t) override {
    assert(at >= current && "scheduling into the past");
    assert(t.kind != Cancelled && "a reserved timer kind");
    heap.push_back({at, seq++, t});
    siftUp(heap.size() - 1);
    return seq; // The entry's sequence number plus one: never NoTimer.
  }
  /// Linear in the timers pending: the simulator's controllers hardly ever
  /// cancel, and this keeps runAt and pop free of any bookkeeping for it.
  void cancel(TimerId id) override {
    if (id == NoTimer)
      return;
    for (Entry &e : heap)
      if (e.seq == id - 1 && e.timer.kind != Cancelled) {
        e.timer.kind = Cancelled; // Dropped when it comes out.
        ++cancelled;
        return;
      }
  }
  /// Takes the next event due at or before `limit`, advancing the clock to
  /// it. Returns false (and leaves the clock at `limit`) when there is none.
  bool pop(Instant limit, Timer &out) {
    for (;;) {
      if (heap.empty() || heap.front().at > limit) {
        if (limit != Never && limit > current)
          current = limit;
        return false;
      }
      Entry e = heap.front();
      heap.front() = heap.back();
      heap.pop_back();
      if (!heap.empty())
        siftDown(0);
      if (cancelled && e.timer.kind == Cancelled) {
        --cancelled;
        continue;
      }
      current = e.at;
      out = e.timer;
      ++delivered;
      return true;
    }
  }
  /// Timers scheduled and neither delivered nor cancelled.
  size_t pending() const { return heap.size() - cancelled; }
  uint64_t deliveredCount() const { return delivered; }

private:
  struct Entry {
    Instant at;
    uint64_t seq;
    Timer timer;
    bool operator<(const Entry &o) const { return at != o.at ? at < o.at : seq < o.seq; }
  };
  // A 4-ary heap: shallower than a binary one, fewer cache misses per pop.
  void siftUp(size_t i) {
    Entry e = heap[i];
    while (i > 0) {
      size_t p = (i - 1) / 4;
      if (!(e < heap[p]))
        break;
      heap[i] = heap[p];
      i = p;
    }
    heap[i] = e;
  }
  void siftDown(size_t i) {
    Entry e = heap[i];
    size_t n = heap.size();
    for (;;) {
      size_t c = 4 * i + 1;
      if (c >= n)
        break;
      size_t best = c;
      size_t end = c + 4 < n ? c + 4 : n;
      for (size_t k = c + 1; k < end; ++k)
        if (heap[k] < heap[best])
          best = k;
      if (!(heap[best] < e))
        break;
      heap[i] = heap[best];
      i = best;
    }
    heap[i] = e;
  }
  std::vector<Entry> heap;
  static constexpr uint32_t Cancelled = ~0u; ///< The kind of a withdrawn entry.
  size_t cancelled = 0; ///< Withdrawn entries still in the heap.
  uint64_t seq = 0;
  uint64_t delivered = 0;
  Instant current = 0;
};

/// Hands out instance ids for the whole life of a run, as EC2 does: every
/// launch in every group gets the next number, and none is ever reused.
class IdAllocator {
public:
  uint32_t next() {
    assert(nextId != std::numeric_limits<uint32_t>::max() && "out of instance ids");
    return nextId++;
  }
  /// How many ids were handed out.
  uint32_t count() const { return nextId - 1; }

private:
  uint32_t nextId = 1;
};

/// Formats an instant as seconds with millisecond precision: "30.000s".
void formatInstant(Instant t, char *buf, size_t size);
/// Formats a duration for people: "8.25ms", "120.5ms", "1.500s".
void formatDuration(Duration d, char *buf, size_t size);

} // namespace infrac::runtime

#endif
