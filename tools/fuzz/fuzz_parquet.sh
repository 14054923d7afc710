#!/bin/bash
# Builds the Parquet reader fuzz target with clang (libFuzzer, ASan,
# UBSan) and runs it for a few seconds over a seed corpus.
#   tools/fuzz/fuzz_parquet.sh OUTDIR SECONDS [SEED_DIR]
# Exits 77 when clang or libFuzzer is missing, 1 on a finding.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?outdir}
secs=${2:-5}
seeds=${3:-}
cc=${CLANG:-clang}

command -v "$cc" >/dev/null 2>&1 || { echo "no $cc"; exit 77; }
mkdir -p "$out/corpus"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)
      { return 0; }' > "$out/probe.c"
"$cc" -fsanitize=fuzzer "$out/probe.c" -o "$out/probe" 2>/dev/null \
    || { echo "no libFuzzer for $cc"; exit 77; }

"$cc" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$root/include" -I"$root/core" \
    "$root/tools/fuzz/fuzz_parquet.c" "$root/core/icetap_core.c" \
    "$root/core/icetap_thrift.c" "$root"/core/icetap_parquet*.c \
    -o "$out/fuzz_parquet" $(pkg-config --libs libzstd zlib snappy) -lm

[ -n "$seeds" ] && cp "$seeds"/* "$out/corpus/" 2>/dev/null || true

cd "$out"
./fuzz_parquet -max_total_time="$secs" -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 corpus > fuzz.log 2>&1 || {
    tail -40 fuzz.log; exit 1; }
grep -E '^stat::number_of_executed_units|^#[0-9]+ *DONE' fuzz.log | head -2
