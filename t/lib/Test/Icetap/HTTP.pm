package Test::Icetap::HTTP;

# A raw HTTP/1.1 client for the test harness: it sends exactly the bytes
# it is given (so tests can send malformed requests), reads until the
# server closes the connection, and parses the answer.  Optionally signs
# requests with AWS SigV4 (header form) for S3 stores.

use strict;
use warnings;

use Exporter 'import';
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);
use Digest::SHA qw(sha256_hex hmac_sha256 hmac_sha256_hex);
use POSIX qw(strftime);

our @EXPORT_OK = qw(http_request http_raw parse_response sigv4_sign
                    uri_escape_s3);

our $ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
our $SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
our $REGION     = 'us-east-1';


# http_raw(port => P, data => BYTES, [host => ADDR], [timeout => S],
#          [shutdown => 1])
# Sends DATA, reads until EOF or timeout; returns parse_response() of what
# came back plus {raw => bytes, timed_out => bool}.

sub http_raw {
    my (%a) = @_;

    my $timeout = $a{timeout} // 10;
    my $sock = IO::Socket::INET->new(
        PeerAddr => $a{host} // '127.0.0.1',
        PeerPort => $a{port},
        Proto    => 'tcp',
        Timeout  => $timeout,
    ) or die "connect to port $a{port}: $!\n";

    binmode $sock;
    $sock->autoflush(1);

    my $sel = IO::Select->new($sock);
    my $deadline = time + $timeout;
    my $raw = '';
    my $timed_out = 0;
    my $data = $a{data} // '';
    my $off = 0;

    local $SIG{PIPE} = 'IGNORE';

    # write and read interleaved: the server may answer (and close)
    # before it has read the whole request
    while ($off < length $data) {
        my $left = $deadline - time;
        if ($left <= 0) { $timed_out = 1; last }

        my ($r, $w) = IO::Select->select($sel, $sel, undef, $left);
        if ($r && @$r) {
            my $n = sysread($sock, my $buf, 65536);
            last if !$n;
            $raw .= $buf;
        }
        if ($w && @$w) {
            my $n = syswrite($sock, $data, 65536, $off);
            last unless defined $n;
            $off += $n;
        }
    }

    shutdown($sock, 1) if $a{shutdown};

    while (!$timed_out) {
        my $left = $deadline - time;
        if ($left <= 0) { $timed_out = 1; last }
        last unless $sel->can_read($left);
        my $n = sysread($sock, my $buf, 65536);
        last if !$n;
        $raw .= $buf;
    }

    close $sock;

    my $res = parse_response($raw, $a{head});
    $res->{raw} = $raw;
    $res->{timed_out} = $timed_out;

    return $res;
}


# parse_response(BYTES, IS_HEAD): {status, reason, proto, headers =>
# {lc name => value (repeated ones joined with ", ")}, header_list =>
# [[name, value], ...], body}.  status is undef when nothing parseable
# came back.

