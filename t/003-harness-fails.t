# The harness must be able to fail: a fixture suite whose blocks are each
# wrong in one way runs in a child perl, and every block must report
# "not ok" (and the right blocks "ok").

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Path qw(make_path);
use Test::More;
use Test::Icetap::Env;

my $dir = Test::Icetap::Env::default_servroot() . '-fixture';
make_path($dir);
my $fixture = "$dir/fixture.pl";   # not *.t: prove -r t/ must not run it

open my $fh, '>', $fixture or die "$fixture: $!";
print $fh <<'EOF';
use strict;
use warnings;
use Test::Icetap;
run_tests();
__DATA__

=== GOOD 1: a block that passes
--- config
location / { return 200 "fine"; }
--- request
GET /
--- response_body: fine

=== BAD 2: wrong status
--- config
location / { return 201 "x"; }
--- request
GET /
--- error_code: 200

=== BAD 3: wrong body
--- config
location / { return 200 "x"; }
--- request
GET /
--- response_body: y

=== BAD 4: header expected absent is present
--- config
location / { add_header X-Here 1; return 200; }
--- request
GET /
--- response_headers
!X-Here

=== BAD 5: an unexpected [error] in the log
--- config
location / { root $TEST_NGINX_SERVROOT/nothing; }
--- request
GET /missing
--- error_code: 404

=== BAD 6: an expected log line that never comes
--- config
location / { return 200; }
--- request
GET /
--- error_log
this line is never logged

=== BAD 7: must_die on a config that starts
--- config
location / { return 200; }
--- must_die

=== BAD 8: WAL count that does not match
--- config
location / { return 200; }
--- request
GET /
--- wal_count: 1

=== BAD 9: a setup that dies
--- config
location / { return 200; }
--- setup
die "setup failed on purpose";
--- request
GET /

=== BAD 10: a worker that dies while serving the block
--- config
location / { return 200; }
--- setup
$env->kill_worker('KILL');
--- request
GET /

=== GOOD 11: the same worker kill, declared
--- workers_may_change
--- config
location / { return 200; }
--- setup
$env->kill_worker('KILL');
--- request
GET /
--- error_code: 200
--- error_log
exited on signal 9
EOF
close $fh;

my $out = `TEST_NGINX_SERVROOT='$dir/servroot' '$^X' -I'$FindBin::Bin/lib' '$fixture' 2>&1`;

my %res;
for (split /\n/, $out) {
    $res{$2} = $1 ? 'fail' : 'pass' if /^(not )?ok \d+ - (\w+ \d+)/;
}

is($res{'GOOD 1'}, 'pass', 'a passing block passes') or diag $out;

for my $n (2 .. 10) {
    is($res{"BAD $n"}, 'fail', "BAD $n fails") or diag $out;
}

# workers_may_change declares a SIGKILL of a worker (its [alert] line is
# then allowed; any other signal still fails the block)
is($res{'GOOD 11'}, 'pass', 'a declared worker kill passes') or diag $out;

done_testing();
