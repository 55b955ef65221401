#include "io/byte_stream.hpp"

#include <algorithm>

namespace xferval::io {

namespace {

class MemoryStream : public ByteStream {
 public:
  MemoryStream(std::string_view bytes, uint64_t offset) : bytes_(bytes), offset_(offset) {}

  std::string_view next(size_t size) override {
    size_t start = static_cast<size_t>(position_);
    size_t taken = std::min(size, bytes_.size() - start);
    position_ += taken;
    return bytes_.substr(start, taken);
  }
  void rewind() override { position_ = 0; }
  std::string where(uint64_t position) const override { return "byte " + std::to_string(offset_ + position); }

 private:
  std::string_view bytes_;
  uint64_t offset_;
};

}  // namespace

uint64_t skip(ByteStream& stream, uint64_t size) {
  uint64_t skipped = 0;
  while (skipped < size) {
    size_t step = static_cast<size_t>(std::min<uint64_t>(size - skipped, 1 << 16));
    size_t got = stream.next(step).size();
    skipped += got;
    if (got < step) break;
  }
  return skipped;
}

std::string read_string(ByteStream& stream, size_t size) { return std::string(stream.next(size)); }

std::unique_ptr<ByteStream> memory_stream(std::string_view bytes, uint64_t offset) {
  return std::make_unique<MemoryStream>(bytes, offset);
}

}  // namespace xferval::io
