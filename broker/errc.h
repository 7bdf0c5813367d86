// Error codes of the broker (broker/) that are not storage's: configuration and start-up.
#pragma once

#include <system_error>

namespace sluice::broker {

enum class errc {
  invalid_config = 1,  // an unknown key or a bad value in the config file or --set
  startup_failed,      // cannot listen, cannot open the data directory...
};

[[nodiscard]] const std::error_category& broker_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), broker_category()};
}

}  // namespace sluice::broker

template <>
struct std::is_error_code_enum<sluice::broker::errc> : std::true_type {};
