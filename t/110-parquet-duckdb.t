# Parquet cross-reader suite: DuckDB reads every file our writer produces
# (types x nullability x nesting x codecs x sizes, values and field ids),
# our reader decodes files DuckDB writes (page v1 and v2, the DELTA
# encodings, four codecs), and the row-group copy path appends files.
# The checks run in t/js/parquet_duckdb.js, which prints TAP.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use Test::More;
use ParquetTool;

my $root = "$FindBin::Bin/..";

plan skip_all => 'node is not installed'
    unless system('node --version >/dev/null 2>&1') == 0;
plan skip_all => 'npm readers are not installed (make deps)'
    unless -d "$FindBin::Bin/node_modules/\@duckdb/node-api";

my $tmp = tempdir(CLEANUP => 1);
my ($tool, $why) = ParquetTool::build($root, $tmp);
plan skip_all => $why unless $tool;

my @out = `cd '$FindBin::Bin' && node js/parquet_duckdb.js '$tool' '$tmp' 2>&1`;
my $rc = $? >> 8;
my ($plan, $n) = (undef, 0);

for (@out) {
    chomp;
    if (/^(not )?ok \d+\s*-?\s*(.*)$/) {
        ok(!$1, $2);
        $n++;
    } elsif (/^1\.\.(\d+)/) {
        $plan = $1;
    } elsif (/^#/) {
        note $_;
    } else {
        diag $_;
    }
}

ok(defined $plan && $plan == $n, "parquet_duckdb.js ran all $n checks");
is($rc, 0, 'parquet_duckdb.js exits 0');

done_testing();
