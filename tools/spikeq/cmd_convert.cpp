// spikeq convert DIR --to h5|tsv: write a run's spikes (and voltages) in the
// other format, from the files present; the manifest lists the new files.
#include <cstdio>

#include "commands.h"
#include "engine/io/run_directory.h"
#include "engine/io/run_lock.h"

namespace spikeq::cli {
namespace {

struct ConvertOptions {
  std::string dir;
  std::string to;
};

int convert(const ConvertOptions& opt) {
  const auto lock = RunLock::acquire_if_writable(opt.dir);  // never under a live run
  for (const std::string& file : convert_run_directory(opt.dir, parse_output_format(opt.to)))
    std::printf("%s/%s\n", opt.dir.c_str(), file.c_str());
  return 0;
}

}  // namespace

Subcommand add_convert(CLI::App& app) {
  auto* sub = app.add_subcommand("convert", "Convert a run's spike and voltage files between SONATA HDF5 and TSV");
  auto opt = std::make_shared<ConvertOptions>();
  sub->add_option("dir", opt->dir, "Run directory (spikeq run -o DIR)")->required();
  sub->add_option("--to", opt->to, "Target format: h5 (spikes.h5, voltages.h5) or tsv (spikes.tsv, voltages.tsv)")
      ->required()
      ->check(CLI::IsMember({"h5", "tsv"}));
  return {sub, [opt] { return convert(*opt); }};
}

}  // namespace spikeq::cli
