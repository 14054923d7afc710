# The table writer and reader stream: 300 MiB of journal rows written
# through the S3 store (moto) in three snapshots, with multipart uploads
# of ~100 MiB files, then read back whole.  Each process must peak under
# 128 MiB -- less than one data file, so a file buffered whole before
# upload, or anything growing with the data, fails -- and the writer's
# peak must not grow from the first snapshot to the last.  The full
# 5 GiB measurement is bench/table/run.
use strict;
use warnings;
use FindBin;
use Test::More;

my $root = "$FindBin::Bin/..";
my $build = $ENV{ICETAP_BUILD} // 'build';
$build = "$root/$build" unless $build =~ m{^/};
my $lib = "$build/libicetap.a";

plan skip_all => "$lib not built (run make)" unless -f $lib;
plan skip_all => 'moto_server not found'
    unless `command -v moto_server 2>/dev/null`;
plan skip_all => 'RSS budgets mean nothing under AddressSanitizer'
    if `nm '$lib' 2>/dev/null` =~ / U __asan_/;

local $ENV{ICETAP_BUILD} = $build;
local $ENV{TABLE_MIB} = 300;
local $ENV{TABLE_COMMIT_MIB} = 100;
local $ENV{TABLE_SCHEMA} = 'journal';
local $ENV{TABLE_BUDGET_MIB} = 128;

my $out = `'$root/bench/table/run' 2>&1`;
my $rc = $? >> 8;
note $out;

is($rc, 0, 'bench/table/run passes with a 128 MiB budget') or diag $out;

my %v;
$v{rows} = [$1, $2, $3]
    if $out =~ /rows read back: (\d+) of (\d+), checksum (\w+)/;
$v{table} = [$1, $2, $3]
    if $out =~ /table: ([\d.]+) MiB of Parquet, \d+ rows, (\d+) files, (\d+)/;
$v{parts} = [$1, $2]
    if $out =~ /biggest file ([\d.]+) MiB, uploaded in (\d+) parts/;
$v{hwm} = [$1, $2]
    if $out =~ m{VmHWM after the first/last snapshot: ([\d.]+) / ([\d.]+)};
$v{whwm} = $1 if $out =~ /writer peak RSS \(VmHWM\): +([\d.]+) MiB/;
$v{rhwm} = $1 if $out =~ /reader peak RSS \(VmHWM\): +([\d.]+) MiB/;

ok($v{table} && $v{table}[0] >= 300 && $v{table}[2] == 3,
   '300 MiB of Parquet committed in 3 snapshots')
    or diag explain $v{table};
ok($v{parts} && $v{parts}[0] > 64 && $v{parts}[1] > 1,
   'data files of more than 64 MiB, uploaded in parts')
    or diag explain $v{parts};
ok($v{rows} && $v{rows}[0] == $v{rows}[1] && $v{rows}[0] > 1_000_000
   && $v{rows}[2] eq 'equal',
   'the reader returns every row written, same checksum')
    or diag explain $v{rows};
ok(defined $v{whwm} && $v{whwm} < 128, "writer peaks under 128 MiB")
    or diag explain $v{whwm};
ok(defined $v{rhwm} && $v{rhwm} < 128, "reader peaks under 128 MiB")
    or diag explain $v{rhwm};
# VmRSS itself moves with what malloc keeps; the peak after the first
# snapshot already covers a whole file written and uploaded
ok($v{hwm} && $v{hwm}[1] - $v{hwm}[0] < 16,
   'writer peak grows < 16 MiB from the first snapshot to the last')
    or diag explain $v{hwm};

# control: the same check fails when the writer keeps whole data files in
# memory (spill size above the file size)

{
    local $ENV{TABLE_MIB} = 150;
    local $ENV{TABLE_COMMIT_MIB} = 150;
    local $ENV{TABLE_SPILL_MIB} = 1024;

    my $ctl = `'$root/bench/table/run' 2>&1`;
    my $crc = $? >> 8;

    ok($crc != 0 && $ctl =~ /writer peak RSS \(VmHWM\): +([\d.]+) MiB.*OVER/
       && $1 > 150, 'control: a file held in memory breaks the budget')
        or diag $ctl;
    like($ctl, qr/checksum equal/, 'control: rows still read back');
}

done_testing();
