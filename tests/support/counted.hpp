// Counts constructions and destructions, to prove that frames and results are destroyed.
#pragma once

namespace tasknet::testing {

struct Counted {
  static inline int alive = 0;
  static inline int constructed = 0;

  Counted() noexcept { ++alive, ++constructed; }
  Counted(const Counted&) noexcept { ++alive, ++constructed; }
  Counted(Counted&&) noexcept { ++alive, ++constructed; }
  Counted& operator=(const Counted&) = default;
  Counted& operator=(Counted&&) = default;
  ~Counted() { --alive; }

  static void reset() noexcept { alive = constructed = 0; }
};

}  // namespace tasknet::testing
