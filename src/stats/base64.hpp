#pragma once
// Helpers for the sketches' JSON state: base64 for binary blobs (HyperLogLog registers, hash
// sets), and doubles that survive a JSON round trip exactly, including the values JSON lacks.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace xferval::detail {

// Standard base64 (RFC 4648, with '=' padding).
std::string base64_encode(const void* data, size_t size);
// Throws std::invalid_argument on a malformed string.
std::vector<uint8_t> base64_decode(std::string_view text);

// 64-bit words as little-endian bytes, base64-encoded, and back (the size must be a multiple of 8).
std::string encode_words(const std::vector<uint64_t>& words);
std::vector<uint64_t> decode_words(std::string_view text);

// Finite doubles as JSON numbers (nlohmann prints the shortest round-trip form); +inf, -inf
// and NaN, which JSON lacks, as the strings "inf", "-inf" and "nan".
nlohmann::json encode_double(double value);
// Reads what encode_double writes (any JSON number is accepted); throws std::invalid_argument
// naming `what` otherwise.
double decode_double(const nlohmann::json& value, const char* what);

// A non-negative JSON integer; throws std::invalid_argument naming `what` otherwise.
uint64_t decode_count(const nlohmann::json& value, const char* what);

// The member `name` of a JSON object; throws std::invalid_argument naming `sketch` if absent.
const nlohmann::json& member(const nlohmann::json& state, const char* name, const char* sketch);

}  // namespace xferval::detail
