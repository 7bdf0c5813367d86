#include "broker/errc.h"

#include <string>

namespace sluice::broker {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sluice.broker"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::invalid_config: return "invalid configuration";
      case errc::startup_failed: return "start-up failed";
    }
    return "unknown broker error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& broker_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace sluice::broker
