#pragma once
// UTF-8 validation of the safetensors header (rule 4 of the reference reader).
#include <cstdint>
#include <optional>
#include <string_view>

namespace xferval::params {

// The index of the first byte that is not part of a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are ill-formed), or nullopt when the text is valid.
std::optional<uint64_t> first_invalid_utf8(std::string_view text);

}  // namespace xferval::params