sub parse_response {
    my ($raw, $head) = @_;

    my %res = (status => undef, headers => {}, header_list => [],
               body => '');

    # skip 1xx interim responses
    while ($raw =~ s{\AHTTP/1\.[01] 1\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n}{}) {}

    return \%res unless $raw =~ s{\A(HTTP/\d\.\d) (\d{3})(?: ([^\r\n]*))?\r\n}{};
    @res{qw(proto status reason)} = ($1, $2, $3 // '');

    while ($raw =~ s{\A([^\r\n]+)\r\n}{}) {
        my ($n, $v) = split /:\s*/, $1, 2;
        push @{$res{header_list}}, [$n, $v // ''];
        my $lc = lc $n;
        $res{headers}{$lc} = exists $res{headers}{$lc}
            ? "$res{headers}{$lc}, " . ($v // '') : ($v // '');
    }
    $raw =~ s{\A\r\n}{};

    return \%res if $head || $res{status} =~ /^(?:204|304)$/;

    if (($res{headers}{'transfer-encoding'} // '') =~ /chunked/i) {
        my $body = '';
        while ($raw =~ s{\A([0-9a-fA-F]+)[^\r\n]*\r\n}{}) {
            my $len = hex $1;
            last if $len == 0;
            $body .= substr($raw, 0, $len, '');
            $raw =~ s{\A\r\n}{};
        }
        $res{body} = $body;

    } elsif (defined $res{headers}{'content-length'}) {
        $res{body} = substr($raw, 0, $res{headers}{'content-length'});

    } else {
        $res{body} = $raw;
    }

    return \%res;
}


# http_request(port => P, method => M, uri => U, headers => [[n, v], ...]
#              | {n => v}, body => B, [host => 'Host header'],
#              [sign => 1], [timeout => S], [proto => 'HTTP/1.1'])
# Adds Host, Content-Length (when a body is given and no Transfer-Encoding
# or Content-Length header is set) and Connection: close.

sub http_request {
    my (%a) = @_;

    my $method = $a{method} // 'GET';
    my $uri = $a{uri} // '/';
    my $proto = $a{proto} // 'HTTP/1.1';
    my $body = $a{body};
    my @h = ref $a{headers} eq 'HASH'
        ? map { [$_, $a{headers}{$_}] } sort keys %{$a{headers}}
        : @{$a{headers} // []};

    my %have = map { lc $_->[0] => 1 } @h;
    unshift @h, ['Host', $a{host} // "127.0.0.1:$a{port}"]
        unless $have{host};

    if (defined $body && !$have{'content-length'}
        && !$have{'transfer-encoding'})
    {
        push @h, ['Content-Length', length $body];
    }

    push @h, ['Connection', 'close'] unless $have{connection};

    if ($a{sign}) {
        @h = sigv4_sign($method, $uri, \@h, $body, %{$a{sign_opts} // {}});
    }

    my $req = "$method $uri $proto\r\n"
        . join('', map { "$_->[0]: $_->[1]\r\n" } @h)
        . "\r\n" . ($body // '');

    return http_raw(port => $a{port}, host => $a{addr}, data => $req,
                    timeout => $a{timeout}, head => $method eq 'HEAD');
}


sub uri_escape_s3 {
    my ($s, $keep_slash) = @_;
    my $re = $keep_slash ? qr{([^A-Za-z0-9\-._~/])} : qr{([^A-Za-z0-9\-._~])};
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/$re/sprintf('%%%02X', ord $1)/ge;
    return $s;
}


sub _uri_unescape {
    my ($s) = @_;
    $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    return $s;
}


# sigv4_sign(METHOD, URI, \@headers, BODY, [payload => 'UNSIGNED'],
#            [access_key, secret_key, region, time])
# Returns the header list with x-amz-date, x-amz-content-sha256 and
# Authorization added.  The URI path is used as sent (S3 does not
# normalise or double-encode it).

sub sigv4_sign {
    my ($method, $uri, $headers, $body, %o) = @_;

    my $ak = $o{access_key} // $ACCESS_KEY;
    my $sk = $o{secret_key} // $SECRET_KEY;
    my $region = $o{region} // $REGION;
    my $t = $o{time} // time;

    my $amzdate = strftime('%Y%m%dT%H%M%SZ', gmtime $t);
    my $date = substr $amzdate, 0, 8;

    my @h = grep { lc $_->[0] ne 'authorization' } @$headers;
    my %have = map { lc $_->[0] => 1 } @h;

    my $payload = $have{'x-amz-content-sha256'}
        ? (map { $_->[1] } grep { lc $_->[0] eq 'x-amz-content-sha256' } @h)[0]
        : ($o{payload} // 'UNSIGNED-PAYLOAD') eq 'SIGNED'
        ? sha256_hex($body // '') : 'UNSIGNED-PAYLOAD';

    push @h, ['x-amz-date', $amzdate] unless $have{'x-amz-date'};
    push @h, ['x-amz-content-sha256', $payload]
        unless $have{'x-amz-content-sha256'};

    my ($path, $query) = split /\?/, $uri, 2;

    my @q;
    for my $p (split /&/, $query // '') {
        my ($k, $v) = split /=/, $p, 2;
        push @q, [uri_escape_s3(_uri_unescape($k)),
                  uri_escape_s3(_uri_unescape($v // ''))];
    }
    my $cquery = join '&', map { "$_->[0]=$_->[1]" }
        sort { $a->[0] cmp $b->[0] || $a->[1] cmp $b->[1] } @q;

    my %sh;
    for my $hd (@h) {
        my $n = lc $hd->[0];
        next unless $n eq 'host' || $n =~ /^x-amz-/ || $n eq 'content-type'
                    || $n eq 'content-md5';
        (my $v = $hd->[1]) =~ s/^\s+|\s+$//g;
        $v =~ s/\s+/ /g;
        $sh{$n} = exists $sh{$n} ? "$sh{$n},$v" : $v;
    }
    my @names = sort keys %sh;
    my $signed = join ';', @names;

    my $creq = join "\n", $method, $path, $cquery,
        join('', map { "$_:$sh{$_}\n" } @names), $signed, $payload;

    my $scope = "$date/$region/s3/aws4_request";
    my $sts = join "\n", 'AWS4-HMAC-SHA256', $amzdate, $scope,
        sha256_hex($creq);

    my $k = hmac_sha256($date, "AWS4$sk");
    $k = hmac_sha256($region, $k);
    $k = hmac_sha256('s3', $k);
    $k = hmac_sha256('aws4_request', $k);
    my $sig = hmac_sha256_hex($sts, $k);

    push @h, ['Authorization', "AWS4-HMAC-SHA256 Credential=$ak/$scope, "
              . "SignedHeaders=$signed, Signature=$sig"];

    return @h;
}


1;
