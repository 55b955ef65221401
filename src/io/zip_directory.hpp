#pragma once
// The central directory of a zip archive held in memory (zip64 records included), enough to
// find and read the members of an .npz.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xferval::io {

struct ZipEntry {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
};

// The entries in archive order. InputError (naming `file` and the byte) when there is no
// end-of-central-directory record or the directory is damaged.
std::vector<ZipEntry> read_zip_directory(std::string_view archive, const std::string& file);

// The member's compressed bytes, found through its local header.
std::string_view zip_member_bytes(std::string_view archive, const ZipEntry& entry, const std::string& file);

}  // namespace xferval::io
