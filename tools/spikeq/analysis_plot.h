// Runs the plotting script tools/plot/spikeq_plot.py (matplotlib, Debian's
// python3) for the analysis commands' --plot. The interpreter is $SPIKEQ_PYTHON
// or /usr/bin/python3; the script directory is $SPIKEQ_PLOT_DIR or the source
// tree's tools/plot.
#pragma once

#include <string>
#include <vector>

namespace spikeq::cli {

// Runs `python spikeq_plot.py ARGS...`, its output passed through. Throws Error
// (Runtime) when it cannot start or exits non-zero.
void run_plot_script(const std::vector<std::string>& args);

// Writes `text` to `path` (creating parent directories). Throws Error (Runtime).
void write_text_file(const std::string& path, const std::string& text);

}  // namespace spikeq::cli
