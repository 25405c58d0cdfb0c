// A range check for options given in seconds. CLI::Range lets "nan" through (every comparison
// with NaN is false), and a NaN duration would become a deadline of nonsense.
#pragma once

#include <CLI/CLI.hpp>

#include <iomanip>
#include <sstream>
#include <string>

namespace tasknet::apps {

/// Accepts a number of seconds from `min` to `max`; refuses anything else, NaN included, with
/// CLI::Range's own wording.
inline CLI::Validator seconds_between(double min, double max) {
  std::ostringstream range;
  range << std::setprecision(10) << min << " to " << max;
  return CLI::Validator(
      [min, max, bounds = range.str()](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !(value >= min && value <= max)) {
          return "Value " + text + " not in range " + bounds;
        }
        return {};
      },
      "SECONDS, " + range.str());
}

}  // namespace tasknet::apps
