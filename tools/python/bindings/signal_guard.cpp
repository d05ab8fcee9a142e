#include "signal_guard.h"

#include <csignal>
#include <mutex>

#include "netdefs/error.h"

namespace spikeq::python {
namespace {

constexpr int kSlots = 64;
// Lock-free for the handler: it only loads these.
std::atomic<std::atomic<bool>*> g_flags[kSlots];
std::atomic<int> g_received[kSlots];
std::mutex g_mutex;  // installs and restores, never taken by the handler
int g_active = 0;
struct sigaction g_old_int, g_old_term;

extern "C" void on_stop_signal(int sig) {
  for (int i = 0; i < kSlots; ++i)
    if (std::atomic<bool>* flag = g_flags[i].load()) {
      g_received[i].store(sig);
      flag->store(true);
    }
}

}  // namespace

StopOnSignal::StopOnSignal(std::atomic<bool>& stop) : stop_(&stop) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (int i = 0; i < kSlots && slot_ < 0; ++i)
    if (!g_flags[i].load()) slot_ = i;
  if (slot_ < 0) throw Error("more than 64 runs at once in one process", Error::Kind::Runtime);
  g_received[slot_].store(0);
  g_flags[slot_].store(stop_);
  if (g_active++ == 0) {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &g_old_int);
    sigaction(SIGTERM, &sa, &g_old_term);
  }
}

StopOnSignal::~StopOnSignal() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_flags[slot_].store(nullptr);
  if (--g_active == 0) {
    sigaction(SIGINT, &g_old_int, nullptr);
    sigaction(SIGTERM, &g_old_term, nullptr);
  }
}

int StopOnSignal::received() const { return g_received[slot_].load(); }

struct KeepSignalHandlers::Saved {
  struct sigaction sigint, sigterm;
};

KeepSignalHandlers::KeepSignalHandlers() : saved_(new Saved) {
  sigaction(SIGINT, nullptr, &saved_->sigint);
  sigaction(SIGTERM, nullptr, &saved_->sigterm);
}

KeepSignalHandlers::~KeepSignalHandlers() {
  sigaction(SIGINT, &saved_->sigint, nullptr);
  sigaction(SIGTERM, &saved_->sigterm, nullptr);
  delete saved_;
}

void reraise_sigterm(int received) {
  if (received == SIGTERM) std::raise(SIGTERM);
}

}  // namespace spikeq::python
