// zlib decompression of a mapped region, streamed: only the requested bytes are held.
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <new>
#include <vector>

#include "io/byte_stream.hpp"
#include "xferval/core/error.hpp"

namespace xferval::io {

namespace {

class InflateStream : public ByteStream {
 public:
  InflateStream(std::string_view compressed, uint64_t offset, Compression compression, std::string file,
                std::string context)
      : compressed_(compressed),
        offset_(offset),
        gzip_(compression == Compression::Gzip),
        file_(std::move(file)),
        context_(std::move(context)) {
    if (inflateInit2(&zlib_, gzip_ ? 16 + MAX_WBITS : -MAX_WBITS) != Z_OK) throw std::bad_alloc();
  }
  ~InflateStream() override { inflateEnd(&zlib_); }
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;

  std::string_view next(size_t size) override {
    if (buffer_.size() < size) buffer_.resize(size);
    size_t produced = 0;
    while (produced < size && !ended_) produced += inflate_into(buffer_.data() + produced, size - produced);
    position_ += produced;
    return {buffer_.data(), produced};
  }

  void rewind() override {
    inflateReset(&zlib_);
    consumed_ = 0;
    produced_total_ = 0;
    ended_ = false;
    position_ = 0;
  }

  std::string where(uint64_t position) const override {
    return "byte " + std::to_string(position) + " of the decompressed data";
  }

 private:
  // One inflate call; returns the bytes it produced.
  size_t inflate_into(char* out, size_t size) {
    size_t available = compressed_.size() - consumed_;
    zlib_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed_.data() + consumed_));
    zlib_.avail_in = static_cast<uInt>(std::min<size_t>(available, UINT_MAX));
    zlib_.next_out = reinterpret_cast<Bytef*>(out);
    zlib_.avail_out = static_cast<uInt>(std::min<size_t>(size, UINT_MAX));
    uInt in_before = zlib_.avail_in;
    uInt out_before = zlib_.avail_out;
    int status = inflate(&zlib_, Z_NO_FLUSH);
    consumed_ += in_before - zlib_.avail_in;
    size_t produced = out_before - zlib_.avail_out;
    produced_total_ += produced;
    if (status == Z_STREAM_END) {
      if (gzip_ && starts_another_gzip_member()) {
        inflateReset(&zlib_);
      } else {
        ended_ = true;
      }
    } else if (status == Z_BUF_ERROR ||
               (status == Z_OK && produced == 0 && consumed_ == compressed_.size())) {
      throw InputError(file_, "byte " + std::to_string(offset_ + compressed_.size()),
                       "compressed data" + context_text() + " ends early, after " +
                           std::to_string(produced_total_) + " decompressed bytes; the file is truncated");
    } else if (status != Z_OK) {
      std::string reason = zlib_.msg != nullptr ? zlib_.msg : "zlib error " + std::to_string(status);
      throw InputError(file_, "byte " + std::to_string(offset_ + consumed_),
                       "corrupt compressed data" + context_text() + ": " + reason);
    }
    return produced;
  }

  bool starts_another_gzip_member() const {
    return compressed_.size() - consumed_ >= 2 &&
           static_cast<unsigned char>(compressed_[consumed_]) == 0x1f &&
           static_cast<unsigned char>(compressed_[consumed_ + 1]) == 0x8b;
  }

  std::string context_text() const { return context_.empty() ? "" : " in " + context_; }

  std::string_view compressed_;
  uint64_t offset_;
  bool gzip_;
  std::string file_;
  std::string context_;
  z_stream zlib_{};
  size_t consumed_ = 0;
  uint64_t produced_total_ = 0;
  bool ended_ = false;
  std::vector<char> buffer_;
};

}  // namespace

std::unique_ptr<ByteStream> inflate_stream(std::string_view compressed, uint64_t offset,
                                           Compression compression, std::string file, std::string context) {
  return std::make_unique<InflateStream>(compressed, offset, compression, std::move(file),
                                         std::move(context));
}

}  // namespace xferval::io
