#include "engine/core/stop_check.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace spikeq {

void StopCheck::poll() {
  countdown_ = kPeriod;
  if (requested()) throw Stopped();
}

void fault_point(const char* site) {
  static const char* const wanted = std::getenv("SPIKEQ_FAULT_BAD_ALLOC");
  static std::atomic<bool> fired{false};
  if (wanted == nullptr || std::strcmp(wanted, site) != 0) return;
  if (!fired.exchange(true)) throw std::bad_alloc();
}

}  // namespace spikeq
