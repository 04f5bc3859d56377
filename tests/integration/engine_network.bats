#!/usr/bin/env bats
# Bridge networks end to end (issue 5): the default bridge and user-defined networks, veths
# and addresses, published ports from the host (127.0.0.1, the gateway, the host's own
# address) and from containers (hairpin), names between containers through /etc/hosts,
# --ip/--mac-address/--dns/--add-host, --internal, overlap refusal, connect/disconnect, and
# that nothing is left: every test's teardown (engine_helpers.bash) fails on a leftover
# address, host port booking, published port in nft or veth on this file's bridges, and the
# file's teardown on a bridge or nft table. All traffic stays on this machine: loopback,
# the host's own address, and the bridges these tests make. Containers that look names up
# get --dns 127.0.0.1, so a name not in /etc/hosts never leaves the container.

load engine_helpers
bats_require_minimum_version 1.5.0

# http_get HOST PORT: the body of GET / from the host (bash's /dev/tcp: no client needed).
http_get() {
  exec 3<>"/dev/tcp/$1/$2" || return 1
  printf 'GET / HTTP/1.0\r\nHost: x\r\n\r\n' >&3
  sed '1,/^\r\{0,1\}$/d' <&3
  exec 3<&-
}

# A web server container: busybox httpd serving "hello from NAME". Extra flags first.
web() {
  local name=$1
  shift
  hull run -d --name "$name" "$@" busybox sh -c \
    "mkdir -p /www && echo hello from $name >/www/index.html && exec httpd -f -p 80 -h /www"
}

# wait_http HOST PORT: polls (bounded) until the server answers.
wait_http() {
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    http_get "$1" "$2" 2>/dev/null | grep -q hello && return 0
    sleep "$POLL_SLEEP"
  done
  echo "no answer from $1:$2" >&2
  return 1
}

ip_of() { hull inspect "$1" | jq -r ".[0].NetworkSettings.Networks[\"${2:-hull0}\"].IPAddress"; }
gateway_of() { hull network inspect "${1:-hull0}" | jq -r '.[0].IPAM.Config[0].Gateway'; }
subnet_of() { hull network inspect "${1:-hull0}" | jq -r '.[0].IPAM.Config[0].Subnet'; }
host_port_of() { hull port "$1" | awk -v p="$2" '$1 == p { split($3, a, ":"); print a[2] }'; }

# The host's own address (not loopback, not one of our bridges).
host_address() {
  ip -4 -o addr show scope global | awk '$2 !~ /^hull/ { split($4, a, "/"); print a[1]; exit }'
}

# --- the default bridge ---------------------------------------------------------------------

@test "bridge: by default a container gets eth0 on hull0's subnet, a default route via the gateway, and its own net namespace" {
  run hull run --rm --name plain busybox sh -c 'ip -4 -o addr show eth0; ip route'
  [ "$status" -eq 0 ]
  echo "$output"
  local subnet gw
  subnet=$(subnet_of)
  gw=$(gateway_of)
  echo "subnet $subnet gateway $gw"
  [[ "$output" == *"inet ${subnet%.*/*}."* ]]
  [[ "$output" == *"default via $gw dev eth0"* ]]
  hull network ls | grep -q '^[0-9a-f]\{12\} *hull0 '
  # The bridge is the host's, with the gateway's address.
  local br
  br=$(hull network inspect hull0 | jq -r '.[0].Options.bridge')
  ip -4 -o addr show "$br" | grep -q "inet $gw/"
}

@test "bridge: hull ns shows distinct net namespaces for bridged containers and the host's for --network host" {
  hull run -d --name b1 busybox sleep 100
  hull run -d --name b2 busybox sleep 100
  hull run -d --name h1 --network host busybox sleep 100
  run hull ns --format json b1 b2 h1
  [ "$status" -eq 0 ]
  echo "$output"
  local host b1 b2 h1
  host=$(stat -L -c %i /proc/self/ns/net)
  b1=$(jq -r '.namespaces.net.b1.inode' <<<"$output")
  b2=$(jq -r '.namespaces.net.b2.inode' <<<"$output")
  h1=$(jq -r '.namespaces.net.h1.inode' <<<"$output")
  jq -e '.namespaces.net.h1.sharing == "host" and .namespaces.net.b1.sharing == "private"' <<<"$output"
  echo "host $host b1 $b1 b2 $b2 h1 $h1"
  [ -n "$b1" ] && [ -n "$b2" ]
  [ "$b1" != "$b2" ]
  [ "$b1" != "$host" ]
  [ "$h1" = "$host" ]
  # Two addresses, both on the default network, both different.
  [ "$(ip_of b1)" != "$(ip_of b2)" ]
}

