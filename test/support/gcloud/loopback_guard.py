# Runs a Python program (gcloud's entry point, or the google-auth client of the Python suite) under an audit
# hook (PEP 578) that refuses every name lookup and every connection off this machine, and records each
# attempt in $AUTHPLANE_LOOPBACK_GUARD_LOG. The gcloud tests use it as CLOUDSDK_PYTHON's target: a setting that
# would reach Google fails the command and the test, and no packet (not even a DNS query) leaves the machine.
# Usage: python3 loopback_guard.py SCRIPT ARGS…
import ipaddress
import os
import runpy
import sys

_LOG = os.environ.get('AUTHPLANE_LOOPBACK_GUARD_LOG')
_LOOPBACK_NAMES = {'localhost', 'localhost.localdomain', 'ip6-localhost'}


def _loopback(host):
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode('ascii', 'replace')
    host = str(host).strip('[]').lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split('%')[0]).is_loopback
    except ValueError:
        return False


def _refuse(event, host):
    if _LOG:
        with open(_LOG, 'a') as f:
            f.write('%s %s\n' % (event, host))
    raise OSError('loopback guard: %s of %r refused (gcloud must stay on this machine)' % (event, host))


def _hook(event, args):
    if event in ('socket.getaddrinfo', 'socket.gethostbyname', 'socket.gethostbyname_ex'):
        if not _loopback(args[0]):
            _refuse(event, args[0])
    elif event in ('socket.connect', 'socket.sendto'):
        address = args[1]
        if isinstance(address, tuple) and not _loopback(address[0]):
            _refuse(event, address[0])


sys.addaudithook(_hook)
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name='__main__')
