# The metadata configuration document under concurrency and store
# trouble: of concurrent creates exactly one wins; concurrent updates of
# different parts never lose each other's change; requests are answered
# even when the location's upstream is dead; an unreachable store is a
# 503, a missing icetap_store a 501; bad directives stop nginx -t.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::Moto;
use Test::Icetap::HTTP qw(http_request);

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;
my $N = 8;

my $store = <<"HTTP";
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
HTTP

my $location = <<'CONF';
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
CONF

my $env = Test::Icetap::Env->new(workers => 2, http_config => $store,
                                 config => $location);
$env->start;

# races

my $r = $env->run_py_json('t/py/mdconf_race.py', 'raceb', $N);

my @won = grep { $r->{creates}[$_] eq 'ok' } 0 .. $N - 1;
is(scalar @won, 1, "one of $N concurrent creates wins")
    or diag explain $r->{creates};
is_deeply([sort grep { $_ ne 'ok' } @{$r->{creates}}],
          [('409 MetadataConfigurationAlreadyExists') x ($N - 1)],
          'the others get 409 MetadataConfigurationAlreadyExists');

my @ok = grep { $r->{updates}[$_] eq 'ok' } 0 .. $N - 1;
ok(@ok >= 1, scalar(@ok) . " of $N concurrent journal updates succeed");
is_deeply([grep { $_ ne 'ok' && $_ ne '409 OperationAborted' }
           @{$r->{updates}}, $r->{inventory}], [],
          'the others get 409 OperationAborted');

my $m = $r->{get}{GetBucketMetadataConfigurationResult}
          {MetadataConfigurationResult};
my $days = $m->{JournalTableConfigurationResult}{RecordExpiration}{Days};
ok(scalar(grep { 100 + $_ == $days } @ok),
   "the expiration ($days days) is one a successful update wrote");
is($m->{InventoryTableConfigurationResult}{ConfigurationState},
   $r->{inventory} eq 'ok' ? 'DISABLED' : 'ENABLED',
   "the inventory change ($r->{inventory}) was not lost to a journal "
   . 'update');

is(scalar($env->wal_records), 0, 'nothing in the WAL');
$env->stop;
is_deeply([$env->log_problems], [], 'no errors in the log');

# the location's upstream is dead: the API still answers

my $dead = Test::Icetap::Moto::free_port();

$env->set_config(workers => 1, config => <<"CONF");
location / {
    proxy_pass http://127.0.0.1:$dead;
    icetap_tap on;
}
CONF
$env->start;

my $res = $env->request(method => 'GET', uri => '/raceb?metadataConfiguration',
                        sign => 1);
is($res->{status}, 200, 'answered with a dead upstream');
like($res->{body}, qr{<Days>$days</Days>}, 'from the store');

$res = $env->request(method => 'GET', uri => '/raceb?location', sign => 1);
is($res->{status}, 502, 'other requests go to the (dead) upstream');

$env->stop;
is_deeply([grep { !/connect\(\) failed/ } $env->log_problems], [],
          'only the upstream failure in the log');

# the store is unreachable: 503, and the operator is told

$env->set_config(config => $location, http_config => <<"HTTP");
icetap_store http://127.0.0.1:$dead bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
HTTP
$env->start;

$res = $env->request(method => 'GET', uri => '/raceb?metadataConfiguration',
                     sign => 1);
is($res->{status}, 503, 'store down: 503');
like($res->{body}, qr{<Code>ServiceUnavailable</Code>}, 'ServiceUnavailable');
is($res->{headers}{'retry-after'}, '1', 'Retry-After');

$env->stop;
like($env->error_log,
     qr/\[error\].*icetap: metadata configuration of bucket "raceb" failed/,
     'failure logged');

# no icetap_store: 501 after authentication

$env->set_config(http_config => "icetap_access_key $ak $sk;\n");
$env->start;

$res = $env->request(method => 'GET', uri => '/raceb?metadataConfiguration',
                     sign => 1);
is($res->{status}, 501, 'without icetap_store: 501');
like($res->{body}, qr{<Code>NotImplemented</Code>}, 'NotImplemented');

$res = $env->request(method => 'GET', uri => '/raceb?metadataConfiguration');
is($res->{status}, 403, 'without icetap_store, unsigned: 403');

$env->stop;
like($env->error_log, qr/the metadata configuration API needs "icetap_store"/,
     'the operator is told why');

# directives checked when the configuration is loaded

my @bad = (
    [ "icetap_store ftp://x bucket=b access_key=a secret_key=s;",
      qr/invalid store URL "ftp:\/\/x"/ ],
    [ "icetap_store http://127.0.0.1:1 access_key=a secret_key=s;",
      qr/"icetap_store" directive needs "bucket=NAME"/ ],
    [ "icetap_store http://127.0.0.1:1 bucket=b;",
      qr/needs "access_key=" and "secret_key="/ ],
    [ "icetap_store http://127.0.0.1:1 bucket=b/c access_key=a "
      . "secret_key=s;", qr/invalid store: bad S3 bucket name/ ],
    [ "icetap_store http://127.0.0.1:1 bucket=b access_key=a secret_key=s "
      . "colour=red;", qr/invalid parameter "colour=red"/ ],
    [ "icetap_account_id 1234;", qr/invalid account id "1234"/ ],
    [ "icetap_access_key AKIA1 s1;\nicetap_access_key AKIA1 s2;",
      qr/duplicate access key id "AKIA1"/ ],
    [ "icetap_access_key AKIA/1 s1;", qr/invalid access key id/ ],
    [ "icetap_access_key_file /nonexistent/icetap-keys;",
      qr/open\(\) "\/nonexistent\/icetap-keys" failed/ ],
);

for my $b (@bad) {
    $env->set_config(http_config => $b->[0]);
    $env->prepare;
    my ($ok, $out) = $env->test_conf;
    ok(!$ok, "nginx -t refuses: $b->[0]");
    like($out, $b->[1], 'with a precise message') or diag $out;
}

$env->set_config(http_config => $store
                 . "icetap_region eu-west-1;\nicetap_account_id "
                 . "123456789012;\n");
$env->prepare;
my ($ok, $out) = $env->test_conf;
ok($ok, 'region and account accepted') or diag $out;

done_testing();
