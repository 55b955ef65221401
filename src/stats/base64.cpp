#include "stats/base64.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace xferval::detail {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_decode_table() {
  std::array<int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return table;
}
constexpr std::array<int8_t, 256> kDecode = make_decode_table();

}  // namespace

std::string base64_encode(const void* data, size_t size) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (size - i == 1) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (size - i == 2) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::vector<uint8_t> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) throw std::invalid_argument("base64: length is not a multiple of 4");
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      int digit;
      if (c == '=' && last && j >= 4 - padding) {
        digit = 0;
      } else {
        digit = kDecode[static_cast<uint8_t>(c)];
        if (digit < 0) throw std::invalid_argument("base64: invalid character");
      }
      v = (v << 6) | static_cast<uint32_t>(digit);
    }
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (!last || padding < 2) out.push_back(static_cast<uint8_t>(v >> 8));
    if (!last || padding < 1) out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

std::string encode_words(const std::vector<uint64_t>& words) {
  std::vector<uint8_t> bytes(words.size() * 8);
  for (size_t i = 0; i < words.size(); ++i) {
    for (size_t b = 0; b < 8; ++b) bytes[i * 8 + b] = static_cast<uint8_t>(words[i] >> (8 * b));
  }
  return base64_encode(bytes.data(), bytes.size());
}

std::vector<uint64_t> decode_words(std::string_view text) {
  std::vector<uint8_t> bytes = base64_decode(text);
  if (bytes.size() % 8 != 0) throw std::invalid_argument("base64: not a whole number of 64-bit words");
  std::vector<uint64_t> words(bytes.size() / 8);
  for (size_t i = 0; i < words.size(); ++i) {
    uint64_t w = 0;
    for (size_t b = 0; b < 8; ++b) w |= uint64_t{bytes[i * 8 + b]} << (8 * b);
    words[i] = w;
  }
  return words;
}

nlohmann::json encode_double(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

double decode_double(const nlohmann::json& value, const char* what) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text == "inf") return std::numeric_limits<double>::infinity();
    if (text == "-inf") return -std::numeric_limits<double>::infinity();
    if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
  }
  throw std::invalid_argument(std::string(what) + ": expected a number, \"inf\", \"-inf\" or \"nan\", got " +
                              value.dump());
}

uint64_t decode_count(const nlohmann::json& value, const char* what) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return value.get<uint64_t>();
  throw std::invalid_argument(std::string(what) + ": expected a non-negative integer, got " + value.dump());
}

const nlohmann::json& member(const nlohmann::json& state, const char* name, const char* sketch) {
  if (!state.is_object()) throw std::invalid_argument(std::string(sketch) + " state: expected a JSON object");
  auto it = state.find(name);
  if (it == state.end()) {
    throw std::invalid_argument(std::string(sketch) + " state: missing member \"" + name + "\"");
  }
  return *it;
}

}  // namespace xferval::detail
