# The metadata configuration API authenticates requests itself: SigV4 in
# the Authorization header or a presigned URL, with the keys of
# icetap_access_key and icetap_access_key_file.  Refused requests get S3's
# 403 errors and change nothing.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempfile);
use Test::Icetap::Env;
use Test::Icetap::HTTP qw(http_request);

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;
my ($fk, $fs) = ('AKIAFILEKEY000000001',
                 'file/Secret+Key0123456789abcdefghijklmn');

my ($fh, $keys) = tempfile('icetap-keys-XXXXXX', TMPDIR => 1, UNLINK => 1);
print $fh "# gateway clients\n\n   $fk \t$fs  \r\nAKIAFILEKEY000000002 other\n";
close $fh;

my $env = Test::Icetap::Env->new(http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
icetap_access_key_file $keys;
HTTP
    config => <<'CONF');
location / {
    proxy_pass http://127.0.0.1:$TEST_NGINX_S3_PORT;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    icetap_tap on;
}
CONF

$env->start;

is(http_request(port => $env->s3_port, method => 'PUT', uri => '/authb',
                sign => 1)->{status}, 200, 'bucket created in the store');

my $r = $env->run_py_json('t/py/mdconf_auth.py', 'authb', $fk, $fs);

my %expect = (
    'wrong secret'        => { status => 403,
                               error => 'SignatureDoesNotMatch' },
    'unknown key'         => { status => 403, error => 'InvalidAccessKeyId' },
    'unsigned'            => { status => 403, error => 'AccessDenied' },
    'unsigned get'        => { status => 403, error => 'AccessDenied' },
    'other region'        => { status => 400,
                               error => 'AuthorizationHeaderMalformed' },
    'get after refusals'  => { status => 404,
                               error => 'MetadataConfigurationNotFound' },
    'file key create'     => 'ok',
    'harness key update'  => 'ok',
    'presigned get tampered'  => { status => 403,
                                   error => 'SignatureDoesNotMatch' },
    'presigned get as delete' => { status => 403,
                                   error => 'SignatureDoesNotMatch' },
    'presigned wrong secret'  => { status => 403,
                                   error => 'SignatureDoesNotMatch' },
    'presigned expired'       => { status => 403, error => 'AccessDenied' },
    'presigned sigv2'         => { status => 403, error => 'AccessDenied' },
    'presigned delete'        => { status => 204, body => '' },
    'get after presigned delete' => { status => 404,
                                      error => 'MetadataConfigurationNotFound' },
);

for my $case (sort keys %expect) {
    is_deeply($r->{$case}, $expect{$case}, $case)
        or diag explain $r->{$case};
}

is($r->{'presigned get'}{status}, 200, 'presigned get: 200');
like($r->{'presigned get'}{body},
     qr{<RecordExpiration><Expiration>ENABLED</Expiration><Days>8</Days>},
     'presigned get: the configuration written with both keys');

# a raw request without any signature

my $res = $env->request(method => 'GET', uri => '/authb?metadataTable');
is($res->{status}, 403, 'anonymous raw request: 403');
like($res->{body}, qr{<Code>AccessDenied</Code>}, 'AccessDenied');

# a signature made with the second key of the file

$res = $env->request(method => 'GET', uri => '/authb?metadataConfiguration',
                     sign => 1,
                     sign_opts => { access_key => 'AKIAFILEKEY000000002',
                                    secret_key => 'other' });
is($res->{status}, 404, 'second key of the file accepted');

is(scalar($env->wal_records), 0, 'nothing in the WAL');

$env->stop;

is_deeply([$env->log_problems], [], 'no errors in the log');
like($env->error_log, qr/icetap: request refused: SignatureDoesNotMatch/,
     'refusals logged at info');

done_testing();
