# A short libFuzzer smoke run of the Avro/manifest reader and the table
# metadata parser (tools/fuzz/), seeded with files the test driver
# writes and the spec's example metadata.  Skips when clang or libFuzzer
# is missing.  ICETAP_FUZZ_SECONDS sets the time per target (default 2).
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $root = "$FindBin::Bin/..";
my $secs = $ENV{ICETAP_FUZZ_SECONDS} // 2;

plan skip_all => 'clang not installed'
    if system('clang --version >/dev/null 2>&1');

my $tmp = tempdir(CLEANUP => 1);

# libFuzzer present?
open my $fh, '>', "$tmp/probe.c" or die $!;
print $fh "#include <stddef.h>\n#include <stdint.h>\n"
    . "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)"
    . " { (void) d; (void) n; return 0; }\n";
close $fh;
plan skip_all => 'libFuzzer not available (libfuzzer-14-dev)'
    if system("clang -fsanitize=fuzzer -o '$tmp/probe' '$tmp/probe.c'"
              . " >/dev/null 2>&1");

my @meta = map { "$root/core/icetap_$_.c" }
    qw(core schema transform metadata metadata_ops);
my @avro = (@meta, map { "$root/core/icetap_$_.c" }
    qw(avro avro_file manifest manifest_list));

my $flags = "-g -O0 -std=gnu11 -D_GNU_SOURCE "
    . "-fsanitize=fuzzer-no-link,address,undefined "
    . "-fno-sanitize-recover=undefined -I'$root/include'";

my %targets = (
    fuzz_avro => [\@avro, '-ljansson -lz -lm'],
    fuzz_metadata => [\@meta, '-ljansson -lm'],
);

# each core file is compiled once and shared by both targets
my %objs;
for my $src (@avro) {
    (my $o = $src) =~ s{.*/(.*)\.c$}{$tmp/$1.o};
    my $out = `clang $flags -c -o '$o' '$src' 2>&1`;
    $? == 0 or diag $out;
    $objs{$src} = $o;
}

for my $t (sort keys %targets) {
    my ($srcs, $libs) = @{$targets{$t}};
    my @o = map { $objs{$_} } @$srcs;
    my $cmd = "clang $flags -fsanitize=fuzzer -o '$tmp/$t' "
        . "'$root/tools/fuzz/$t.c' @o $libs 2>&1";
    my $out = `$cmd`;
    is($?, 0, "$t builds") or diag $out;
}

# seeds: manifests, lists (both codecs) and the spec's metadata example
mkdir "$tmp/avro_corpus";
mkdir "$tmp/meta_corpus";

my $build = $ENV{ICETAP_BUILD} // 'build';
$build = "$root/$build" unless $build =~ m{^/};
my $lib = "$build/libicetap.a";

SKIP: {
    skip "$lib not built: no manifest seeds", 1 unless -f $lib;
    my $pkgs = 'libcurl libcrypto jansson lua5.4 libzstd zlib expat snappy';
    my $syms = `nm -A '$lib' 2>/dev/null`;
    my $san = $syms =~ /__asan_/ ? '-fsanitize=address,undefined' : '';
    my $cmd = "cc -std=gnu11 -D_GNU_SOURCE $san -I'$root/include' "
        . "`pkg-config --cflags $pkgs` -o '$tmp/driver' "
        . "'$root/tools/test/avro_driver.c' '$lib' "
        . "`pkg-config --libs $pkgs` -lpthread -lm 2>&1";
    my $out = `$cmd`;
    is($?, 0, 'seed driver builds') or diag $out;
    for my $v (2, 3) {
        for my $c ('null', 'deflate') {
            system("'$tmp/driver' write-manifest $v $c data "
                   . "'$tmp/avro_corpus/m$v$c' >/dev/null");
            system("'$tmp/driver' write-list $v $c "
                   . "'$tmp/avro_corpus/l$v$c' >/dev/null");
        }
    }
}

open $fh, '>', "$tmp/meta_corpus/spec.json" or die $!;
print $fh <<'JSON';
{"format-version":3,"table-uuid":"5c1f0a2e-8a53-4c36-9d1e-0b6f6f1b2a77",
 "location":"s3://bkt/wh/db/journal","last-sequence-number":1,
 "last-updated-ms":1731000000123,"last-column-id":7,"current-schema-id":0,
 "schemas":[{"type":"struct","schema-id":0,"fields":[
  {"id":1,"name":"bucket","required":true,"type":"string"},
  {"id":4,"name":"record_timestamp","required":true,"type":"timestamp"},
  {"id":5,"name":"user_metadata","required":false,"type":{"type":"map",
   "key-id":6,"key":"string","value-id":7,"value":"string",
   "value-required":false}}]}],
 "default-spec-id":0,"partition-specs":[{"spec-id":0,"fields":[
  {"name":"record_timestamp_day","transform":"day","source-id":4,
   "field-id":1000}]}],
 "last-partition-id":1000,"default-sort-order-id":0,
 "sort-orders":[{"order-id":0,"fields":[]}],
 "properties":{"write.format.default":"parquet"},
 "current-snapshot-id":3051729675574597004,"next-row-id":3,
 "refs":{"main":{"snapshot-id":3051729675574597004,"type":"branch"}},
 "snapshots":[{"sequence-number":1,"snapshot-id":3051729675574597004,
  "timestamp-ms":1731000000123,"summary":{"operation":"append"},
  "manifest-list":"s3://bkt/m.avro","schema-id":0,"first-row-id":0,
  "added-rows":3}],
 "statistics":[],"partition-statistics":[],
 "snapshot-log":[{"timestamp-ms":1731000000123,
  "snapshot-id":3051729675574597004}],
 "metadata-log":[{"timestamp-ms":1730999990000,
  "metadata-file":"s3://bkt/00000.metadata.json"}]}
JSON
close $fh;

for my $t (sort keys %targets) {
    next unless -x "$tmp/$t";
    my $corpus = $t eq 'fuzz_avro' ? 'avro_corpus' : 'meta_corpus';
    my $out = `cd '$tmp' && './$t' -max_total_time=$secs -rss_limit_mb=1024 '$corpus' 2>&1`;
    my $rc = $? >> 8;
    is($rc, 0, "$t: ${secs}s without a crash or sanitizer report")
        or diag join("\n", (split /\n/, $out)[-30 .. -1]);
    like($out, qr/Done \d+ runs/, "$t ran");
}

done_testing();
