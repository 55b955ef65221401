#include "io/zip_directory.hpp"

#include "io/byte_order.hpp"
#include "xferval/core/error.hpp"

namespace xferval::io {

namespace {

constexpr std::string_view kEndRecord("PK\x05\x06", 4);
constexpr std::string_view kZip64EndRecord("PK\x06\x06", 4);
constexpr std::string_view kZip64Locator("PK\x06\x07", 4);
constexpr std::string_view kCentralHeader("PK\x01\x02", 4);
constexpr std::string_view kLocalHeader("PK\x03\x04", 4);
constexpr size_t kEndRecordSize = 22;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr uint32_t kMax32 = 0xffffffff;

struct Directory {
  uint64_t entries = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
};

[[noreturn]] void fail(const std::string& file, uint64_t position, const std::string& message) {
  throw InputError(file, "byte " + std::to_string(position), message);
}

bool has(std::string_view archive, uint64_t position, uint64_t size) {
  return position <= archive.size() && size <= archive.size() - position;
}

bool signature_at(std::string_view archive, uint64_t position, std::string_view signature) {
  return has(archive, position, signature.size()) && archive.substr(position, signature.size()) == signature;
}

// The end-of-central-directory record sits in the last 22 + 65535 bytes (the comment's room).
size_t find_end_record(std::string_view archive, const std::string& file) {
  if (archive.size() >= kEndRecordSize) {
    size_t lowest = archive.size() > kEndRecordSize + 0xffff ? archive.size() - kEndRecordSize - 0xffff : 0;
    for (size_t at = archive.size() - kEndRecordSize + 1; at-- > lowest;) {
      if (archive.compare(at, 4, kEndRecord) == 0 &&
          at + kEndRecordSize + load_le<uint16_t>(archive.data() + at + 20) <= archive.size()) {
        return at;
      }
    }
  }
  fail(file, 0,
       "not a zip archive (no end-of-central-directory record); expected an .npz written by numpy.savez");
}

Directory read_end_records(std::string_view archive, const std::string& file) {
  size_t end = find_end_record(archive, file);
  const char* record = archive.data() + end;
  Directory directory{load_le<uint16_t>(record + 10), load_le<uint32_t>(record + 12),
                      load_le<uint32_t>(record + 16)};
  bool zip64 = directory.entries == 0xffff || directory.size == kMax32 || directory.offset == kMax32;
  if (zip64) {
    if (end < 20 || !signature_at(archive, end - 20, kZip64Locator)) {
      fail(file, end, "the zip end record points to a zip64 record, but there is no zip64 locator before it");
    }
    uint64_t at = load_le<uint64_t>(archive.data() + end - 20 + 8);
    if (!signature_at(archive, at, kZip64EndRecord) || !has(archive, at, 56)) {
      fail(file, end - 20,
           "the zip64 locator points to byte " + std::to_string(at) + ", which holds no zip64 end record");
    }
    const char* record64 = archive.data() + at;
    directory = {load_le<uint64_t>(record64 + 32), load_le<uint64_t>(record64 + 40),
                 load_le<uint64_t>(record64 + 48)};
  }
  if (!has(archive, directory.offset, directory.size)) {
    fail(file, end,
         "the zip central directory (" + std::to_string(directory.size) + " bytes from byte " +
             std::to_string(directory.offset) + ") lies beyond the end of the file (" +
             std::to_string(archive.size()) + " bytes); the archive is truncated or damaged");
  }
  return directory;
}

// Zip64 extra field (id 1): the 64-bit values of the fields whose 32-bit slots hold 0xffffffff.
void apply_zip64_extra(std::string_view extra, ZipEntry& entry, uint32_t raw_uncompressed,
                       uint32_t raw_compressed, uint32_t raw_offset) {
  for (size_t at = 0; at + 4 <= extra.size();) {
    uint16_t id = load_le<uint16_t>(extra.data() + at);
    uint16_t size = load_le<uint16_t>(extra.data() + at + 2);
    std::string_view data = extra.substr(at + 4, std::min<size_t>(size, extra.size() - at - 4));
    at += 4 + size;
    if (id != 1) continue;
    size_t used = 0;
    for (auto [raw, target] : {std::pair{raw_uncompressed, &entry.uncompressed_size},
                               std::pair{raw_compressed, &entry.compressed_size},
                               std::pair{raw_offset, &entry.local_header_offset}}) {
      if (raw != kMax32 || used + 8 > data.size()) continue;
      *target = load_le<uint64_t>(data.data() + used);
      used += 8;
    }
  }
}

}  // namespace

std::vector<ZipEntry> read_zip_directory(std::string_view archive, const std::string& file) {
  Directory directory = read_end_records(archive, file);
  std::vector<ZipEntry> entries;
  uint64_t at = directory.offset;
  for (uint64_t i = 0; i < directory.entries; ++i) {
    if (!signature_at(archive, at, kCentralHeader) || !has(archive, at, kCentralHeaderSize)) {
      fail(file, at,
           "damaged zip central directory: entry " + std::to_string(i + 1) + " of " +
               std::to_string(directory.entries) + " has no central file header here");
    }
    const char* header = archive.data() + at;
    uint16_t name_size = load_le<uint16_t>(header + 28);
    uint16_t extra_size = load_le<uint16_t>(header + 30);
    uint16_t comment_size = load_le<uint16_t>(header + 32);
    if (!has(archive, at + kCentralHeaderSize, uint64_t{name_size} + extra_size + comment_size)) {
      fail(
          file, at,
          "damaged zip central directory: entry " + std::to_string(i + 1) + " runs past the end of the file");
    }
    ZipEntry entry;
    entry.flags = load_le<uint16_t>(header + 8);
    entry.method = load_le<uint16_t>(header + 10);
    entry.crc32 = load_le<uint32_t>(header + 16);
    uint32_t compressed = load_le<uint32_t>(header + 20);
    uint32_t uncompressed = load_le<uint32_t>(header + 24);
    uint32_t offset = load_le<uint32_t>(header + 42);
    entry.compressed_size = compressed;
    entry.uncompressed_size = uncompressed;
    entry.local_header_offset = offset;
    entry.name.assign(header + kCentralHeaderSize, name_size);
    apply_zip64_extra(archive.substr(at + kCentralHeaderSize + name_size, extra_size), entry, uncompressed,
                      compressed, offset);
    entries.push_back(std::move(entry));
    at += kCentralHeaderSize + name_size + extra_size + comment_size;
  }
  return entries;
}

std::string_view zip_member_bytes(std::string_view archive, const ZipEntry& entry, const std::string& file) {
  uint64_t at = entry.local_header_offset;
  if (!signature_at(archive, at, kLocalHeader) || !has(archive, at, kLocalHeaderSize)) {
    fail(file, at,
         "damaged zip archive: no local file header for member " + entry.name + " where the directory says");
  }
  uint64_t data = at + kLocalHeaderSize + load_le<uint16_t>(archive.data() + at + 26) +
                  load_le<uint16_t>(archive.data() + at + 28);
  if (!has(archive, data, entry.compressed_size)) {
    fail(file, data,
         "member " + entry.name + " holds " + std::to_string(entry.compressed_size) +
             " bytes from here, past the end of the file (" + std::to_string(archive.size()) +
             " bytes); the archive is truncated");
  }
  return archive.substr(static_cast<size_t>(data), static_cast<size_t>(entry.compressed_size));
}

}  // namespace xferval::io
