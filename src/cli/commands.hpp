#pragma once
// Each verb registers its options on the root app and sets `run` when it is chosen.
#include <CLI/CLI.hpp>
#include <functional>

namespace xferval::cli {

using Runner = std::function<int()>;

void add_profile_command(CLI::App& root, Runner& run);
void add_merge_command(CLI::App& root, Runner& run);
void add_card_command(CLI::App& root, Runner& run);
void add_check_command(CLI::App& root, Runner& run);
void add_verify_command(CLI::App& root, Runner& run);
void add_rank_command(CLI::App& root, Runner& run);
void add_report_command(CLI::App& root, Runner& run);
void add_export_command(CLI::App& root, Runner& run);
void add_run_command(CLI::App& root, Runner& run);
void add_tune_command(CLI::App& root, Runner& run);

}  // namespace xferval::cli
