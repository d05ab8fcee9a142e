// The SteppedDriver's private parts, shared by its two source files
// (stepped_driver_init.cpp builds them, stepped_driver.cpp runs them).
#pragma once

#include <oneapi/tbb/task_arena.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "engine/stepped/stepped_driver.h"
#include "models/lif_stepped.h"

namespace spikeq::inline stepped {

// Per LIF population: the constants of its update loop.
struct SteppedDriver::LifPopulation {
  std::uint16_t population = 0;
  NodeId first = 0;              // global id of node 0
  std::uint32_t lif_first = 0;   // LIF index of node 0
  std::uint32_t size = 0;
  bool noisy = false;
  bool recorded = false;
  double m_mv = 0, v_th_mv = 0, v_reset_mv = 0;
  std::uint32_t refractory_steps = 0;
  lif_stepped::StepCoefficients c;
};

// Per Poisson population with its own train: each node's next spike step.
struct SteppedDriver::SourcePopulation {
  std::uint16_t population = 0;
  NodeId first = 0;
  bool recorded = false;
  double log_q = 0;  // ln(1 - p)
  std::vector<std::uint64_t> next_step;
  std::vector<RngStream> rng;  // (SteppedSource, population, node)
};

struct SteppedDriver::Probe {
  std::uint32_t index = 0;  // into NetworkSpec::recording.voltage_probes
  double start_ms = 0, interval_ms = 0;
  std::uint64_t taken = 0;      // probe times t_j = start + j interval, j < taken, are scheduled
  std::uint64_t next_step = 0;  // grid step of t_taken (steps + 1: none left)
  std::vector<NodeId> nodes;          // global ids, ascending
  std::vector<std::uint32_t> lif;     // their LIF indices (ascending too)
};

// A contiguous range of LIF indices, advanced by one thread, with everything it
// writes during an epoch (a cache line apart from the next block's counters).
struct alignas(64) SteppedDriver::Block {
  struct Segment {  // the block's part of one LIF population
    std::uint32_t pop = 0;  // index into lif_pops_
    std::uint32_t j_begin = 0, j_end = 0;
  };
  std::uint32_t index = 0;  // into blocks_
  std::uint32_t lif_begin = 0, lif_end = 0;
  // Global ids [node_begin, node_end): exactly the block's LIF nodes, plus
  // perhaps Poisson nodes, which are never targets.
  NodeId node_begin = 0, node_end = 0;
  // Block 0 of process 0 counts recurrent pulses and queue entries, once for
  // every process (it walks every process's spikes).
  bool counts_fan_outs = false;
  std::vector<Segment> segments;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> probe_nodes;  // per probe: [begin, end) into Probe::nodes

  // This block's LIF spikes of the current epoch, in (step, node) order; merged
  // with every block's (and process's) at the epoch's end (gather_epoch_spikes).
  EpochSpikes current;
  std::vector<SpikeRecord> spikes;       // recorded, since the last flush
  std::vector<VoltageSample> samples;    // since the last flush
  std::vector<std::uint64_t> spikes_per_population;
  std::uint64_t external_pulses = 0, recurrent_pulses = 0, queue_entries = 0;
};

struct SteppedDriver::Arena {
  explicit Arena(int threads) : arena(threads) {}
  tbb::task_arena arena;
};

}  // namespace spikeq::stepped
