// The output directory of `spikeq run`: created if missing, refused if it holds
// anything without --force, and with --force emptied of whatever an earlier run
// left there, whatever its layout — so that nothing of the earlier run can be
// read as part of the new one (`spikeq stats DIR` finds only the new run).
//
// What --force removes: manifest.json, trials.json, sweep.json, sweep.tsv,
// spikes.h5, voltages.h5, spikes.tsv, voltages.tsv (and their NAME.tmp), every
// journal (spikes.journal*, voltages.journal*, so *.journal.damaged too), and the
// trial-NNNN/ and point-NNNN/ subdirectories with all they hold. Files spikeq does
// not write (your notes, plots saved there) stay.
// What it refuses (Error BadInput, nothing removed): a directory that does not
// look like a spikeq run directory — no manifest.json, trials.json, sweep.json or
// journal in it or in its trial-*/ and point-*/ subdirectories — and one whose
// subdirectory is in use by another spikeq process (engine/io/run_lock.h).
// Call with DIR's lock held.
#pragma once

#include <string>

namespace spikeq::inline io {

// Creates DIR and its parents if missing. Error (BadInput) if DIR is a file or
// in use (engine/io/run_lock.h), (Runtime) if it cannot be created.
void create_run_directory(const std::string& dir);

// Makes DIR ready for a new run: Error (BadInput) if it holds anything besides
// the lock file and `force` is false; with `force`, removes an earlier run's files
// as described above.
void prepare_run_directory(const std::string& dir, bool force);

}  // namespace spikeq::io
