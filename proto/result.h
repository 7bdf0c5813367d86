// Error values shared by every Sluice module: an error code (with the module's category) plus a
// message a person can read, and result<T> over it.
#pragma once

#include <string>
#include <system_error>
#include <utility>

#include <boost/outcome/basic_result.hpp>
#include <boost/outcome/policy/throw_bad_result_access.hpp>
#include <boost/outcome/success_failure.hpp>
#include <boost/outcome/try.hpp>

namespace sluice {

// An error as it crosses a module edge. `code` is what callers branch on; `message` says what was
// wrong in words (names the topic, the key, the byte position...).
struct error {
  std::error_code code;
  std::string message;
};

template <class T>
using result = boost::outcome_v2::basic_result<
    T, error, boost::outcome_v2::policy::throw_bad_result_access<error, void>>;

using boost::outcome_v2::success;

// Builds a failed result from an error code enum of any module and a message.
template <class Errc>
[[nodiscard]] error make_error(Errc code, std::string message) {
  return error{make_error_code(code), std::move(message)};
}

// An error from an OS call: `what` names the operation and the object ("write /data/x.log").
[[nodiscard]] inline error os_error(int errno_value, const std::string& what) {
  std::error_code ec(errno_value, std::generic_category());
  return error{ec, what + ": " + ec.message()};
}

}  // namespace sluice

#define SLUICE_TRY BOOST_OUTCOME_TRY
