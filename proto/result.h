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

// SLUICE_TRY(expr): return expr's error, if any, from the enclosing function.
// SLUICE_TRY(var, expr): the same, else bind expr's value to `var` (auto&&).
// The one-argument form is a single statement, safe after an unbraced `if`. Not for coroutines.
#define SLUICE_TRY_1(expr)    \
  do {                        \
    BOOST_OUTCOME_TRYV(expr); \
  } while (false)
#define SLUICE_TRY_2(var, expr) BOOST_OUTCOME_TRY(var, expr)
#define SLUICE_TRY_PICK(_1, _2, name, ...) name
#define SLUICE_TRY(...) \
  SLUICE_TRY_PICK(__VA_ARGS__, SLUICE_TRY_2, SLUICE_TRY_1, unused)(__VA_ARGS__)
