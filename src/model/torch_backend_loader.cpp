// Finds and loads the LibTorch plugin the first time a model is used (torch_backend.hpp says why
// LibTorch is a plugin).
#include <dlfcn.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "model/torch_backend.hpp"
#include "xferval/core/error.hpp"

// Both set on this file by CMakeLists.txt: the plugin's file name, and its absolute path in the
// build tree that compiled this file.
#if !defined(XFERVAL_TORCH_PLUGIN_FILE_NAME) || !defined(XFERVAL_TORCH_PLUGIN_BUILD_PATH)
#error "XFERVAL_TORCH_PLUGIN_FILE_NAME and XFERVAL_TORCH_PLUGIN_BUILD_PATH must be defined"
#endif

namespace xferval {

namespace {

namespace fs = std::filesystem;

// Where the plugin may be, in the order tried: next to the running executable (the build tree's
// xferval), in ../lib/xferval/ from it (an installed xferval), then where this build put it (test
// programs and benchmarks in the build tree's subfolders). XFERVAL_TORCH_PLUGIN, when set, is the
// only place: a deliberate choice should fail loudly, not fall back to some other copy.
std::vector<fs::path> plugin_candidates() {
  if (const char* chosen = std::getenv("XFERVAL_TORCH_PLUGIN"); chosen != nullptr && *chosen != '\0') {
    return {fs::absolute(chosen)};  // dlopen would search the library path for a bare file name
  }
  std::vector<fs::path> candidates;
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path folder = executable.parent_path();
    candidates.push_back(folder / XFERVAL_TORCH_PLUGIN_FILE_NAME);
    candidates.push_back(folder.parent_path() / "lib" / "xferval" / XFERVAL_TORCH_PLUGIN_FILE_NAME);
  }
  const fs::path built = XFERVAL_TORCH_PLUGIN_BUILD_PATH;
  if (std::find(candidates.begin(), candidates.end(), built) == candidates.end()) candidates.push_back(built);
  return candidates;
}

// LibTorch's matrix products run in Debian's OpenBLAS, which reads these at load time. Its CPU
// detection does not know every processor (on the 2-core Xeon VMs of CI it falls back to the
// generic Prescott kernel, SSE3 only), so the kernel is named from the CPU's own features; and its
// own thread pool competes with LibTorch's OpenMP threads for the same cores, so BLAS runs in the
// calling thread. One fine-tuning epoch of the example CNN: 1.10 s before, 0.50 s after
// (bench/train_epoch_vs_torch.py). A value the user set is kept.
void configure_blas_runtime() {
  ::setenv("OPENBLAS_NUM_THREADS", "1", 0);
  // LibTorch's OpenMP threads spin up to 300,000 times at each barrier before they sleep. When
  // other processes share the cores (a CI running tests side by side) the thread being waited for
  // is often not running, and the spinning takes its time: two fine-tuning runs at once took 52 s
  // with the default and 21 s with 10,000 spins; alone, the epoch time is the same (0.49-0.50 s).
  ::setenv("GOMP_SPINCOUNT", "10000", 0);
#if defined(__x86_64__)
  __builtin_cpu_init();
  const char* core = nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    core = "SkylakeX";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    core = "Haswell";
  }
  if (core != nullptr) ::setenv("OPENBLAS_CORETYPE", core, 0);
#endif
}

// A batch's activations are megabytes each, allocated and freed every batch. By default glibc
// serves such blocks with mmap and returns freed heap tops to the kernel, so every batch faults
// its memory in again (page faults were the largest cost after the convolutions). Blocks up to
// 32 MiB now come from the heap, which keeps up to 256 MiB of free space. Embedding 60,000
// Fashion-MNIST images: 9.1 s before, 7.0 s after (bench/embed_vs_torch.py).
void configure_allocator() {
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

const TorchBackend& load_torch_backend() {
  configure_blas_runtime();
  configure_allocator();
  std::vector<std::string> failures;
  for (const fs::path& candidate : plugin_candidates()) {
    std::error_code error;
    if (!fs::exists(candidate, error)) {
      failures.push_back(fmt::format("{} (no such file)", candidate.string()));
      continue;
    }
    // RTLD_LAZY binds functions on first call, as when the binary linked LibTorch (RTLD_NOW costs
    // ~25 ms more, resolving every symbol of ~400 libraries up front); RTLD_LOCAL keeps LibTorch's
    // symbols out of the process's global scope. The plugin is never closed, not even when it is
    // refused below: unloading LibTorch is not supported, and the objects it makes run its code.
    void* plugin = dlopen(candidate.c_str(), RTLD_LAZY | RTLD_LOCAL);
    if (plugin == nullptr) {
      failures.push_back(fmt::format("{} ({})", candidate.string(), dlerror()));
      continue;
    }
    const auto entry =
        reinterpret_cast<decltype(&xferval_torch_backend)>(dlsym(plugin, "xferval_torch_backend"));
    if (entry == nullptr) {
      failures.push_back(fmt::format("{} ({})", candidate.string(), dlerror()));
      continue;
    }
    if (const TorchBackend* backend = entry(kTorchBackendInterfaceVersion)) return *backend;
    failures.push_back(fmt::format("{} (built from another version of xferval)", candidate.string()));
  }
  throw InputError(
      XFERVAL_TORCH_PLUGIN_FILE_NAME, "",
      fmt::format("cannot load xferval's LibTorch plugin, which every use of a model needs; tried {}. "
                  "Build the xferval_torch target (building xferval builds it too), or set "
                  "XFERVAL_TORCH_PLUGIN to the plugin's path",
                  fmt::join(failures, "; ")));
}

}  // namespace

const TorchBackend& torch_backend() {
  // Initialised once even when threads race here; a load that threw is retried on the next call.
  static const TorchBackend& backend = load_torch_backend();
  return backend;
}

}  // namespace xferval

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer misreads the dynamic TLS of dlopen()ed libraries (LibTorch's) on glibc 2.36 and
// crashes at exit with "Tracer caught signal 11" (google/sanitizers#1322); this turns off only its
// tracking of dynamic TLS, in every sanitized program that can load the plugin. ASAN_OPTIONS
// still overrides it.
extern "C" const char* __asan_default_options() { return "intercept_tls_get_addr=0"; }
#endif
