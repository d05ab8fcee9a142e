#include "engine/comm/agree.h"

#include <new>

#include "engine/comm/wire.h"
#include "netdefs/error.h"

namespace spikeq::comm {

void agree(Comm& comm, const std::function<void()>& check) {
  if (comm.size() == 1) return check();
  // 0: passed; 1: bad input; 2: failure at run time.
  std::uint8_t outcome = 0;
  std::string message;
  try {
    check();
  } catch (const Error& e) {
    outcome = e.kind() == Error::Kind::BadInput ? 1 : 2;
    message = e.what();
  } catch (const std::bad_alloc&) {
    outcome = 2;
    message = "out of memory";
  } catch (const std::exception& e) {
    outcome = 2;
    message = e.what();
  }
  const std::vector<std::string> all = comm.gather(ByteWriter().put(outcome).put_string(message).take());
  std::string verdict = ByteWriter().put(std::uint8_t{0}).put_string("").take();
  for (std::size_t r = 0; r < all.size(); ++r) {
    ByteReader in(all[r]);
    const auto o = in.get<std::uint8_t>();
    if (o == 0) continue;
    const std::string text = in.get_string();
    verdict = ByteWriter().put(o).put_string(r == 0 ? text : "rank " + std::to_string(r) + ": " + text).take();
    break;
  }
  comm.broadcast(verdict);
  ByteReader in(verdict);
  const auto o = in.get<std::uint8_t>();
  if (o != 0) throw Error(in.get_string(), o == 1 ? Error::Kind::BadInput : Error::Kind::Runtime);
}

}  // namespace spikeq::comm
