#include "client/cli/time_arg.h"

#include <charconv>
#include <cstdio>

#include "client/errors.h"

namespace sluice::cli {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct cursor {
  const std::string& s;
  size_t pos = 0;
  bool digits(size_t n, int64_t& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = s[pos + i];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    pos += n;
    return true;
  }
  bool lit(char c) {
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool done() const { return pos == s.size(); }
};

error bad(const std::string& text) {
  return make_error(client::errc::invalid_argument,
                    "time '" + text + "' is neither epoch milliseconds nor ISO 8601 " +
                        "(like 2026-11-25T12:00:00Z)");
}

}  // namespace

result<int64_t> parse_time(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    int64_t ms = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec == std::errc() && end == text.data() + text.size()) return ms;
  }
  cursor c{text};
  int64_t y, mo, d, h = 0, mi = 0, s = 0, frac = 0;
  if (!c.digits(4, y) || !c.lit('-') || !c.digits(2, mo) || !c.lit('-') || !c.digits(2, d)) {
    return bad(text);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return bad(text);
  if (c.lit('T') || c.lit(' ')) {
    if (!c.digits(2, h) || !c.lit(':') || !c.digits(2, mi)) return bad(text);
    if (c.lit(':')) {
      if (!c.digits(2, s)) return bad(text);
      if (c.lit('.')) {
        size_t start = c.pos;
        int64_t digit;
        while (c.pos < text.size() && c.digits(1, digit)) {
          if (c.pos - start <= 3) frac = frac * 10 + digit;
        }
        for (size_t n = c.pos - start; n < 3; ++n)
          frac *= 10;
      }
    }
    if (h > 23 || mi > 59 || s > 60) return bad(text);
  }
  int64_t offset_min = 0;
  if (c.lit('Z') || c.lit('z')) {
  } else if (c.pos < text.size() && (text[c.pos] == '+' || text[c.pos] == '-')) {
    int sign = text[c.pos] == '-' ? -1 : 1;
    ++c.pos;
    int64_t oh, om = 0;
    if (!c.digits(2, oh)) return bad(text);
    if (c.lit(':') || (c.pos < text.size())) {
      if (!c.digits(2, om)) return bad(text);
    }
    offset_min = sign * (oh * 60 + om);
  }
  if (!c.done()) return bad(text);
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi - offset_min) * 60'000 + s * 1000 + frac;
}

std::string format_time(int64_t epoch_ms) {
  int64_t ms = ((epoch_ms % 1000) + 1000) % 1000;
  int64_t secs = (epoch_ms - ms) / 1000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  // civil_from_days
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60),
                static_cast<long long>(ms));
  return buf;
}

}  // namespace sluice::cli
