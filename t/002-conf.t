# The ready configurations in conf/ pass `nginx -t` with the module loaded
# (system paths and ports rewritten to the test's servroot), and the local
# one proxies and records in front of the test store.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use Test::More;
use Test::Icetap::Env;
use Test::Icetap::HTTP qw(http_request);

my $root = Test::Icetap::Env::root();

sub localise {
    my ($text, $env) = @_;

    my $sr = $env->servroot;
    my $keydir = tempdir(CLEANUP => 1);
    my $mod = Test::Icetap::Env::module_path();
    my $port = $env->port;
    my $s3 = $env->s3_port;

    $text =~ s{^(\s*)load_module\s+\S+;}{$1load_module $mod;}m
        or die "no load_module line";
    $text =~ s{^user\s+[^;]+;\n}{}m;
    $text =~ s{^(\s*error_log)\s+\S+}{$1 $sr/logs/error.log}mg;
    $text =~ s{^(\s*pid)\s+\S+;}{$1 $sr/logs/nginx.pid;}mg;
    $text =~ s{^(\s*access_log)\s+\S+;}{$1 $sr/logs/access.log;}mg;
    $text =~ s{^(\s*icetap_wal)\s+\S+}{$1 $sr/wal}m or die "no icetap_wal";
    $text =~ s{^(\s*listen)\s+\d+;}{$1 127.0.0.1:$port;}mg;
    $text =~ s{^(\s*worker_processes)\s+\S+;}{$1 1;}m;
    $text =~ s{127\.0\.0\.1:9000}{127.0.0.1:$s3}g;
    $text =~ s{^(\s*icetap_plugin\s+\S+\s+)\S*/plugins/}
              {$1$FindBin::Bin/../plugins/}mg;

    if ($text =~ s{^(\s*icetap_access_key_file)\s+\S+;}
                  {$1 $keydir/icetap-keys;}m)
    {
        open my $kf, '>', "$keydir/icetap-keys" or die "keys: $!";
        print $kf "# test keys\nAKIAIOSFODNN7EXAMPLE secret\n";
        close $kf;
    }

    my $temp = join '', map { "    ${_}_temp_path $sr/tmp/$_;\n" }
        qw(client_body proxy fastcgi uwsgi scgi);
    $text =~ s/^http \x7b\n/http \x7b\n$temp/m or die "no http block";

    return "daemon off;\n$text";
}

for my $f (qw(icetap-local.conf icetap-minio.conf icetap-aws.conf
              icetap-tables.conf))
{
    my $path = "$root/conf/$f";
    ok(-f $path, "$f exists") or next;

    open my $fh, '<', $path or die "$path: $!";
    my $text = do { local $/; <$fh> };
    close $fh;

    like($text, qr/^#/m, "$f is commented for operators");

    my $env = Test::Icetap::Env->new;
    $env->set_config(conf => localise($text, $env));
    $env->prepare;
    my ($ok, $out) = $env->test_conf;
    ok($ok, "$f: nginx -t") or diag $out;
    like($out, qr/syntax is ok/, "$f: syntax is ok");
    unlike($out, qr/\[(?:emerg|alert|crit)\]/, "$f: no emerg");

    next unless $f eq 'icetap-local.conf';

    # the local config really fronts a store
    $env->start;
    my %o = (port => $env->port, sign => 1);
    is(http_request(%o, method => 'PUT', uri => '/confbkt', body => '')
       ->{status}, 200, 'create bucket through conf/icetap-local.conf');
    is(http_request(%o, method => 'PUT', uri => '/confbkt/a//b',
                    body => 'conf')->{status}, 200, 'put');
    my $r = http_request(%o, method => 'GET', uri => '/confbkt/a//b');
    is($r->{body}, 'conf', 'get');
    my @recs = $env->wal_records;
    is(scalar @recs, 1, 'one record in the WAL');
    is($recs[0]{key}, 'a//b', 'with the key as sent') if @recs;
    $env->stop;
    is_deeply([$env->log_problems], [], 'no alert/crit/error');
}

done_testing();
