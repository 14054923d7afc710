# A store that checks signatures: mutations it refuses (wrong secret,
# unknown key, anonymous, failed precondition) leave no record; accepted
# ones record the access key id that signed them.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::Moto;

local $ENV{INITIAL_NO_AUTH_ACTION_COUNT} = 3;
my $moto = Test::Icetap::Moto->new(own => 1,
                                   log => '/tmp/icetap-moto-auth.log');
$moto->start;
delete $ENV{INITIAL_NO_AUTH_ACTION_COUNT};

my $env = Test::Icetap::Env->new(s3 => $moto, config => <<'CONF');
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
CONF

$env->start;

my $r = $env->run_py_json('t/py/auth_mutations.py');

is($r->{create_bucket}, 'ok', 'bucket created with good keys');
is($r->{put_good}, 'ok', 'signed put accepted');
is($r->{put_wrong_secret}, 'SignatureDoesNotMatch', 'wrong secret refused');
is($r->{put_unknown_key}, 'InvalidAccessKeyId', 'unknown key refused');
isnt($r->{put_anonymous}, 'ok', "anonymous refused ($r->{put_anonymous})");
is($r->{delete_wrong_secret}, 'SignatureDoesNotMatch',
   'delete with a wrong secret refused');
is($r->{tag_unknown_key}, 'InvalidAccessKeyId', 'tagging refused');
is($r->{put_if_none_match}, 'PreconditionFailed',
   'conditional put on an existing key refused');
is($r->{delete_good}, 'ok', 'signed delete accepted');

my @recs = $env->wal_records;
is_deeply([map { "$_->{op} $_->{key}" } @recs],
          ['PutObject good', 'DeleteObject good'],
          'exactly the two accepted mutations are recorded');
is_deeply([map { $_->{requester} } @recs], [$r->{akid}, $r->{akid}],
          'with the access key id that signed them');

$env->stop;
$moto->stop;

done_testing();
