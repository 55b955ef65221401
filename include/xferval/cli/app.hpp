#pragma once
namespace xferval::cli {
// Runs the xferval command line; returns the process exit status (0 pass, 1 gate failed,
// 2 bad usage or bad input).
int main(int argc, char** argv);
}  // namespace xferval::cli
