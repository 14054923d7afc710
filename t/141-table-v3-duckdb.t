# A v3 table the core wrote (appends, deletion vectors, deletes merged
# into existing DVs, an overwrite, more deletes) is read by readers icetap
# did not write: avsc decodes the manifests (v3 fields and field ids),
# the npm roaring package decodes every DV cut out of its Puffin file,
# DuckDB reads the data files; the rows not deleted are exactly the live
# rows the writer's bookkeeping expects.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;

my $root = "$FindBin::Bin/..";
my $build = $ENV{ICETAP_BUILD} // 'build';
$build = "$root/$build" unless $build =~ m{^/};
my $bin = "$build/unit/table_driver";
my $js = "$FindBin::Bin/js/table_v3_check.js";

plan skip_all => "$bin not built (run make)" unless -x $bin;
plan skip_all => 'node not found' unless `node --version 2>/dev/null`;
for my $m ('@duckdb/node-api', 'roaring', 'avsc') {
    plan skip_all => "npm $m not installed (make deps)"
        unless -d "$FindBin::Bin/node_modules/$m";
}

my $dir = tempdir(CLEANUP => 1);

my $out = `'$bin' v3 fs '$dir' wh/db/t 2>&1`;
is($?, 0, 'the core writes the v3 table') or diag $out;
my $want = eval { decode_json($out) };
ok($want, 'driver output is JSON') or BAIL_OUT($out);

(my $md = $want->{metadata}) =~ s{^file://}{};
ok(-f $md, 'current metadata file exists');

my $meta = decode_json(do { local (@ARGV, $/) = $md; <> });
is($meta->{'format-version'}, 3, 'format-version 3');
ok($meta->{'next-row-id'} >= 420, "next-row-id $meta->{'next-row-id'}");

$out = `node '$js' '$md' 2>&1`;
is($?, 0, 'avsc, roaring and DuckDB read the table') or diag $out;
my $got = eval { decode_json($out) } or BAIL_OUT($out);

ok($got->{dvs} >= 5, "$got->{dvs} live deletion vectors, one per file");
ok($got->{row_ids}, 'every live data file has a first_row_id');
is_deeply($got->{live}, $want->{live},
          'DuckDB rows minus DV positions are exactly the live rows');

done_testing();
