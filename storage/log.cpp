#include "storage/log.h"

#include <spdlog/spdlog.h>

namespace sluice::storage {

void log_info(const std::string& message) {
  spdlog::info("{}", message);
}
void log_warn(const std::string& message) {
  spdlog::warn("{}", message);
}
void log_error(const std::string& message) {
  spdlog::error("{}", message);
}

}  // namespace sluice::storage
