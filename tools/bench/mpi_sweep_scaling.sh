#!/usr/bin/env bash
# Strong scaling of a batch over MPI ranks (README "Running on a cluster"): the
# same sweep (points x trials) run by `mpirun -np R spikeq run ...` for each R,
# whole command timed (mpirun's start-up included), fastest of REPEAT kept; the
# runs alternate between the R values so that a change of load hits them alike.
# Prints the 1-minute load average before and after (a speed-up means nothing on
# busy cores) and checks that every R wrote the same spikes as the first.
#
#   tools/bench/mpi_sweep_scaling.sh [-b BUILD] [-r 1,2] [-n REPEAT] -- NETDEF [spikeq run flags...]
#   tools/bench/mpi_sweep_scaling.sh -r 1,2 -n 3 -- netdefs/balanced_input.pbtxt \
#       --sweep drive.poisson.rate_hz=10:17.5:8 --trials 2 --threads 1 --duration 500
set -euo pipefail

build=build
ranks=1,2
repeat=1
while getopts "b:r:n:" opt; do
  case $opt in
    b) build=$OPTARG ;;
    r) ranks=$OPTARG ;;
    n) repeat=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD] [-r 1,2] [-n REPEAT] -- NETDEF [flags...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-b BUILD] [-r 1,2] [-n REPEAT] -- NETDEF [flags...]" >&2; exit 2; }
spikeq=$(realpath "$build/bin/spikeq")
root=()
[ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
IFS=, read -r -a list <<< "$ranks"
declare -A best
for ((i = 0; i < repeat; i++)); do
  for r in "${list[@]}"; do
    dir="$out/r$r"
    start=$(date +%s.%N)
    mpirun -q --oversubscribe "${root[@]}" -np "$r" "$spikeq" run "$@" -o "$dir" -q --force
    wall=$(echo "$(date +%s.%N) - $start" | bc -l)
    if [ -z "${best[$r]:-}" ] || (( $(echo "$wall < ${best[$r]}" | bc -l) )); then best[$r]=$wall; fi
  done
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

first=${list[0]}
for r in "${list[@]}"; do
  same=yes
  while IFS= read -r f; do
    cmp -s "$out/r$first/$f" "$out/r$r/$f" || same=no
  done < <(cd "$out/r$first" && find . -name spikes.h5 -o -name spikes.tsv)
  printf "ranks %-3s wall %8.3f s  speed-up %5.2f  spikes identical to ranks %s: %s\n" "$r" "${best[$r]}" \
    "$(echo "${best[$first]} / ${best[$r]}" | bc -l)" "$first" "$same"
done
