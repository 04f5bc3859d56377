# Registries for the pull and push tests: Debian's docker-registry on 127.0.0.1, under the
# test file's temporary directory, started in setup_file and stopped in teardown_file.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry NAME [htpasswd-file]: a registry under $BATS_FILE_TMPDIR/NAME; prints its
# port once it answers (401 from one with auth also means it is up).
start_registry() {
  local name=$1 htpasswd=${2:-} dir=$BATS_FILE_TMPDIR/$1 port i
  port=$(free_port)
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
YAML
  if [ -n "$htpasswd" ]; then
    printf 'auth:\n  htpasswd:\n    realm: hull-test\n    path: %s\n' "$htpasswd" >>"$dir/config.yml"
  fi
  /usr/bin/docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  echo $! >"$dir/pid"
  for ((i = 0; i < POLL_TRIES; i++)); do
    curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" | grep -qE '200|401' &&
      { echo "$port"; return 0; }
    sleep "$POLL_SLEEP"
  done
  echo "registry $name did not start:" >&2
  cat "$dir/log" >&2
  return 1
}

# stop_registries NAME...: kills them and removes their storage.
stop_registries() {
  local name pid
  for name in "$@"; do
    pid=$(cat "$BATS_FILE_TMPDIR/$name/pid" 2>/dev/null) || continue
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "${BATS_FILE_TMPDIR:?}/$name"
  done
  return 0
}
