#include "xferval/core/hash.hpp"

#include <fmt/format.h>

#include <fstream>
#include <vector>

#include "xferval/core/error.hpp"

#if defined(__x86_64__)
// libxxhash's run-time dispatch: XXH3 with AVX2 or AVX-512 where the CPU has them (the default
// build is SSE2). Same digests; the content hash of a large input takes about half the time.
#include <xxh_x86dispatch.h>
#endif

namespace xferval {

ContentHasher::ContentHasher() : state_(XXH3_createState()) { XXH3_64bits_reset(state_); }
ContentHasher::~ContentHasher() { XXH3_freeState(state_); }
void ContentHasher::update(const void* data, size_t size) { XXH3_64bits_update(state_, data, size); }
uint64_t ContentHasher::digest() const { return XXH3_64bits_digest(state_); }
std::string ContentHasher::hex_digest() const { return fmt::format("{:016x}", digest()); }

std::string hash_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open the file to hash it");
  ContentHasher hasher;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hasher.update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  return "xxh3:" + hasher.hex_digest();
}

}  // namespace xferval
