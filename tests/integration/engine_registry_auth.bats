#!/usr/bin/env bats
# Registries that want more than plain HTTP: TLS with a CA of the test's own (made with
# openssl, certificate for IP 127.0.0.1), and bearer tokens from a token server (a small
# python3 one below, signing RS256 JWTs with openssl; docker-registry checks them against the
# certificate through the token's x5c header). Each test pulls into an empty store of its own.

load engine_helpers
load registry_helpers

# The token server: GET /token?service=…&scope=repository:NAME:ACTIONS with Basic user:pass
# answers {"token": JWT} granting ACTIONS on NAME; anything else 401. Logs each scope.
write_token_server() {
  mkdir -p "$BATS_FILE_TMPDIR/tokensrv"
  cat >"$BATS_FILE_TMPDIR/tokensrv/server.py" <<'PY'
import base64, http.server, json, os, subprocess, sys, time, urllib.parse
key, cert, creds, port_file = sys.argv[1:5]
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                     capture_output=True, check=True).stdout

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

class Token(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if self.headers.get("Authorization") != "Basic " + base64.b64encode(creds.encode()).decode():
            self.send_response(401)
            self.end_headers()
            return
        access = []
        for scope in q.get("scope", []):
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        print("scopes", " ".join(q.get("scope", [])), flush=True)
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        claims = {"iss": "hull-token-issuer", "sub": creds.split(":")[0],
                  "aud": q["service"][0], "exp": now + 600, "nbf": now - 60, "iat": now,
                  "jti": os.urandom(8).hex(), "access": access}
        signed = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                             input=signed.encode(), capture_output=True, check=True).stdout
        body = json.dumps({"token": signed + "." + b64url(sig)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

srv = http.server.HTTPServer(("127.0.0.1", 0), Token)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
PY
}

setup_file() {
  engine_setup_file
  ensure_busybox
  local tmp=$BATS_FILE_TMPDIR pki=$BATS_FILE_TMPDIR/pki
  hull save -o "$tmp/busybox.tar" busybox
  mkdir -p "$pki"
  # A CA, and the registry's certificate from it for IP 127.0.0.1.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=hull-test-ca -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
    -keyout "$pki/server.key" -out "$pki/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' >"$pki/san"
  openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 2 -extfile "$pki/san" -out "$pki/server.crt" 2>/dev/null
  export TLS_REG=127.0.0.1:$(start_registry tls --tls "$pki/server.crt" "$pki/server.key")
  skopeo copy -q --dest-tls-verify=false "docker-archive:$tmp/busybox.tar" \
    "docker://$TLS_REG/busybox:1"

  # The token server's signing key and certificate (RSA: RS256 is openssl dgst's signature).
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=hull-token-issuer \
    -keyout "$pki/token.key" -out "$pki/token.crt" 2>/dev/null
  write_token_server
  local tport
  tport=$(start_python tokensrv "$pki/token.key" "$pki/token.crt" user:pass)
  export TOKEN_REG=127.0.0.1:$(start_registry tokenreg \
    --token "http://127.0.0.1:$tport/token" "$pki/token.crt")
  skopeo copy -q --dest-tls-verify=false --dest-creds user:pass \
    "docker-archive:$tmp/busybox.tar" "docker://$TOKEN_REG/busybox:1"
}

teardown() { registry_teardown; }

teardown_file() {
  stop_registries tls tokenreg tokensrv
  rm -rf "$BATS_FILE_TMPDIR/pki"
  engine_teardown_file
}

setup() {
  export ENGINE_ROOT=$BATS_TEST_TMPDIR/root
  mkdir -p "$ENGINE_ROOT"
  hull_setup
}

# The certs dir the tests point hull at: <dir>/127.0.0.1:PORT/ca.crt.
certs_dir() {
  mkdir -p "$BATS_TEST_TMPDIR/certs.d/$TLS_REG"
  cp "$BATS_FILE_TMPDIR/pki/ca.crt" "$BATS_TEST_TMPDIR/certs.d/$TLS_REG/ca.crt"
  echo "$BATS_TEST_TMPDIR/certs.d"
}

@test "tls: a registry with a certificate of an unknown CA is refused, naming where the CA goes" {
  run hull pull "$TLS_REG/busybox:1"
  [ "$status" -eq 125 ]
  grep -q "^hull: pull $TLS_REG/busybox:1: GET https://$TLS_REG/v2/: SSL certificate problem: unable to get local issuer certificate" <<<"$output" ||
    { echo "$output"; return 1; }
  grep -q "put the registry's CA certificate in /etc/hull/certs.d/$TLS_REG/ca.crt" <<<"$output"
  # Not downgraded to plain HTTP although 127.0.0.1 may use it.
  ! grep -q "http://" <<<"$output"
  run hull images -q
  [ -z "$output" ]
}

@test "tls: with the CA in --certs-dir pull works; HULL_CERTS_DIR for hull run's pull and push" {
  local certs
  certs=$(certs_dir)
  run hull pull --certs-dir "$certs" "$TLS_REG/busybox:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  grep -qx "Status: Downloaded newer image for $TLS_REG/busybox:1" <<<"$output"
  hull rmi "$TLS_REG/busybox:1" >/dev/null
  HULL_CERTS_DIR=$certs run hull run --rm "$TLS_REG/busybox:1" echo hi
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [ "$output" = hi ]
  hull tag "$TLS_REG/busybox:1" "$TLS_REG/again:1"
  HULL_CERTS_DIR=$certs run hull push "$TLS_REG/again:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  grep -qE "^1: digest: sha256:[0-9a-f]{64} size: [0-9]+$" <<<"$output"
  # A wrong CA is refused like none.
  mkdir -p "$BATS_TEST_TMPDIR/wrong/$TLS_REG"
  cp "$BATS_FILE_TMPDIR/pki/token.crt" "$BATS_TEST_TMPDIR/wrong/$TLS_REG/ca.crt"
  hull rmi "$TLS_REG/busybox:1" >/dev/null
  run hull pull --certs-dir "$BATS_TEST_TMPDIR/wrong" "$TLS_REG/busybox:1"
  [ "$status" -eq 125 ]
  grep -q "SSL certificate problem" <<<"$output"
}

@test "token: the WWW-Authenticate flow: a token for the pull's scope, and for push" {
  run hull pull "$TOKEN_REG/busybox:1"
  [ "$status" -eq 125 ]
  grep -q "token for busybox: GET http://127.0.0.1:[0-9]*/token?service=hull-registry&scope=repository%3Abusybox%3Apull: HTTP 401" <<<"$output" ||
    { echo "$output"; return 1; }
  run hull pull --creds user:pass "$TOKEN_REG/busybox:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  grep -qx "scopes repository:busybox:pull" "$BATS_FILE_TMPDIR/tokensrv/log"
  run hull run --rm "$TOKEN_REG/busybox:1" echo hi
  [ "$output" = hi ] || { echo "$output"; return 1; }
  hull tag "$TOKEN_REG/busybox:1" "$TOKEN_REG/pushed:1"
  run hull push --creds user:pass "$TOKEN_REG/pushed:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  # Its blobs are mounted from busybox, the image's other repository there: the token asked
  # for covers both (scopes and actions in the registry's order, which varies).
  grep -q ': Mounted from busybox$' <<<"$output"
  grep -E '^scopes .*repository:pushed:(pull,push|push,pull)' "$BATS_FILE_TMPDIR/tokensrv/log" |
    grep -q ' repository:busybox:pull'
  run skopeo inspect --tls-verify=false --creds user:pass "docker://$TOKEN_REG/pushed:1"
  [ "$status" -eq 0 ]
}
