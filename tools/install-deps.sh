#!/usr/bin/env bash
# Installs the Debian 12 packages spikeq needs to build, test and plot.
# Idempotent: when everything is present it prints nothing and touches nothing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libboost-graph-dev libboost-math-dev   # CSR connectivity; special functions, quadrature
  libtbb-dev                             # parallel trials and sweeps
  libprotobuf-dev protobuf-compiler      # netdef schema and TextFormat loader
  catch2                                 # tests (v2)
  librandom123-dev                       # counter-based RNG streams
  libcli11-dev nlohmann-json3-dev        # CLI parsing; manifest.json
  libhdf5-dev                            # SONATA spike reports
  libbenchmark-dev                       # tools/bench micro-benchmarks
  openmpi-bin libopenmpi-dev             # trials and sweeps over MPI ranks (mpirun)
  python3 python3-numpy python3-matplotlib python3-h5py   # readers and plots
  pybind11-dev python3-pybind11          # the Python module (tools/python)
  python3-pytest python3-tqdm            # its tests; its progress bar
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
