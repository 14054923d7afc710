# Runs every core unit-test binary (t/unit/*.c, built into BUILD/unit/) and
# reports each as a subtest; the binaries print TAP themselves.
use strict;
use warnings;
use FindBin;
use Test::More;

my $root = "$FindBin::Bin/..";
my $build = $ENV{ICETAP_BUILD} // 'build';
$build = "$root/$build" unless $build =~ m{^/};

my @bins = sort grep { -x } glob("$build/unit/*");
plan skip_all => "no unit tests built in $build/unit (run make)" unless @bins;

for my $bin (@bins) {
    (my $name = $bin) =~ s{.*/}{};
    subtest $name => sub {
        my @out = `cd '$root' && '$bin' 2>&1`;
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
        ok(defined $plan && $plan == $n, "$name: planned $n tests")
            or diag "plan: " . ($plan // 'none') . ", ran $n";
        is($rc, 0, "$name exits 0") ;
        done_testing();
    };
}

done_testing();
