#include <fmt/format.h>

#include "commands.hpp"
#include "summary.hpp"
#include "xferval/profile/merge.hpp"
#include "xferval/profile/profile_json.hpp"

namespace xferval::cli {

namespace {

struct MergeArguments {
  std::vector<std::string> inputs;
  std::string output;
  bool json = false;
};

int run_merge(const MergeArguments& args) {
  std::vector<Profile> profiles;
  for (const auto& input : args.inputs) profiles.push_back(load_profile(input));
  Profile merged = merge_profiles(std::move(profiles), args.inputs);
  save_profile(merged, args.output);
  if (args.json) {
    fmt::print("{}\n", profile_summary_json(merged).dump(2));
  } else {
    fmt::print("{}\nmerged {} profiles into {}\n", profile_summary(merged), args.inputs.size(), args.output);
  }
  return 0;
}

}  // namespace

void add_merge_command(CLI::App& root, Runner& run) {
  auto args = std::make_shared<MergeArguments>();
  CLI::App* command =
      root.add_subcommand("merge", "Merge profiles of parts of the data into the profile of the whole");
  command->add_option("profiles", args->inputs, "Profiles to merge (xferval.profile/1)")->required();
  command->add_option("-o,--output", args->output, "Merged profile to write")->required();
  command->add_flag("--json", args->json,
                    "Print the merged profile (without sketch state) as JSON on stdout");
  command->footer(
      "Examples:\n"
      "  xferval profile big.csv --shard 1/2 -o a.profile.json\n"
      "  xferval profile big.csv --shard 2/2 -o b.profile.json\n"
      "  xferval merge a.profile.json b.profile.json -o big.profile.json");
  command->callback([args, &run]() { run = [args]() { return run_merge(*args); }; });
}

}  // namespace xferval::cli
