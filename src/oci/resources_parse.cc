// `update -r`: a linux.resources document parsed by the config.json parser's own rules
// (spec_parse_linux.cc), and the human byte sizes of update's flags.
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "oci/resources.h"
#include "oci/spec_internal.h"

namespace hull::oci {

base::Result<Resources> parse_resources(const std::string& json_text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's text ends in what went wrong: "...: syntax error while parsing value - ..."
    std::string what = e.what();
    size_t at = what.find("] ");
    return base::Error("resources: invalid JSON: " +
                       (at == std::string::npos ? what : what.substr(at + 2)));
  }
  if (!doc.is_object()) return base::Error("resources: expected a JSON object");
  try {
    return detail::parse_resources(detail::Node(&doc, ""));
  } catch (const detail::SpecError& e) {
    return base::Error(e.path + ": " + e.problem);
  }
}

base::Result<int64_t> parse_byte_size(const std::string& text) {
  auto bad = [&] {
    return base::Error("invalid size " + detail::quote(text) +
                       " (expected bytes, or a number with k, m, g, t or p)");
  };
  if (text == "-1") return int64_t{-1};
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    return i > start;
  };
  if (!digits()) return bad();
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) return bad();
  }
  const std::string number = text.substr(0, i);
  if (i < text.size() && text[i] == ' ') ++i;
  int shift = 0;
  if (i < text.size()) {
    static constexpr std::string_view kUnits = "kmgtp";
    size_t unit = kUnits.find(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
    if (unit != std::string_view::npos) {
      shift = 10 * static_cast<int>(unit + 1);
      ++i;
    }
  }
  if (i < text.size() && (text[i] == 'i' || text[i] == 'I')) ++i;
  if (i < text.size() && (text[i] == 'b' || text[i] == 'B')) ++i;
  if (i != text.size()) return bad();
  // long double holds every int64 exactly, so a plain number of bytes is never rounded.
  long double bytes = std::strtold(number.c_str(), nullptr) * std::ldexp(1.0L, shift);
  if (bytes >= std::ldexp(1.0L, 63))
    return base::Error("size " + detail::quote(text) + " is too large");
  return static_cast<int64_t>(bytes);
}

}  // namespace hull::oci
