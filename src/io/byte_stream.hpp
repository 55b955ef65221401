#pragma once
// Sequential byte streams over a memory-mapped file: the bytes themselves, or their zlib
// decompression (raw deflate for zip members, gzip for .gz files). Array readers pull their
// data through this interface, so one reader serves plain and compressed inputs alike.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace xferval::io {

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // The next up to `size` bytes, fewer only at the end of the stream; valid until the next call.
  virtual std::string_view next(size_t size) = 0;
  // Back to the first byte.
  virtual void rewind() = 0;
  // Where a byte of the stream sits, for error messages: "byte 4096".
  virtual std::string where(uint64_t position) const { return "byte " + std::to_string(position); }
  // Called once the reader has consumed the whole stream: checks what only the end can show.
  virtual void finish() {}
  // Bytes delivered since the first byte.
  uint64_t position() const { return position_; }

 protected:
  uint64_t position_ = 0;
};

// Reads and discards size bytes; returns how many there were (fewer at the end of the stream).
uint64_t skip(ByteStream& stream, uint64_t size);
// Reads exactly up to size bytes into a string (fewer at the end of the stream).
std::string read_string(ByteStream& stream, size_t size);

// The bytes of a mapped region; `offset` is the region's position in the file, for messages.
std::unique_ptr<ByteStream> memory_stream(std::string_view bytes, uint64_t offset = 0);

enum class Compression { RawDeflate, Gzip };
// The decompressed bytes of compressed data starting at `offset` in `file`. Corrupt or truncated
// compressed data is an InputError naming the file and the compressed byte; `context` (e.g.
// "member x.npy") is added to those messages. Gzip streams may hold several members.
std::unique_ptr<ByteStream> inflate_stream(std::string_view compressed, uint64_t offset,
                                           Compression compression, std::string file,
                                           std::string context = "");

}  // namespace xferval::io
