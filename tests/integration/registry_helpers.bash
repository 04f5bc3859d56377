# Registries for the pull and push tests: Debian's docker-registry on 127.0.0.1, under the
# test file's temporary directory, started in setup_file (or by a test that kills its own)
# and stopped by stop_registries, which also stops the token server and the proxy below.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry NAME [--htpasswd FILE] [--tls CERT KEY] [--token REALM BUNDLE] [--port PORT]:
# a registry under $BATS_FILE_TMPDIR/NAME (its storage kept when it is started again, so a
# restart on the same --port serves the same images; its log starts afresh); prints its port
# once it answers (401 from one with auth also means it is up). --token: bearer tokens from
# REALM, signed by the certificate in BUNDLE, for service "hull-registry" from issuer
# "hull-token-issuer".
start_registry() {
  local name=$1 dir=$BATS_FILE_TMPDIR/$1 port= auth= tls= scheme=http i
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --htpasswd) auth=$(printf 'auth:\n  htpasswd:\n    realm: hull-test\n    path: %s' "$2"); shift 2 ;;
      --token)
        auth=$(printf 'auth:\n  token:\n    realm: %s\n    service: hull-registry\n    issuer: hull-token-issuer\n    rootcertbundle: %s' "$2" "$3")
        shift 3 ;;
      --tls) tls=$(printf '  tls:\n    certificate: %s\n    key: %s' "$2" "$3"); scheme=https; shift 3 ;;
      --port) port=$2; shift 2 ;;
      *) echo "start_registry: unknown option $1" >&2; return 1 ;;
    esac
  done
  [ -n "$port" ] || port=$(free_port)
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$port
$tls
$auth
YAML
  /usr/bin/docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  echo $! >"$dir/pid"
  for ((i = 0; i < POLL_TRIES; i++)); do
    curl -sk -o /dev/null -w '%{http_code}' "$scheme://127.0.0.1:$port/v2/" | grep -qE '200|401' &&
      { echo "$port"; return 0; }
    sleep "$POLL_SLEEP"
  done
  echo "registry $name did not start:" >&2
  cat "$dir/log" >&2
  return 1
}

# teardown_test_roots: what engine_teardown_file does for the file's root (networks, made on
# a first `hull run`: bridges, nft table), for each engine root a test made for itself
# ($BATS_TEST_TMPDIR/root*); fails naming what was left.
teardown_test_roots() {
  local root rc=0
  for root in "$BATS_TEST_TMPDIR"/root*; do
    [ -d "$root" ] || continue
    ENGINE_ROOT=$root engine_teardown_file || rc=1
  done
  return "$rc"
}

# registry_teardown [NAME...]: a test's teardown: the registries it started stopped, then
# engine_teardown and teardown_test_roots; fails if any of them found something left.
registry_teardown() {
  local rc=0
  if [ $# -gt 0 ]; then stop_registries "$@" || rc=1; fi
  engine_teardown || rc=1
  teardown_test_roots || rc=1
  return "$rc"
}

# kill_registry NAME: SIGKILL, as a crash; its storage stays for a restart.
kill_registry() {
  local dir=$BATS_FILE_TMPDIR/$1
  kill -KILL "$(cat "$dir/pid")"
  wait_gone "$(cat "$dir/pid")" && rm -f "$dir/pid"
}

# wait_gone PID: polls (bounded) until the process is gone (it may not be our child).
wait_gone() {
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep "$POLL_SLEEP"
  done
  echo "process $1 did not end" >&2
  return 1
}

# stop_registries NAME...: stops each (a registry, the token server, a proxy) and removes its
# directory; fails naming any that would not end.
stop_registries() {
  local name pid left=0
  for name in "$@"; do
    pid=$(cat "$BATS_FILE_TMPDIR/$name/pid" 2>/dev/null) && {
      kill "$pid" 2>/dev/null
      wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null; left=1; }
    }
    rm -rf "${BATS_FILE_TMPDIR:?}/$name"
  done
  return "$left"
}

# start_python NAME ARGS...: runs $BATS_FILE_TMPDIR/NAME/server.py, a helper server of ours,
# with ARGS and a file name: it binds port 0 and writes the port to that file; this prints it.
start_python() {
  local dir=$BATS_FILE_TMPDIR/$1
  shift
  python3 "$dir/server.py" "$@" "$dir/port" >"$dir/log" 2>&1 &
  echo $! >"$dir/pid"
  wait_for "$dir/port" || { cat "$dir/log" >&2; return 1; }  # written whole, by a rename
  cat "$dir/port"
}

# start_proxy NAME UPSTREAM-PORT: a TCP proxy to 127.0.0.1:UPSTREAM-PORT that sends answers on
# slowly (64 KiB every 50 ms, a connection) while $BATS_FILE_TMPDIR/NAME/slow exists, and
# closes the client's connection when the upstream one ends: a registry that dies mid-blob.
start_proxy() {
  local dir=$BATS_FILE_TMPDIR/$1
  mkdir -p "$dir"
  : >"$dir/slow"
  cat >"$dir/server.py" <<'PY'
import os, socket, sys, threading, time
upstream, slow, port_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def pipe(src, dst, throttle):
    try:
        while data := src.recv(65536):
            dst.sendall(data)
            if throttle and os.path.exists(slow):
                time.sleep(0.05)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def serve(client):
    try:
        up = socket.create_connection(("127.0.0.1", upstream))
    except OSError:
        client.close()
        return
    threading.Thread(target=pipe, args=(client, up, False), daemon=True).start()
    pipe(up, client, True)

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
  start_python "$1" "$2" "$dir/slow"
}
