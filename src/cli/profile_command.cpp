#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "commands.hpp"
#include "input_options.hpp"
#include "progress.hpp"
#include "summary.hpp"
#include "xferval/core/error.hpp"
#include "xferval/profile/builder.hpp"
#include "xferval/profile/cleaning.hpp"
#include "xferval/profile/profile_json.hpp"

namespace xferval::cli {

namespace {

struct ProfileArguments {
  std::string data;
  std::shared_ptr<InputArguments> input = std::make_shared<InputArguments>();
  std::string output;
  std::string shard;
  std::string clean;
  bool clean_given = false;
  std::string clean_out;
  std::string standardize_from;
  bool json = false;
  bool quiet = false;
};

std::pair<uint32_t, uint32_t> parse_shard(const std::string& text) {
  uint32_t index = 0;
  uint32_t count = 0;
  auto slash = text.find('/');
  bool ok = slash != std::string::npos;
  if (ok) {
    auto [p1, e1] = std::from_chars(text.data(), text.data() + slash, index);
    auto [p2, e2] = std::from_chars(text.data() + slash + 1, text.data() + text.size(), count);
    ok = e1 == std::errc() && e2 == std::errc() && p1 == text.data() + slash &&
         p2 == text.data() + text.size();
  }
  if (!ok || count == 0 || index == 0 || index > count) {
    throw UsageError(fmt::format("--shard '{}': expected I/N with 1 <= I <= N, e.g. --shard 2/4", text));
  }
  return {index, count};
}

// XFERVAL_CSV_SEGMENT_BYTES: the size of the segments a large CSV file is read in on every core.
// The tests set it small to read small files in many segments.
uint64_t csv_segment_bytes_from_environment() {
  const char* text = std::getenv("XFERVAL_CSV_SEGMENT_BYTES");
  if (text == nullptr || *text == '\0') return kCsvSegmentBytes;
  uint64_t bytes = 0;
  const char* end = text + std::strlen(text);
  auto [stop, error] = std::from_chars(text, end, bytes);
  if (error != std::errc() || stop != end || bytes == 0) {
    throw UsageError(
        fmt::format("XFERVAL_CSV_SEGMENT_BYTES='{}': expected a positive number of bytes", text));
  }
  return bytes;
}

int run_profile(const ProfileArguments& args) {
  ProfileOptions options;
  const InputArguments& input = *args.input;
  if (!input.label.empty()) options.label = input.label;
  options.labels_path = input.labels_path;
  options.npz_member = input.member;
  options.format = input.format;
  options.csv = input.csv();
  if (!args.shard.empty()) std::tie(options.shard_index, options.shard_count) = parse_shard(args.shard);
  options.csv_segment_bytes = csv_segment_bytes_from_environment();
  Progress progress("profiling " + args.data, !args.quiet);
  options.progress = [&](uint64_t done, uint64_t total) { progress.update(done, total); };

  if (!args.standardize_from.empty() && args.clean_out.empty()) {
    throw UsageError("--standardize-from sets how --clean-out scales the matrix; add --clean-out FILE.npy");
  }
  Profile profile;
  if (args.clean_given || !args.clean_out.empty() || !args.standardize_from.empty()) {
    if (options.shard_count > 0) throw UsageError("--clean works on the whole input; drop --shard");
    CleaningRequest request{CleaningPolicy::parse(args.clean), args.clean_out, args.standardize_from};
    profile = clean_and_profile(args.data, options, request);
  } else {
    profile = build_profile(args.data, options);
  }
  progress.finish();
  if (!args.output.empty()) save_profile(profile, args.output);
  if (args.json) {
    fmt::print("{}\n", profile_summary_json(profile).dump(2));
  } else {
    fmt::print("{}", profile_summary(profile));
    if (!args.output.empty()) fmt::print("\nprofile written to {}\n", args.output);
    if (!args.clean_out.empty()) fmt::print("cleaned matrix written to {}\n", args.clean_out);
  }
  return 0;
}

}  // namespace

void add_profile_command(CLI::App& root, Runner& run) {
  auto args = std::make_shared<ProfileArguments>();
  CLI::App* command =
      root.add_subcommand("profile", "Profile a dataset: statistics, schema and mergeable sketches");
  command->add_option("data", args->data, "CSV file, .npy, .npz, IDX file (raw or .gz) or image folder")
      ->required();
  add_input_options(*command, args->input, "Label column (CSV) or label array (.npz member)");
  command->add_option("-o,--output", args->output, "Write the profile (xferval.profile/1 JSON) to this file");
  command->add_option("--shard", args->shard, "Profile only the I-th of N contiguous parts, e.g. 2/4");
  command
      ->add_option("--clean", args->clean,
                   "Clean before profiling; policy missing=drop|mean|median|mode|keep,duplicates=drop|keep,"
                   "constant=flag|drop (default missing=drop,duplicates=drop,constant=flag)")
      ->expected(0, 1)
      ->each([args](const std::string&) { args->clean_given = true; });
  command->add_option(
      "--clean-out", args->clean_out,
      "Write the cleaned, standardised numeric matrix to FILE.npy (+ FILE.columns.json); implies --clean");
  command->add_option(
      "--standardize-from", args->standardize_from,
      "Standardise with the means and scales of this profile or model card instead of this data's");
  command->add_flag("--json", args->json, "Print the profile (without sketch state) as JSON on stdout");
  command->add_flag("-q,--quiet", args->quiet, "No progress on standard error");
  command->footer(
      "Examples:\n"
      "  xferval profile data/iris.csv --label species\n"
      "  xferval profile data/wine.csv --label cultivar -o wine.profile.json\n"
      "  xferval profile train.csv --clean missing=median --clean-out train.clean.npy\n"
      "  xferval profile new.csv --clean --clean-out new.npy --standardize-from wine.profile.json\n"
      "  xferval profile /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz \\\n"
      "      --labels /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz\n"
      "  xferval profile big.csv --shard 1/4 -o part1.profile.json   # then: xferval merge part*.json\n"
      "\n"
      "A CSV of 64 MiB or more is read in 32 MiB segments on every core and their states merged;\n"
      "XFERVAL_CSV_SEGMENT_BYTES sets another segment size. On CPUs with AVX-512 the parsing,\n"
      "sorting and co-moments run vectorised; XFERVAL_VECTOR=portable keeps the portable code\n"
      "(same profile; also avx512f, avx512, avx512vbmi2 to cap the instruction set).");
  command->callback([args, &run]() { run = [args]() { return run_profile(*args); }; });
}

}  // namespace xferval::cli
