#include "xferval/cli/app.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "xferval/core/cpu_features.hpp"
#include "xferval/core/error.hpp"
#include "xferval/version.hpp"

namespace xferval::cli {

int main(int argc, char** argv) {
  CLI::App root(
      "xferval: metadata validation for transfer learning.\n"
      "Profiles data, checks it against a model's metadata, and validates fine-tuned parameters.",
      "xferval");
  root.set_version_flag("--version", std::string("xferval ") + kVersion);
  root.require_subcommand(1);
  root.footer(
      "Examples:\n"
      "  xferval profile data/iris.csv --label species\n"
      "  xferval profile train.csv --label y -o train.profile.json\n"
      "  xferval merge part1.profile.json part2.profile.json -o all.profile.json\n"
      "  xferval card --data data/wine.csv --label cultivar -o wine.card.json\n"
      "  xferval check --card wine.card.json --data new_wine.csv -o report.json\n"
      "  xferval rank --data target.npz --member images --label labels A.pt B.pt\n"
      "  xferval tune --model M.pt --card M.card.json --data target.csv --label y --trials 20 -o tuned\n"
      "  xferval verify --base M.pt --tuned tuned/model.pt --data holdout.csv --label y\n"
      "  xferval report report.json --html report.html --md report.md --junit junit.xml\n"
      "  xferval run examples/fashion-mnist/pipeline.toml\n"
      "Run 'xferval VERB --help' for a verb's options.\n"
      "Exit status: 0 passed, 1 a check failed, 2 bad usage or bad input.");
  Runner run;
  add_profile_command(root, run);
  add_merge_command(root, run);
  add_card_command(root, run);
  add_check_command(root, run);
  add_verify_command(root, run);
  add_rank_command(root, run);
  add_report_command(root, run);
  add_export_command(root, run);
  add_run_command(root, run);
  add_tune_command(root, run);
  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return root.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return root.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return root.exit(version);
  } catch (const CLI::ParseError& error) {
    fmt::print(stderr, "xferval: error: {}\nRun 'xferval --help' or 'xferval VERB --help' for usage.\n",
               error.what());
    return 2;
  }
  try {
    if (const std::string error = vector_setting_error(); !error.empty()) throw UsageError(error);
    return run ? run() : 2;
  } catch (const InputError& error) {
    fmt::print(stderr, "xferval: error: {}\n", error.what());
    return 2;
  } catch (const UsageError& error) {
    fmt::print(stderr, "xferval: error: {}\n", error.what());
    return 2;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "xferval: error: out of memory\n");
    return 2;
  }
}

}  // namespace xferval::cli
