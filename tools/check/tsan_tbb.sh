#!/bin/sh
# Builds oneTBB with ThreadSanitizer, for running a -fsanitize=thread build of
# spikeq without false reports and without suppressions.
#
# Why: the distribution's libtbb is not instrumented, so TSan does not see the
# synchronization inside it (a task handed to a worker, task_group::wait). Every
# task body then "races" with the thread that spawned it, and the reports point
# at spikeq frames (e.g. engine/trials.cpp, the worker lambda), whose only common
# element is a libtbb frame further down the stack. A suppression matching
# libtbb would therefore hide every race in spikeq code running on a TBB worker;
# an instrumented libtbb removes the false reports instead.
#
# Usage: tools/check/tsan_tbb.sh ONETBB_SOURCE_DIR PREFIX
#   ONETBB_SOURCE_DIR: oneTBB sources of the installed version (e.g. the
#   v2021.8.0 tag for Debian 12's libtbb-dev 2021.8.0; same headers, same ABI)
# then run the TSan build's tests with
#   LD_LIBRARY_PATH=PREFIX/lib TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
#     ctest --test-dir build-tsan -j2
# (the spikeq processes the CLI tests start inherit LD_LIBRARY_PATH).
set -eu
src=${1:?oneTBB source directory}
prefix=${2:?install prefix}
obj=$prefix/obj
cmake -S "$src" -B "$obj" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF \
  -DTBB_STRICT=OFF -DTBB_SANITIZE=thread -DCMAKE_INSTALL_PREFIX="$prefix"
cmake --build "$obj" -j2
cmake --install "$obj"
