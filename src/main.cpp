#include "xferval/cli/app.hpp"

int main(int argc, char** argv) { return xferval::cli::main(argc, argv); }
