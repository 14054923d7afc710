# Concurrent commits through the Iceberg REST catalog: 16 clients append
# snapshots to one table for 15 s (60 s with ICETAP_SOAK=1), each reading
# the table and committing PyIceberg's append (assert-ref-snapshot-id on
# main).  Every acknowledged commit is in the final snapshot history
# (and on main's chain), every rejected one got 409
# CommitFailedException and is absent, and no loser left a metadata
# file behind: one file per acknowledged commit plus the first.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Icetap::Env;

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;
my $seconds = $ENV{ICETAP_SOAK} ? 60 : 15;

my $env = Test::Icetap::Env->new(workers => 2, http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
HTTP
    config => <<"CONF");
location ~ ^/iceberg/ {
    icetap_tables_api;
    icetap_policy allow $ak s3tables:* *;
}
CONF

$env->start;

my $py = "$FindBin::Bin/py/iceberg_rest.py";
$env->run_py($py, 'seed', 'racing');

my $r = $env->run_py_json($py, 'race', 'racing', $seconds, 16);

my %history = map { $_ => 1 } @{$r->{history}};
my @lost = grep { !$history{$_} } @{$r->{acked}};

ok(@{$r->{acked}} > 16, scalar(@{$r->{acked}}) . ' commits acknowledged');
ok($r->{rejected} > 0, "$r->{rejected} commits rejected with 409");
is($r->{nother}, 0, 'no answer but 200 and 409') or diag explain $r->{other};
is_deeply(\@lost, [], 'no acknowledged commit lost');
is($r->{rejected_in_history}, 0, 'no rejected commit in the history');
is(scalar @{$r->{history}}, scalar @{$r->{acked}},
   'the history is exactly the acknowledged commits');
is($r->{chain}, scalar @{$r->{acked}}, 'all of them on main, one chain');
is($r->{metadata_files}, @{$r->{acked}} + 1,
   'one metadata file per commit: losers left nothing');
is_deeply($r->{errors}, [], 'final metadata valid');

$env->stop;
ok(!$env->log_problems, 'no alerts, crits or errors');

done_testing();
