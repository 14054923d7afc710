# The metadata configuration API refuses bad requests with S3's XML errors
# and writes nothing: bad bodies, out-of-range values, wrong methods,
# bad bucket names, checksums that do not match, a foreign bucket owner.
# Raw signed requests, so the exact bytes are under test.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::HTTP qw(http_request);
use Digest::MD5 qw(md5_base64);
use Digest::SHA qw(sha256_hex);
use JSON::PP;

my $ak = $Test::Icetap::HTTP::ACCESS_KEY;
my $sk = $Test::Icetap::HTTP::SECRET_KEY;

my $env = Test::Icetap::Env->new(http_config => <<"HTTP",
icetap_store http://127.0.0.1:\$TEST_NGINX_S3_PORT bucket=icetap-state
             access_key=$ak secret_key=$sk addressing=path;
icetap_access_key $ak $sk;
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

is(http_request(port => $env->s3_port, method => 'PUT', uri => '/errb',
                sign => 1)->{status}, 200, 'bucket created in the store');

sub api {
    my (%a) = @_;
    return $env->request(method => $a{method}, uri => $a{uri},
                         body => $a{body}, headers => $a{headers} // [],
                         sign => $a{sign} // 1,
                         sign_opts => { payload => 'SIGNED',
                                        %{$a{sign_opts} // {}} });
}

sub mc {
    my ($journal, $rest) = @_;
    return '<MetadataConfiguration xmlns="http://s3.amazonaws.com/doc/'
         . '2006-03-01/"><JournalTableConfiguration>' . $journal
         . '</JournalTableConfiguration>' . ($rest // '')
         . '</MetadataConfiguration>';
}

my $off = '<RecordExpiration><Expiration>DISABLED</Expiration>'
        . '</RecordExpiration>';

my @cases = (
    [ 'not well-formed', 'POST', '?metadataConfiguration',
      '<MetadataConfiguration><JournalTable', 400, 'MalformedXML' ],
    [ 'wrong root element', 'POST', '?metadataConfiguration',
      "<JournalTableConfiguration>$off</JournalTableConfiguration>",
      400, 'MalformedXML' ],
    [ 'no journal configuration', 'POST', '?metadataConfiguration',
      '<MetadataConfiguration/>', 400, 'MalformedXML' ],
    [ 'unknown element', 'POST', '?metadataConfiguration',
      mc($off, '<Colour>red</Colour>'), 400, 'MalformedXML' ],
    [ 'empty body', 'POST', '?metadataConfiguration', '', 400,
      'MissingRequestBodyError' ],
    [ 'Days below 7', 'POST', '?metadataConfiguration',
      mc('<RecordExpiration><Expiration>ENABLED</Expiration><Days>6</Days>'
         . '</RecordExpiration>'), 400, 'InvalidArgument' ],
    [ 'Days above the maximum', 'POST', '?metadataConfiguration',
      mc('<RecordExpiration><Expiration>ENABLED</Expiration>'
         . '<Days>2147483648</Days></RecordExpiration>'), 400,
      'InvalidArgument' ],
    [ 'Days with DISABLED', 'POST', '?metadataConfiguration',
      mc('<RecordExpiration><Expiration>DISABLED</Expiration>'
         . '<Days>30</Days></RecordExpiration>'), 400, 'InvalidArgument' ],
    [ 'ENABLED without Days', 'POST', '?metadataConfiguration',
      mc('<RecordExpiration><Expiration>ENABLED</Expiration>'
         . '</RecordExpiration>'), 400, 'InvalidArgument' ],
    [ 'aws:kms without a key', 'POST', '?metadataConfiguration',
      mc($off . '<EncryptionConfiguration><SseAlgorithm>aws:kms'
         . '</SseAlgorithm></EncryptionConfiguration>'), 400,
      'InvalidArgument' ],
    [ 'unknown inventory state', 'POST', '?metadataConfiguration',
      mc($off, '<InventoryTableConfiguration><ConfigurationState>ON'
         . '</ConfigurationState></InventoryTableConfiguration>'), 400,
      'InvalidArgument' ],
    [ 'annotation tables', 'POST', '?metadataConfiguration',
      mc($off, '<AnnotationTableConfiguration><ConfigurationState>ENABLED'
         . '</ConfigurationState></AnnotationTableConfiguration>'), 501,
      'NotImplemented' ],
    [ 'journal update with Days 3', 'PUT', '?metadataJournalTable',
      '<JournalTableConfiguration><RecordExpiration><Expiration>ENABLED'
      . '</Expiration><Days>3</Days></RecordExpiration>'
      . '</JournalTableConfiguration>', 400, 'InvalidArgument' ],
    [ 'journal update changing encryption', 'PUT', '?metadataJournalTable',
      "<JournalTableConfiguration>$off<EncryptionConfiguration>"
      . '<SseAlgorithm>AES256</SseAlgorithm></EncryptionConfiguration>'
      . '</JournalTableConfiguration>', 400, 'MalformedXML' ],
    [ 'inventory update without a state', 'PUT', '?metadataInventoryTable',
      '<InventoryTableConfiguration/>', 400, 'MalformedXML' ],
    [ 'V1 with an S3 bucket ARN', 'POST', '?metadataTable',
      '<MetadataTableConfiguration><S3TablesDestination><TableBucketArn>'
      . 'arn:aws:s3:::errb</TableBucketArn><TableName>j</TableName>'
      . '</S3TablesDestination></MetadataTableConfiguration>', 400,
      'InvalidArgument' ],
    [ 'V1 with an invalid table name', 'POST', '?metadataTable',
      '<MetadataTableConfiguration><S3TablesDestination><TableBucketArn>'
      . 'arn:aws:s3tables:us-east-1:111122223333:bucket/tb</TableBucketArn>'
      . '<TableName>My-Table</TableName></S3TablesDestination>'
      . '</MetadataTableConfiguration>', 400, 'InvalidArgument' ],
    [ 'V1 table bucket of another account', 'POST', '?metadataTable',
      '<MetadataTableConfiguration><S3TablesDestination><TableBucketArn>'
      . 'arn:aws:s3tables:us-east-1:999999999999:bucket/tb</TableBucketArn>'
      . '<TableName>j</TableName></S3TablesDestination>'
      . '</MetadataTableConfiguration>', 400, 'InvalidArgument' ],
    [ 'PUT metadataConfiguration', 'PUT', '?metadataConfiguration',
      mc($off), 405, 'MethodNotAllowed' ],
    [ 'GET metadataJournalTable', 'GET', '?metadataJournalTable', undef,
      405, 'MethodNotAllowed' ],
    [ 'POST metadataInventoryTable', 'POST', '?metadataInventoryTable',
      '<InventoryTableConfiguration/>', 405, 'MethodNotAllowed' ],
);

for my $c (@cases) {
    my ($what, $method, $q, $body, $status, $code) = @$c;
    my $res = api(method => $method, uri => "/errb$q", body => $body);

    is($res->{status}, $status, "$what: $status");
    like($res->{body}, qr{^<\?xml[^>]*>\s*<Error><Code>\Q$code\E</Code>
                          <Message>[^<]+</Message><Resource>/errb</Resource>
                          <RequestId>\w+</RequestId></Error>$}x,
         "$what: S3 error $code") or diag $res->{body};
    is($res->{headers}{'content-type'}, 'application/xml',
       "$what: XML error");
}

my $good = mc('<RecordExpiration><Expiration>ENABLED</Expiration>'
              . '<Days>7</Days></RecordExpiration>');
my $res;

# bucket names: the gateway only serves valid general purpose names

$res = api(method => 'GET', uri => '/Bad_Bucket?metadataConfiguration');
is($res->{status}, 400, 'invalid bucket name: 400');
like($res->{body}, qr{<Code>InvalidBucketName</Code>}, 'InvalidBucketName');

# checksums of the body

$res = api(method => 'POST', uri => '/errb?metadataConfiguration',
           body => $good,
           headers => [['x-amz-sdk-checksum-algorithm', 'CRC32'],
                       ['x-amz-checksum-crc32', 'AAAAAA==']]);
is($res->{status}, 400, 'wrong CRC32: 400');
like($res->{body}, qr{<Code>BadDigest</Code>}, 'wrong CRC32: BadDigest');

$res = api(method => 'POST', uri => '/errb?metadataConfiguration',
           body => $good,
           headers => [['Content-MD5', md5_base64('other') . '==']]);
is($res->{status}, 400, 'wrong Content-MD5: 400');
like($res->{body}, qr{<Code>BadDigest</Code>}, 'wrong Content-MD5');

$res = api(method => 'POST', uri => '/errb?metadataConfiguration',
           body => $good,
           headers => [['x-amz-content-sha256', sha256_hex('other')]]);
is($res->{status}, 400, 'body not the one signed: 400');
like($res->{body}, qr{<Code>XAmzContentSHA256Mismatch</Code>},
     'XAmzContentSHA256Mismatch');

$res = api(method => 'POST', uri => '/errb?metadataConfiguration',
           body => $good,
           headers => [['x-amz-expected-bucket-owner', '999999999999']]);
is($res->{status}, 403, 'another expected bucket owner: 403');
like($res->{body}, qr{<Code>AccessDenied</Code>}, 'AccessDenied');

# nothing was written by any of them

$res = api(method => 'GET', uri => '/errb?metadataConfiguration');
is($res->{status}, 404, 'no configuration after refused requests');
like($res->{body}, qr{<Code>MetadataConfigurationNotFound</Code>},
     'MetadataConfigurationNotFound');

$res = http_request(port => $env->s3_port, method => 'GET',
                    uri => '/icetap-state?list-type=2', sign => 1);
unlike($res->{body}, qr{<Key>}, 'the state bucket holds no document')
    or diag $res->{body};

# the raw exchange of a good create, get and delete

$res = api(method => 'POST', uri => '/errb?metadataConfiguration',
           body => $good,
           headers => [['x-amz-sdk-checksum-algorithm', 'CRC32'],
                       ['Content-MD5', md5_base64($good) . '=='],
                       ['x-amz-expected-bucket-owner', '111122223333']]);
is($res->{status}, 200, 'create: 200');
is($res->{body}, '', 'create: empty body');
is($res->{headers}{'content-length'}, '0', 'create: Content-Length 0');
like($res->{headers}{'x-amz-request-id'}, qr/^\w{16}$/, 'request id');

$res = api(method => 'GET', uri => '/errb?metadataConfiguration');
is($res->{status}, 200, 'get: 200');
is($res->{headers}{'content-type'}, 'application/xml', 'get: XML');
(my $doc = $res->{body}) =~ s{/table/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-
                              [89ab][0-9a-f]{3}-[0-9a-f]{12}<}{/table/ID<}x;
is($doc, '<?xml version="1.0" encoding="UTF-8"?>' . "\n"
   . '<GetBucketMetadataConfigurationResult xmlns="http://s3.amazonaws.com/'
   . 'doc/2006-03-01/"><MetadataConfigurationResult><DestinationResult>'
   . '<TableBucketType>aws</TableBucketType><TableBucketArn>arn:aws:'
   . 's3tables:us-east-1:111122223333:bucket/aws-s3</TableBucketArn>'
   . '<TableNamespace>b_errb</TableNamespace></DestinationResult>'
   . '<JournalTableConfigurationResult><TableStatus>CREATING</TableStatus>'
   . '<TableName>journal</TableName><TableArn>arn:aws:s3tables:us-east-1:'
   . '111122223333:bucket/aws-s3/table/ID</TableArn><RecordExpiration>'
   . '<Expiration>ENABLED</Expiration><Days>7</Days></RecordExpiration>'
   . '</JournalTableConfigurationResult></MetadataConfigurationResult>'
   . '</GetBucketMetadataConfigurationResult>', 'get: the whole document');

$res = api(method => 'PUT', uri => '/errb?metadataInventoryTable',
           body => '<InventoryTableConfiguration><ConfigurationState>'
                 . 'ENABLED</ConfigurationState><EncryptionConfiguration>'
                 . '<SseAlgorithm>aws:kms</SseAlgorithm><KmsKeyArn>arn:aws:'
                 . 'kms:us-east-1:111122223333:key/k1</KmsKeyArn>'
                 . '</EncryptionConfiguration></InventoryTableConfiguration>');
is($res->{status}, 200, 'inventory enabled with a KMS key');

$res = api(method => 'PUT', uri => '/errb?metadataInventoryTable',
           body => '<InventoryTableConfiguration><ConfigurationState>'
                 . 'ENABLED</ConfigurationState><EncryptionConfiguration>'
                 . '<SseAlgorithm>AES256</SseAlgorithm>'
                 . '</EncryptionConfiguration></InventoryTableConfiguration>');
is($res->{status}, 400, 'encryption of an existing inventory is fixed');
like($res->{body}, qr{<Code>InvalidArgument</Code>}, 'InvalidArgument');

$res = api(method => 'GET', uri => '/errb?metadataConfiguration');
unlike($res->{body}, qr{kms|AES256}, 'encryption is not echoed');

# statuses are the helpers' to set, in the document: Get reports them

my $key = '/icetap-state/icetap/config/buckets/errb/metadata.json';
$res = http_request(port => $env->s3_port, method => 'GET', uri => $key,
                    sign => 1);
is($res->{status}, 200, 'the document is in the store');
my $d = JSON::PP->new->decode($res->{body});
$d->{journal}{status} = 'ACTIVE';
$d->{inventory}{status} = 'FAILED';
$d->{inventory}{error} = { code => 'JournalTableNotAvailable',
                           message => 'journal <failed>' };
is(http_request(port => $env->s3_port, method => 'PUT', uri => $key,
                body => JSON::PP->new->encode($d), sign => 1)->{status},
   200, 'a helper changes the statuses');

$res = api(method => 'GET', uri => '/errb?metadataConfiguration');
like($res->{body}, qr{<JournalTableConfigurationResult><TableStatus>ACTIVE
                      </TableStatus><TableName>}x, 'journal ACTIVE');
like($res->{body}, qr{<InventoryTableConfigurationResult><ConfigurationState>
                      ENABLED</ConfigurationState><TableStatus>FAILED
                      </TableStatus><Error><ErrorCode>JournalTableNotAvailable
                      </ErrorCode><ErrorMessage>journal\ &lt;failed&gt;
                      </ErrorMessage></Error><TableName>inventory
                      </TableName>}x, 'inventory FAILED with its error')
    or diag $res->{body};

# a body too large for a configuration

$res = api(method => 'POST', uri => '/errb?metadataConfiguration',
           body => mc($off, '<!--' . ('x' x 70000) . '-->'));
is($res->{status}, 400, 'huge body: 400');
like($res->{body}, qr{<Code>MaxMessageLengthExceeded</Code>},
     'MaxMessageLengthExceeded');

$res = api(method => 'DELETE', uri => '/errb/?metadataConfiguration');
is($res->{status}, 204, 'delete (trailing slash): 204');
is($res->{body}, '', 'delete: no body');

# an object's subresource is not a configuration request: forwarded

$res = api(method => 'GET', uri => '/errb/key?metadataConfiguration');
like($res->{body}, qr{<Code>NoSuchKey</Code>},
     'object-level request goes to the store');

is(scalar($env->wal_records), 0, 'nothing in the WAL');

$env->stop;

is_deeply([$env->log_problems], [], 'no errors in the log');

done_testing();