@test "bridge: --network container:X shares X's interfaces and address" {
  hull run -d --name xx busybox sleep 100
  run hull run --rm --network container:xx busybox ip -4 -o addr show eth0
  [ "$status" -eq 0 ]
  echo "$output"
  [[ "$output" == *"inet $(ip_of xx)/"* ]]
}

@test "bridge: --ip and --mac-address are honoured; a taken or foreign --ip is refused" {
  local subnet base
  subnet=$(subnet_of)
  base=${subnet%.*/*}
  hull run -d --name fixed --ip "$base.200" --mac-address 02:42:ac:11:aa:bb busybox sleep 100
  run hull exec fixed ip -o link show eth0
  echo "$output"
  [[ "$output" == *"02:42:ac:11:aa:bb"* ]]
  run hull exec fixed ip -4 -o addr show eth0
  [[ "$output" == *"inet $base.200/"* ]]
  run quietly hull run --rm --ip "$base.200" busybox true
  [ "$status" -eq 125 ]
  cat "$BATS_TEST_TMPDIR/err"
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -q "already in use.*$(hull inspect fixed | jq -r '.[0].Id' | cut -c1-12)" "$BATS_TEST_TMPDIR/err"
  run quietly hull run --rm --ip 10.254.254.254 busybox true
  [ "$status" -eq 125 ]
  grep -q "not a host address of network hull0" "$BATS_TEST_TMPDIR/err"
  run quietly hull run --rm --mac-address 01:00:5e:00:00:01 busybox true
  [ "$status" -eq 125 ]
  grep -q -- "--mac-address" "$BATS_TEST_TMPDIR/err"
}

@test "bridge: /etc/hosts, /etc/hostname and /etc/resolv.conf: --hostname, --add-host, --dns" {
  run hull run --rm --name files -h box1 --add-host db.local:10.1.2.3 --dns 192.0.2.53 busybox \
    sh -c 'cat /etc/hosts; echo ---; cat /etc/hostname; echo ---; cat /etc/resolv.conf'
  [ "$status" -eq 0 ]
  echo "$output"
  grep -q '^127.0.0.1[[:space:]]localhost' <<<"$output"
  grep -Eq "^[0-9.]+[[:space:]]box1[[:space:]]files$" <<<"$output"
  grep -Eq "^10.1.2.3[[:space:]]db.local$" <<<"$output"
  grep -qx box1 <<<"$output"
  grep -qx 'nameserver 192.0.2.53' <<<"$output"
  [ "$(grep -c '^nameserver' <<<"$output")" -eq 1 ]
  # --network none: its own files too, with no address of its own.
  run hull run --rm --network none -h lonely busybox cat /etc/hosts /etc/hostname
  [ "$status" -eq 0 ]
  refute grep -q eth0 <<<"$output"
  grep -qx lonely <<<"$output"
  run quietly hull run --rm --add-host nocolon busybox true
  [ "$status" -eq 125 ]
  grep -q -- "--add-host nocolon" "$BATS_TEST_TMPDIR/err"
}

# --- published ports ------------------------------------------------------------------------

@test "publish: an httpd on -p is served on 127.0.0.1, the gateway and the host's own address; hull port lists it" {
  web site -p 18080:80
  wait_http 127.0.0.1 18080
  [ "$(http_get 127.0.0.1 18080)" = "hello from site" ]
  [ "$(http_get "$(gateway_of)" 18080)" = "hello from site" ]
  local addr
  addr=$(host_address)
  if [ -n "$addr" ]; then
    [ "$(http_get "$addr" 18080)" = "hello from site" ]
  fi
  run hull port site
  echo "$output"
  [ "$output" = "80/tcp -> 0.0.0.0:18080" ]
  hull ps | grep -q '0.0.0.0:18080->80/tcp *site$'
  hull ps --format json | jq -e '.[] | select(.Names == "site") | .Ports == "0.0.0.0:18080->80/tcp"' 
  hull inspect site | jq -e '.[0].NetworkSettings.Ports["80/tcp"][0].HostPort == "18080"'
  # Bound to 127.0.0.1 only: not on the gateway.
  web local -p 127.0.0.1:18081:80
  wait_http 127.0.0.1 18081
  [ "$(http_get "$(gateway_of)" 18081 2>/dev/null)" != "hello from local" ]
}

@test "publish: containers reach a published port through the gateway, the server's own one too (hairpin)" {
  web srv -p 18082:80
  wait_http 127.0.0.1 18082
  local gw
  gw=$(gateway_of)
  run hull run --rm busybox wget -qO- "http://$gw:18082/"
  echo "$output"
  [ "$output" = "hello from srv" ]
  run hull exec srv wget -qO- "http://$gw:18082/"
  echo "$output"
  [ "$output" = "hello from srv" ]
}

@test "publish: a host port published twice is refused naming the holder, and the refused container leaves nothing" {
  hull run -d --name holder -p 18083:80 busybox sleep 100
  run quietly hull run -d --name second -p 18083:80 busybox sleep 100
  [ "$status" -eq 125 ]
  cat "$BATS_TEST_TMPDIR/err"
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -q "18083/tcp is already published by container holder" "$BATS_TEST_TMPDIR/err"
  refute hull inspect second
  [ "$(ls "$ENGINE_ROOT"/networks/hull0/ips | wc -l)" -eq 1 ]
  # A bad -p value names itself.
  run quietly hull run --rm -p 80:90:100:110 busybox true
  [ "$status" -eq 125 ]
  grep -q -- "-p 80:90:100:110" "$BATS_TEST_TMPDIR/err"
}

@test "publish: -P publishes the image's exposed ports on host ports chosen free; ranges expand" {
  hull import --change 'CMD ["sh"]' --change 'EXPOSE 80' "$(busybox_tarball)" webimg >/dev/null
  hull run -d --name exposed -P webimg sh -c \
    'mkdir -p /www && echo hello from exposed >/www/index.html && exec httpd -f -p 80 -h /www'
  local port
  port=$(host_port_of exposed 80/tcp)
  echo "chosen host port $port"
  [ -n "$port" ] && [ "$port" -gt 0 ]
  wait_http 127.0.0.1 "$port"
  hull rm -f exposed
  hull rmi webimg
  hull run -d --name ranged -p 18090-18092:90-92 -p 18093:93/udp busybox sleep 100
  run hull port ranged
  echo "$output"
  [ "$(grep -c tcp <<<"$output")" -eq 3 ]
  grep -qx '92/tcp -> 0.0.0.0:18092' <<<"$output"
  grep -qx '93/udp -> 0.0.0.0:18093' <<<"$output"
}

# --- user-defined networks ------------------------------------------------------------------

@test "network: containers reach each other by name and alias, one started later too, without a restart" {
  hull network create appnet
  web api --network appnet --dns 127.0.0.1
  hull run -d --name client --network appnet --dns 127.0.0.1 busybox sleep 100
  run hull exec client wget -qO- http://api/
  echo "$output"
  [ "$output" = "hello from api" ]
  # A third one, later, with an alias: client sees it at once, by name and by alias.
  web late --network appnet --network-alias cache --dns 127.0.0.1
  run hull exec client wget -qO- http://cache/
  [ "$output" = "hello from late" ]
  run hull exec client wget -qO- http://late/
  [ "$output" = "hello from late" ]
  run hull exec late wget -qO- http://api/
  [ "$output" = "hello from api" ]
  # Gone from the others' /etc/hosts once it stops.
  hull rm -f late
  run hull exec client cat /etc/hosts
  echo "$output"
  refute grep -q cache <<<"$output"
  grep -q api <<<"$output"
  # The default network resolves no names (as docker's default bridge).
  hull run -d --name other --dns 127.0.0.1 busybox sleep 100
  refute hull exec other grep -q client /etc/hosts
}

@test "network: --internal gives no default route and no way out" {
  hull network create --internal sealed
  run hull run --rm --network sealed busybox ip route
  echo "$output"
  [ "$status" -eq 0 ]
  refute grep -q default <<<"$output"
  # The default network's gateway is another subnet: unreachable (no packet is sent).
  run hull run --rm --network sealed busybox ping -c 1 -W 1 "$(gateway_of)"
  echo "$output"
  [ "$status" -ne 0 ]
  hull network inspect sealed | jq -e '.[0].Internal == true'
}

@test "network: two networks are kept apart; a published port is reachable from either" {
  hull network create left
  hull network create right
  web rweb --network right -p 18300:80
  wait_http 127.0.0.1 18300
  hull run -d --name lone --network left busybox sleep 100
  # Straight to the other network's container: dropped (ping's one try fails)...
  run hull exec lone ping -c 1 -W 1 "$(ip_of rweb right)"
  echo "$output"
  [ "$status" -ne 0 ]
  # ...while a neighbour on its own network answers, and the published port works.
  hull run -d --name rpeer --network right busybox sleep 100
  hull exec rpeer ping -c 1 -W 1 "$(ip_of rweb right)"
  run hull exec lone wget -qO- "http://$(gateway_of left):18300/"
  echo "$output"
  [ "$output" = "hello from rweb" ]
}

@test "network: a subnet overlapping a route of the host or another network is refused; create picks a free one" {
  hull network create --subnet 10.231.0.0/16 first
  run quietly hull network create --subnet 10.231.5.0/24 second
  [ "$status" -eq 125 ]
  cat "$BATS_TEST_TMPDIR/err"
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -q "overlaps 10.231.0.0/16 (network first)" "$BATS_TEST_TMPDIR/err"
  # A route of the host: on a veth pair this test makes (and removes).
  ip link add hulltestv0 type veth peer name hulltestv1
  ip addr add 10.232.7.1/24 dev hulltestv0
  ip link set hulltestv0 up
  run quietly hull network create --subnet 10.232.0.0/16 third
  local st=$status
  ip link del hulltestv0
  [ "$st" -eq 125 ]
  cat "$BATS_TEST_TMPDIR/err"
  grep -q "overlaps 10.232.7.0/24 (the route 10.232.7.0/24 dev hulltestv0" "$BATS_TEST_TMPDIR/err"
  run quietly hull network create --subnet 10.233.0.1/16 fourth
  [ "$status" -eq 125 ]
  grep -q "host bits are set" "$BATS_TEST_TMPDIR/err"
  run quietly hull network create first
  [ "$status" -eq 125 ]
  grep -q "already exists" "$BATS_TEST_TMPDIR/err"
  # Without --subnet: a free one, not first's.
  hull network create --opt mtu=1400 fifth
  [ "$(subnet_of fifth)" != "10.231.0.0/16" ]
  run hull run --rm --network fifth busybox cat /sys/class/net/eth0/mtu
  [ "$output" = 1400 ]
  ls "$ENGINE_ROOT/networks" | grep -qv third
}

@test "network: rm is refused while a container uses it (naming it); the last container's rm keeps the network" {
  hull network create keep
  hull run -d --name user1 --network keep busybox sleep 100
  run quietly hull network rm keep
  [ "$status" -eq 125 ]
  cat "$BATS_TEST_TMPDIR/err"
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -q "in use by container user1" "$BATS_TEST_TMPDIR/err"
  hull rm -f user1
  hull network ls | grep -q ' keep '
  local br
  br=$(hull network inspect keep | jq -r '.[0].Options.bridge')
  ip link show "$br" >/dev/null
  hull network rm keep
  refute ip link show "$br" 2>/dev/null
  run quietly hull network rm keep
  [ "$status" -eq 125 ]
  grep -q "no such network: keep" "$BATS_TEST_TMPDIR/err"
}

@test "network: connect gives a running container eth1 on a second network; disconnect takes it away" {
  hull network create second
  hull run -d --name multi busybox sleep 100
  hull network connect --alias m2 second multi
  run hull exec multi ip -4 -o addr show eth1
  echo "$output"
  [[ "$output" == *"inet $(ip_of multi second)/"* ]]
  # Its neighbours on `second` find it by name and alias.
  hull run -d --name peer --network second --dns 127.0.0.1 busybox sleep 100
  hull exec peer ping -c 1 -W 1 m2
  hull network disconnect second multi
  refute hull exec multi ip link show eth1 2>/dev/null
  [ "$(ip_of multi second)" = null ]
  refute hull exec peer grep -q m2 /etc/hosts
}

# --- nothing left ---------------------------------------------------------------------------

@test "network: 20 containers with published ports started and removed in parallel leave no veth, address or rule" {
  hull network create crowd
  local i
  for i in $(seq 1 20); do
    hull run -d --name "c$i" --network crowd -p "$((18100 + i)):80" busybox sleep 100 >/dev/null &
  done
  wait
  [ "$(hull ps -q | wc -l)" -eq 20 ]
  [ "$(ls "$ENGINE_ROOT/networks/crowd/ips" | sort -u | wc -l)" -eq 20 ]
  # Twenty distinct addresses.
  local ips
  ips=$(for i in $(seq 1 20); do ip_of "c$i" crowd; done | sort -u | wc -l)
  [ "$ips" -eq 20 ]
  for i in $(seq 1 20); do hull rm -f "c$i" >/dev/null & done
  wait
  [ -z "$(hull ps -aq)" ]
  # engine_teardown checks addresses, bookings, nft elements and veths.
}

@test "faults: a monitor killed by SIGKILL leaves its port and address to rm; system prune frees what a crash left" {
  hull run -d --name victim -p 18200:80 busybox sleep 100
  local mon
  mon=$(for p in $(hull_processes); do [ "$(cat /proc/$p/comm)" = hull-monitor ] && echo "$p"; done | head -1)
  [ -n "$mon" ]
  kill -9 "$mon"
  run hull ps -a --format json
  echo "$output"
  hull rm victim
  # A `hull run` killed between taking an address and writing its record leaves a claim of
  # a container that does not exist: system prune frees it.
  echo deadbeef >"$ENGINE_ROOT/networks/hull0/ips/$(subnet_of | cut -d/ -f1 | sed 's/\.0$/.250/')"
  run hull system prune
  echo "$output"
  [ "$status" -eq 0 ]
  grep -q "freed 1 stale address" <<<"$output"
}
