// .npz archives: a zip member (stored or deflated) read as an .npy stream, its CRC-32 checked
// once the data has been read.
#include <zlib.h>

#include <algorithm>
#include <cstdio>

#include "io/npy_header.hpp"
#include "io/streamed_array.hpp"
#include "io/zip_directory.hpp"
#include "xferval/core/error.hpp"
#include "xferval/io/array.hpp"

namespace xferval {

namespace {

constexpr std::string_view kSuffix = ".npy";

std::string array_name(const std::string& member) {
  bool suffixed = member.size() > kSuffix.size() && member.ends_with(kSuffix);
  return suffixed ? member.substr(0, member.size() - kSuffix.size()) : member;
}

// A member's uncompressed bytes; checks their count and CRC-32 against the directory at the end.
class ZipMemberStream : public io::ByteStream {
 public:
  ZipMemberStream(std::unique_ptr<io::ByteStream> inner, io::ZipEntry entry, std::string file)
      : inner_(std::move(inner)), entry_(std::move(entry)), file_(std::move(file)) {}

  std::string_view next(size_t size) override {
    std::string_view bytes = inner_->next(size);
    crc_ = crc32_z(crc_, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size());
    position_ += bytes.size();
    return bytes;
  }
  void rewind() override {
    inner_->rewind();
    position_ = 0;
    crc_ = crc32_z(0, nullptr, 0);
  }
  std::string where(uint64_t position) const override {
    return "member " + entry_.name + ", byte " + std::to_string(position);
  }
  void finish() override {
    if (position_ != entry_.uncompressed_size) {
      throw InputError(file_, where(position_),
                       "the member holds " + std::to_string(position_) + " bytes, the zip directory says " +
                           std::to_string(entry_.uncompressed_size) + "; the archive is corrupt");
    }
    if (crc_ != entry_.crc32) {
      char text[80];
      std::snprintf(text, sizeof text, "CRC-32 mismatch: the data gives %08lx, the zip directory says %08lx",
                    static_cast<unsigned long>(crc_), static_cast<unsigned long>(entry_.crc32));
      throw InputError(file_, "member " + entry_.name, std::string(text) + "; the archive is corrupt");
    }
    inner_->finish();
  }

 private:
  std::unique_ptr<io::ByteStream> inner_;
  io::ZipEntry entry_;
  std::string file_;
  uLong crc_ = crc32_z(0, nullptr, 0);
};

std::string member_list(const std::vector<io::ZipEntry>& entries) {
  std::string list;
  for (const io::ZipEntry& entry : entries) list += (list.empty() ? "" : ", ") + array_name(entry.name);
  return list.empty() ? "(none)" : list;
}

const io::ZipEntry& find_member(const std::vector<io::ZipEntry>& entries, const std::string& path,
                                const std::string& member) {
  for (const std::string& name : {member + std::string(kSuffix), member}) {
    auto found =
        std::find_if(entries.begin(), entries.end(), [&](const io::ZipEntry& e) { return e.name == name; });
    if (found != entries.end()) return *found;
  }
  throw InputError(path, "member " + member,
                   "no such array in the archive; it holds: " + member_list(entries));
}

std::unique_ptr<io::ByteStream> member_stream(std::string_view bytes, uint64_t offset,
                                              const io::ZipEntry& entry, const std::string& path) {
  std::string where = "member " + entry.name;
  if ((entry.flags & 1) != 0)
    throw InputError(path, where, "the member is encrypted; encrypted archives are not supported");
  std::unique_ptr<io::ByteStream> inner;
  if (entry.method == 0) {
    if (entry.compressed_size != entry.uncompressed_size) {
      throw InputError(path, where,
                       "a stored member whose compressed and uncompressed sizes differ (" +
                           std::to_string(entry.compressed_size) + " and " +
                           std::to_string(entry.uncompressed_size) + "); the archive is corrupt");
    }
    inner = io::memory_stream(bytes, offset);
  } else if (entry.method == 8) {
    inner = io::inflate_stream(bytes, offset, io::Compression::RawDeflate, path, where);
  } else {
    throw InputError(path, where,
                     "compression method " + std::to_string(entry.method) +
                         " is not supported; only stored and deflated members (numpy.savez and "
                         "numpy.savez_compressed) are");
  }
  return std::make_unique<ZipMemberStream>(std::move(inner), entry, path);
}

}  // namespace

std::vector<std::string> npz_members(const std::string& path) {
  MappedFile file(path);
  std::vector<std::string> names;
  for (const io::ZipEntry& entry : io::read_zip_directory(file.view(), path))
    names.push_back(array_name(entry.name));
  return names;
}

std::unique_ptr<ArraySource> open_npz_member(const std::string& path, const std::string& member) {
  auto file = std::make_shared<const MappedFile>(path);
  std::vector<io::ZipEntry> entries = io::read_zip_directory(file->view(), path);
  const io::ZipEntry& entry = find_member(entries, path, member);
  std::string_view bytes = io::zip_member_bytes(file->view(), entry, path);
  auto stream = member_stream(bytes, static_cast<uint64_t>(bytes.data() - file->data()), entry, path);
  io::NpyHeader header = io::read_npy_header(*stream, path);
  uint64_t available = entry.uncompressed_size - std::min(entry.uncompressed_size, header.layout.data_offset);
  if (available != header.data_bytes) {
    throw InputError(path, stream->where(header.layout.data_offset),
                     io::npy_size_mismatch(header, available, "member"));
  }
  return io::streamed_array(path, file, bytes, std::move(stream), std::move(header.layout));
}

}  // namespace xferval
