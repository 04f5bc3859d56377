// A client of the Registry HTTP API v2 (distribution spec) over libcurl: manifests and blobs
// of one repository, with anonymous, basic and bearer-token auth (the WWW-Authenticate
// challenge flow), HTTPS with the system's CAs plus <certs dir>/<host>/ca.crt, and plain
// HTTP only for localhost and registries named insecure (those are tried with HTTPS first, as
// docker does, so a TLS registry on localhost is verified). The parsing is pure and
// unit-tested; the client does the I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/image_ref.h"

namespace hull::engine {

// ---- pure ----

// `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="…"`.
struct AuthChallenge {
  std::string scheme;                         // lower case: "bearer", "basic"
  std::map<std::string, std::string> params;  // keys lower case
};
base::Result<AuthChallenge> parse_challenge(const std::string& header);
// realm?service=…&scope=…[&scope=…] for a bearer challenge (one parameter per scope of the
// challenge's space-separated list); scope defaults to pulling `repository`.
std::string token_url(const AuthChallenge& c, const std::string& repository);

// docker.io is served by registry-1.docker.io.
std::string registry_host(const ImageRef& ref);
// localhost, 127.0.0.1 and ::1 (any port) and the hosts in `insecure` ("host[:port]").
bool is_insecure_registry(const std::string& host, const std::vector<std::string>& insecure);
// "https://host" or "http://host".
std::string registry_base_url(const std::string& host, bool plain_http);
// base/v2/<repository>/manifests/<digest or tag>.
std::string manifest_url(const std::string& base, const ImageRef& ref);
std::string manifest_url(const std::string& base, const std::string& repository,
                         const std::string& reference);
std::string blob_url(const std::string& base, const std::string& repository,
                     const std::string& digest);

struct Platform {
  std::string os = "linux";
  std::string architecture;  // "amd64", "arm64"
  std::string variant;       // "" or "v8", "v7"
  std::string str() const;   // "linux/arm64/v8"
};
// "os/arch[/variant]"; "" gives this machine's platform.
base::Result<Platform> parse_platform(const std::string& text);

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  Platform platform;  // index entries only
};

// A Docker schema2 manifest or manifest list, an OCI manifest or index.
struct Manifest {
  bool is_index = false;
  std::vector<Descriptor> manifests;  // index
  Descriptor config;                  // image manifest
  std::vector<Descriptor> layers;     // image manifest, bottom first
};
// `where` names the manifest in errors (a reference or digest).
base::Result<Manifest> parse_manifest(const std::string& text, const std::string& where);
// The entry of an index for the platform; a variant is compared only when asked for.
base::Result<Descriptor> select_platform(const Manifest& index, const Platform& want,
                                         const std::string& where);

// The Accept header of a manifest request: every kind of manifest parse_manifest reads.
extern const char* const kManifestAccept;

// ---- I/O ----

// Where per-registry CA certificates are looked for unless --certs-dir or HULL_CERTS_DIR says.
inline constexpr const char* kCertsDir = "/etc/hull/certs.d";

struct RegistryOptions {
  std::vector<std::string> insecure;  // hosts allowed plain HTTP
  std::string username, password;     // "" for anonymous
  std::string certs_dir = kCertsDir;  // <certs_dir>/<host[:port]>/ca.crt
  // Set (by a signal handler) to stop the transfers; the pull then fails and cleans up.
  const volatile int* cancel = nullptr;
};

struct Fetched {
  std::string body;
  std::string content_type;
  std::string digest;  // Docker-Content-Digest, when the registry sent one
};

// One blob to download: written to `path`, hashed and counted as it streams.
struct BlobJob {
  std::string digest;
  int64_t size = 0;
  std::string path;
  std::string name;  // in errors: "layer sha256:…"
};

// A transfer's bytes so far (progress), or done.
using BlobProgress = std::function<void(size_t job, int64_t bytes, bool done)>;
// Called as each blob completes verified; an error stops every transfer.
using BlobDone = std::function<base::Result<void>(size_t job)>;

class RegistryClient {
 public:
  RegistryClient(const ImageRef& ref, RegistryOptions options);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  const std::string& host() const { return host_; }

  struct Response {
    long status = 0;
    std::string body, content_type, digest, www_authenticate;
    std::string location;  // of an upload session (push)
  };

  // A manifest by tag or digest (authenticating on the first 401).
  base::Result<Fetched> manifest(const std::string& reference);
  // A small blob (a config) into memory, verified against digest and size.
  base::Result<std::string> small_blob(const Descriptor& d);
  // Downloads the jobs in parallel (libcurl multi, this thread); every blob verified
  // against its digest and size while streaming; a partial or wrong file is removed.
  base::Result<void> fetch_blobs(const std::vector<BlobJob>& jobs, const BlobProgress& progress,
                                 const BlobDone& done);

  // ---- push ----
  // Whether the repository has the blob (HEAD).
  base::Result<bool> has_blob(const std::string& digest);
  struct UploadStart {
    bool mounted = false;
    std::string location;  // of the upload, when not mounted
  };
  // POST opens an upload; with `from` (a repository of this registry that has the blob) it
  // asks for a cross-repository mount first (?mount=&from=), which a registry may refuse by
  // opening an ordinary upload instead.
  base::Result<UploadStart> start_upload(const std::string& digest, const std::string& from);
  // The file as the blob, into an opened upload: one PUT of the whole file; a file larger
  // than `chunk` goes as PATCHes of `chunk` bytes (Content-Range) and a closing PUT.
  base::Result<void> upload_blob(const std::string& location, const std::string& digest,
                                 const std::string& path, int64_t chunk);
  // PUT of a manifest under a tag, with its media type.
  base::Result<void> put_manifest(const std::string& tag, const std::string& body,
                                  const std::string& media_type);

  // What a PUT or PATCH sends: `len` bytes of `body`, or of the file `fd` from `off`.
  struct Payload {
    const std::string* body = nullptr;
    int fd = -1;
    int64_t off = 0, len = 0;
  };

 private:
  // Any method, with extra header lines ("Content-Type: …").
  base::Result<Response> send(const std::string& method, const std::string& url,
                              const std::vector<std::string>& headers, const Payload& payload,
                              bool retry_auth);
  base::Result<Response> get(const std::string& url, const std::string& accept, bool retry_auth);
  base::Result<void> authenticate(const std::string& challenge);
  // "https://host", or "http://host" for an insecure registry that does not speak TLS:
  // decided by the first request (GET /v2/) and kept.
  base::Result<std::string> base_url();
  void setup(void* easy, const std::string& url, char* errbuf) const;

  ImageRef ref_;
  RegistryOptions options_;
  std::string host_, base_;  // base_: "" until base_url() decided
  std::string auth_header_;  // "Authorization: …" once authenticated
  std::string ca_path_;      // <certs dir>/<host>/ca.crt
  bool has_ca_ = false;      // ca_path_ exists
};

}  // namespace hull::engine
