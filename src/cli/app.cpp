#include "xferval/cli/app.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "xferval/version.hpp"

namespace xferval::cli {

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "--version") {
    fmt::print("xferval {}\n", kVersion);
    return 0;
  }
  fmt::print(stderr, "usage: xferval VERB [OPTIONS]\n");
  return 2;
}

}  // namespace xferval::cli
