# The npm roaring package (CRoaring) and icetap read each other's 64-bit
# portable bitmaps -- the vector inside a deletion-vector-v1 blob -- for
# sparse, dense, run-heavy and multi-key position sets.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $root = "$FindBin::Bin/..";
my $build = $ENV{ICETAP_BUILD} // 'build';
$build = "$root/$build" unless $build =~ m{^/};
my $bin = "$build/unit/roaring";
my $js = "$FindBin::Bin/js/roaring_check.js";

plan skip_all => "$bin not built (run make)" unless -x $bin;
plan skip_all => 'node not found' unless `node --version 2>/dev/null`;
plan skip_all => 'npm roaring not installed (make deps)'
    unless -d "$FindBin::Bin/node_modules/roaring";

my $dir = tempdir(CLEANUP => 1);
srand(20240611);

sub uniq_sorted {
    my %seen;
    return sort { $a <=> $b } grep { !$seen{$_}++ } @_;
}

my %sets = (
    empty       => [],
    alternating => [1, 3, 5, 7, 9],
    sparse      => [uniq_sorted(map { int(rand(50_000_000)) } 1 .. 3000)],
    dense       => [grep { $_ % 3 } 0 .. 200_000],
    runs        => [map { my $s = $_ * 100_000; ($s .. $s + 20_000) } 0 .. 5],
    mixed       => [0 .. 5000, (map { 70_000 + 2 * $_ } 0 .. 6000),
                    (map { 140_000 + 37 * $_ } 0 .. 500), 4_294_967_295],
    multikey    => [uniq_sorted(7, 65_536,
                    (map { 4_294_967_296 + $_ * 5 } 0 .. 2000),
                    (map { 5 * 4_294_967_296 + $_ } 0 .. 9000),
                    21_474_836_480_000)],
);

for my $name (sort keys %sets) {
    my $pos = "$dir/$name.txt";
    open my $fh, '>', $pos or die "$pos: $!";
    print $fh map { "$_\n" } @{ $sets{$name} };
    close $fh;

    my $n = @{ $sets{$name} };

    # icetap writes, CRoaring reads

    my $ours = "$dir/$name.ours";
    is(system($bin, 'write', $pos, $ours), 0, "$name: icetap writes $n");
    my $out = `node '$js' read '$ours' '$pos' 2>&1`;
    is($?, 0, "$name: npm roaring reads icetap's bitmap")
        or diag $out;
    like($out, qr/"count":$n\b/, "$name: same $n positions");
    like($out, qr/"identical":true/,
         "$name: bytes equal CRoaring's run-optimised serialisation");

    # CRoaring writes, icetap reads

    my $theirs = "$dir/$name.theirs";
    $out = `node '$js' write '$pos' '$theirs' 2>&1`;
    is($?, 0, "$name: npm roaring writes") or diag $out;
    my @back = `'$bin' read '$theirs'`;
    is($?, 0, "$name: icetap reads CRoaring's bitmap");
    chomp @back;
    is_deeply(\@back, [map { "$_" } @{ $sets{$name} }],
              "$name: same positions back");
}

done_testing();
