#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs a libFuzzer target for a while on a copy of its seed corpus, so that
# what it finds stays in the build directory and the committed corpus is
# only changed on purpose (copy the interesting finds back by hand).
#
# Usage: run-fuzzer.sh FUZZER SEED_DIR WORK_DIR SECONDS
# A crash, a leak or a sanitizer report fails with the fuzzer's status; the
# input that caused it is in WORK_DIR/artifacts.
set -eu

fuzzer=$1
seeds=$2
work=$3
seconds=$4

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"

# libFuzzer's own failure status is 77, which meson reads as "skipped".
exec "$fuzzer" \
  -error_exitcode=1 \
  -max_total_time="$seconds" \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -max_len=4096 \
  -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" \
  "$work/corpus"
