#include "engine/core/rank_part.h"

#include "engine/core/rank_share.h"

namespace spikeq {

NetworkPart rank_part(const NetworkSpec& spec, comm::Comm& comm) {
  const RankShare share =
      rank_share(spec, static_cast<std::uint64_t>(comm.rank()), static_cast<std::uint64_t>(comm.size()));
  NetworkPart part;
  part.target_begin = share.node_begin;
  part.target_end = share.node_end;
  part.sum_over_ranks = [&comm](std::vector<std::uint64_t>& v) { comm.all_reduce(v, comm::Comm::Reduce::Sum); };
  part.max_over_ranks = [&comm](std::vector<std::uint64_t>& v) { comm.all_reduce(v, comm::Comm::Reduce::Max); };
  return part;
}

}  // namespace spikeq
