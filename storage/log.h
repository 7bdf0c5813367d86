// Logging for storage/. Callers build the message; only log.cpp includes spdlog, which keeps its
// heavy headers out of every storage source file.
#pragma once

#include <string>

namespace sluice::storage {

void log_info(const std::string& message);
void log_warn(const std::string& message);
void log_error(const std::string& message);

}  // namespace sluice::storage
