// spikeq recover DIR [--discard-damaged]: make a run directory whole after the run
// was killed (SIGKILL, power loss), or every run below DIR (trial-*/, point-*/),
// and say exactly what was kept and what was dropped (engine/io/recover.h; README
// "Recording"). Exit 0: the files hold the whole record up to the time the
// manifest gives; 3: they are valid but have gaps (listed); 2 or 1 as usual.
#include <cstdio>

#include "commands.h"
#include "engine/batch/recover_tree.h"
#include "engine/io/run_lock.h"

namespace spikeq::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text.empty() ? "none" : text;
}

std::string ms(double t) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", t);
  return buf;
}

std::string count(std::uint64_t n, const std::string& unit) {
  return std::to_string(n) + " " + (n == 1 ? unit.substr(0, unit.size() - 1) : unit);
}

void print_journal(const RecoveredFile& f) {
  const JournalScan& s = *f.journal;
  const char* name = f.name.c_str();
  if (s.header_torn) {
    std::printf("  %s: cut short inside its header (%llu bytes): nothing had been recorded\n", name,
                static_cast<unsigned long long>(s.file_bytes));
    return;
  }
  std::printf("  %s: kept %s", name, count(s.records, f.unit).c_str());
  if (s.records > 0) std::printf(", %s to %s ms", ms(s.first_ms).c_str(), ms(s.last_ms).c_str());
  std::printf(" (%s intact)\n", count(s.blocks, "blocks").c_str());
  std::vector<std::string> dropped;
  if (s.dropped_records() > 0)
    dropped.push_back(count(s.dropped_records(), f.unit) + " of intact blocks (batches cut by the kill or by damage)");
  if (s.meta_damaged) dropped.push_back("a damaged header (the layout of manifest.json was used)");
  if (!s.damaged.empty()) {
    std::string text = count(s.damaged.size(), "damaged regions") + " (bytes";
    for (std::size_t i = 0; i < s.damaged.size() && i < 5; ++i)
      text += std::string(i ? "," : "") + " " + std::to_string(s.damaged[i].begin) + "-" + std::to_string(s.damaged[i].end);
    if (s.damaged.size() > 5) text += ", ...";
    dropped.push_back(text + "; " + std::to_string(s.damaged_bytes()) + " bytes)");
  }
  if (s.torn_bytes > 0) dropped.push_back("a torn end of " + std::to_string(s.torn_bytes) + " bytes");
  if (s.gave_up) dropped.push_back("(the search for intact blocks stopped at its bound: the rest counts as damaged)");
  std::printf("  %s: dropped %s\n", name, dropped.empty() ? "nothing" : join(dropped).c_str());
  for (const JournalScan::Gap& g : s.gaps)
    std::printf("  %s: gap from %s to %s ms: %s in between are lost\n", name, ms(g.from_ms).c_str(), ms(g.to_ms).c_str(),
                f.unit.c_str());
}

void print_tsv(const RecoveredFile& f) {
  const TsvScan& s = *f.tsv;
  const char* name = f.name.c_str();
  std::printf("  %s: kept %s, every one before %s ms\n", name, count(s.rows, f.unit).c_str(),
              ms(s.complete_before_ms).c_str());
  std::vector<std::string> dropped;
  if (s.dropped_rows > 0)
    dropped.push_back(count(s.dropped_rows, f.unit) + " at " + ms(s.complete_before_ms) +
                      " ms (the last instant may be incomplete)");
  if (s.torn_bytes > 0) dropped.push_back("a torn last line of " + std::to_string(s.torn_bytes) + " bytes");
  if (!s.header_ok && !s.damaged()) dropped.push_back("an unfinished header (rewritten)");
  if (s.damaged())
    dropped.push_back("from the damage on: " + std::to_string(s.file_bytes - s.damage_offset) + " bytes, " +
                      count(s.lines_after_damage, "more lines"));
  std::printf("  %s: dropped %s\n", name, dropped.empty() ? "nothing" : join(dropped).c_str());
  if (s.damaged()) std::printf("  %s: damaged at %s\n", name, s.damage.c_str());
}

