#include "netdef_test_util.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace spikeq::test {

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir,
                                            const std::string& extension) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == extension) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace spikeq::test
