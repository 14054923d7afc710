# Smoke run of the Parquet reader fuzz target (libFuzzer + ASan/UBSan):
# seeds are small files our writer produces for each codec; a few seconds
# of fuzzing must find nothing.  Skips when clang or libFuzzer is missing.
# ICETAP_FUZZ_SECONDS changes the run time.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use Test::More;
use ParquetTool;

my $root = "$FindBin::Bin/..";
my $tmp = tempdir(CLEANUP => 1);
my ($tool, $why) = ParquetTool::build($root, $tmp);
plan skip_all => $why unless $tool;

my $clang = $ENV{CLANG} // 'clang';
open my $pf, '>', "$tmp/probe.c" or die $!;
print $pf "int LLVMFuzzerTestOneInput(const char *d, unsigned long n)"
    . " { return 0; }\n";
close $pf;
plan skip_all => "$clang with libFuzzer is not installed"
    unless system("$clang -fsanitize=fuzzer '$tmp/probe.c' -o '$tmp/probe'"
                  . " >/dev/null 2>&1") == 0;

mkdir "$tmp/seeds";
my $i = 0;
for my $codec (qw(uncompressed snappy gzip zstd)) {
    my $spec = qq({"codec":"$codec","page_size":256,"schema":[
      {"id":1,"name":"id","required":true,"type":"long"},
      {"id":2,"name":"s","required":false,"type":"string"},
      {"id":3,"name":"d","required":false,"type":"decimal(20,2)"},
      {"id":4,"name":"m","required":false,"type":{"type":"map",
        "key-id":5,"key":"string","value-id":6,"value":"double",
        "value-required":false}},
      {"id":7,"name":"l","required":false,"type":{"type":"list",
        "element-id":8,"element":"boolean","element-required":false}}],
     "rows":[) . join(',', map {
        my $n = $_;
        qq([$n,"v@{[ $n % 3 ]}","$n",[["k",$n.5],["z",null]],[true,null]])
            . ($n % 4 ? '' : qq(,[$n,null,null,null,null]))
    } 0 .. 40) . ']}';
    open my $fh, '>', "$tmp/spec-$i.json" or die $!;
    print $fh $spec;
    close $fh;
    system("'$tool' write '$tmp/spec-$i.json' '$tmp/seeds/$codec.parquet' "
        . ">/dev/null") == 0 or BAIL_OUT("pq_tool write failed for $codec");
    $i++;
}
ok(-s "$tmp/seeds/zstd.parquet", 'seed files written');

my $secs = $ENV{ICETAP_FUZZ_SECONDS} // 5;
my $out = `'$root/tools/fuzz/fuzz_parquet.sh' '$tmp/fuzz' $secs '$tmp/seeds' 2>&1`;
my $rc = $? >> 8;
is($rc, 0, "fuzz_parquet ran $secs s without findings") or diag $out;
like($out, qr/number_of_executed_units:\s*[1-9]/, 'the fuzzer executed inputs')
    or diag $out;

done_testing();