void print_run(const RecoverReport& r) {
  if (!r.changed) {
    std::printf("%s: status %s, nothing to recover (files: %s)\n", r.dir.c_str(), r.status.c_str(), join(r.files).c_str());
    return;
  }
  std::string gaps;
  if (!r.gaps.empty()) gaps = " with " + count(r.gaps.size(), "gaps") + " (manifest.json \"gaps\")";
  std::printf("%s: recovered %llu spikes up to %s ms%s; status %s (was %s); files: %s\n", r.dir.c_str(),
              static_cast<unsigned long long>(r.spikes), ms(r.simulated_ms).c_str(), gaps.c_str(), r.status.c_str(),
              r.status_before.c_str(), join(r.files).c_str());
  for (const RecoveredFile& f : r.sources) {
    if (f.journal) print_journal(f);
    if (f.tsv) print_tsv(f);
    if (!f.kept_as.empty()) std::printf("  %s: damaged: the original is kept as %s\n", f.name.c_str(), f.kept_as.c_str());
    else if (f.damaged()) std::printf("  %s: damaged: the original was removed (--discard-damaged)\n", f.name.c_str());
  }
}

int recover(const std::string& dir, const RecoverOptions& options) {
  // Never under a live run (the lock of DIR covers its trial and point directories).
  const auto lock = RunLock::acquire_if_writable(dir);
  const TreeRecoverReport tree = recover_tree(dir, options);
  if (tree.layout != "run") {
    std::printf("%s: %s layout, %zu run directories (%zu recovered or checked, %zu not started, %zu unreadable)\n",
                dir.c_str(), tree.layout.c_str(), tree.runs.size() + tree.not_started.size() + tree.failures.size(),
                tree.runs.size(), tree.not_started.size(), tree.failures.size());
  }
  for (const RecoverReport& r : tree.runs) print_run(r);
  for (const std::string& d : tree.not_started) std::printf("%s/%s: not started (no manifest.json)\n", dir.c_str(), d.c_str());
  for (const std::string& f : tree.rewritten) std::printf("%s/%s: rewritten\n", dir.c_str(), f.c_str());
  for (const std::string& note : tree.notes) std::printf("%s: %s\n", dir.c_str(), note.c_str());
  std::fflush(stdout);
  for (const TreeRecoverReport::Failure& f : tree.failures) std::fprintf(stderr, "spikeq: %s\n", f.message.c_str());
  const int code = tree.exit_code();
  if (code == 3) {
    std::size_t with_gaps = 0;
    const RecoverReport* first = nullptr;
    for (const RecoverReport& r : tree.runs)
      if (!r.gaps.empty() && ++with_gaps == 1) first = &r;
    const RecoverGap& g = first->gaps.front();
    if (with_gaps == 1 && first->gaps.size() == 1)
      std::fprintf(stderr, "spikeq: %s: recovered with a gap: %s lost from %s to %s ms (manifest.json \"gaps\")\n",
                   first->dir.c_str(), g.file.c_str(), ms(g.from_ms).c_str(), ms(g.to_ms).c_str());
    else
      std::fprintf(stderr, "spikeq: %s: %s recovered with gaps, the first in %s from %s to %s ms (manifest.json \"gaps\")\n",
                   dir.c_str(), count(with_gaps, "runs").c_str(), g.file.c_str(), ms(g.from_ms).c_str(),
                   ms(g.to_ms).c_str());
  }
  return code;
}

}  // namespace

Subcommand add_recover(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "recover",
      "Rebuild the files of a killed run (SIGKILL, power loss), or of every run below DIR, and report what was kept "
      "and dropped. Exit 0: whole up to the time reached; 3: valid files with gaps (listed); 2: unreadable input");
  auto dir = std::make_shared<std::string>();
  auto options = std::make_shared<RecoverOptions>();
  sub->add_option("dir", *dir, "Run directory (spikeq run -o DIR), or a directory of trial-*/ or point-*/ runs")
      ->required();
  sub->add_flag("--discard-damaged", options->discard_damaged,
                "Remove a damaged journal or TSV original after recovery instead of keeping it as NAME.damaged");
  return {sub, [dir, options] { return recover(*dir, *options); }};
}

}  // namespace spikeq::cli
