// The I/O half of registry_client.h: requests through libcurl, the auth flow, and the
// parallel blob download (one multi handle, this thread), each blob hashed as it streams.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/fd.h"
#include "base/sys.h"
#include "engine/curl_lib.h"
#include "engine/image_digest.h"
#include "engine/registry_auth.h"
#include "engine/registry_client.h"

namespace hull::engine {

namespace {

// Four transfers at once: docker uses three; more gains nothing on one connection's path.
constexpr size_t kParallel = 4;
constexpr size_t kMaxSmallBody = 16 << 20;  // manifests, configs, tokens

struct Easy {
  CURL* h = curl_easy_init();
  curl_slist* headers = nullptr;
  char err[CURL_ERROR_SIZE] = {};
  Easy() = default;
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
  ~Easy() {
    if (h) curl_easy_cleanup(h);
    if (headers) curl_slist_free_all(headers);
  }
  void header(const std::string& line) { headers = curl_slist_append(headers, line.c_str()); }
};

size_t to_string(char* p, size_t size, size_t n, void* ud) {
  auto* s = static_cast<std::string*>(ud);
  if (s->size() + size * n > kMaxSmallBody) return 0;  // not a manifest: stop
  s->append(p, size * n);
  return size * n;
}

size_t on_header(char* p, size_t size, size_t n, void* ud) {
  auto* r = static_cast<RegistryClient::Response*>(ud);
  std::string line(p, size * n);
  if (line.rfind("HTTP/", 0) == 0) *r = {};  // a new response (after a redirect)
  auto colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = line.substr(0, colon);
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string value = line.substr(colon + 1);
  value.erase(0, value.find_first_not_of(" \t"));
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
  if (name == "content-type") r->content_type = value;
  if (name == "docker-content-digest") r->digest = value;
  if (name == "www-authenticate" && r->www_authenticate.empty()) r->www_authenticate = value;
  if (name == "location") r->location = value;
  return size * n;
}

// A transfer that failed below HTTP; the hint names the fix for the usual causes.
base::Error curl_error(CURLcode rc, const std::string& url, const char* err,
                       const std::string& host, const std::string& ca_path,
                       const std::string& method = "GET") {
  base::Error e(method + " " + url + ": " + (err[0] ? err : curl_easy_strerror(rc)));
  if (rc == CURLE_SSL_CONNECT_ERROR && std::strstr(err, "wrong version number")) {
    e.hint("registry " + host + " answered HTTP on an HTTPS request: add it to --insecure");
  } else if (rc == CURLE_PEER_FAILED_VERIFICATION) {
    e.hint("put the registry's CA certificate in " + ca_path);
  } else if (rc == CURLE_COULDNT_CONNECT) {
    e.hint("is the registry " + host + " running?");
  } else if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR) {
    e.hint("the registry " + host + " broke the connection off: is it still running?");
  }
  return e;
}

// The common end of every registry request: our auth header, the answer's body and
// headers into r, the transfer, the status. The caller set the method and its own headers.
base::Result<void> perform(Easy& e, RegistryClient::Response& r, const std::string& url,
                           const std::string& auth_header, const std::string& host,
                           const std::string& ca_path, const std::string& method) {
  if (!auth_header.empty()) e.header(auth_header);
  curl_easy_setopt(e.h, CURLOPT_HTTPHEADER, e.headers);
  curl_easy_setopt(e.h, CURLOPT_WRITEFUNCTION, to_string);
  curl_easy_setopt(e.h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(e.h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e.h, CURLOPT_HEADERDATA, &r);
  CURLcode rc = curl_easy_perform(e.h);
  if (rc != CURLE_OK) return curl_error(rc, url, e.err, host, ca_path, method);
  curl_easy_getinfo(e.h, CURLINFO_RESPONSE_CODE, &r.status);
  return {};
}

base::Result<void> check_status(const RegistryClient::Response& r, const std::string& url,
                                const std::string& what, const std::string& method = "GET") {
  if (r.status >= 200 && r.status < 300) return {};
  std::string body = r.body.substr(0, r.body.find('\n')).substr(0, 200);
  base::Error e(what + ": " + method + " " + url + ": HTTP " + std::to_string(r.status) +
                (body.empty() ? "" : " " + body));
  if (r.status == 401 || r.status == 403) e.hint("log in with --creds USER:PASS");
  return e;
}

}  // namespace

RegistryClient::RegistryClient(const ImageRef& ref, RegistryOptions options)
    : ref_(ref), options_(std::move(options)), host_(registry_host(ref)) {
  ca_path_ = options_.certs_dir + "/" + ref.registry + "/ca.crt";
  has_ca_ = ::access(ca_path_.c_str(), R_OK) == 0;
}

base::Result<std::string> RegistryClient::base_url() {
  if (!base_.empty()) return base_;
  std::string https = registry_base_url(host_, false);
  if (!is_insecure_registry(ref_.registry, options_.insecure)) return base_ = https;
  // Docker's order for a registry allowed plain HTTP: HTTPS first, verified like any other
  // (a TLS registry on localhost gets no pass), and HTTP only when the server does not
  // speak TLS at all, which OpenSSL reports as a connect error ("wrong version number").
  Easy e;
  std::string body;
  std::string url = https + "/v2/";
  setup(e.h, url, e.err);
  curl_easy_setopt(e.h, CURLOPT_WRITEFUNCTION, to_string);
  curl_easy_setopt(e.h, CURLOPT_WRITEDATA, &body);
  CURLcode rc = curl_easy_perform(e.h);
  if (rc == CURLE_OK) return base_ = https;
  if (rc == CURLE_SSL_CONNECT_ERROR) return base_ = registry_base_url(host_, true);
  return curl_error(rc, url, e.err, host_, ca_path_);
}

RegistryClient::~RegistryClient() = default;

void RegistryClient::setup(void* easy, const std::string& url, char* errbuf) const {
  CURL* h = static_cast<CURL*>(easy);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);  // blobs redirect to storage
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "hull/" HULL_VERSION);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled registry fails the pull instead of hanging it: < 1 byte/s for 60 s.
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  if (has_ca_) {
    // CAINFO replaces the default bundle; CAPATH keeps the system's CAs trusted as well.
    curl_easy_setopt(h, CURLOPT_CAINFO, ca_path_.c_str());
    curl_easy_setopt(h, CURLOPT_CAPATH, "/etc/ssl/certs");
  }
}

base::Result<RegistryClient::Response> RegistryClient::get(const std::string& url,
                                                           const std::string& accept,
                                                           bool retry_auth) {
  Easy e;
  Response r;
  setup(e.h, url, e.err);
  if (!accept.empty()) e.header("Accept: " + accept);
  TRY(perform(e, r, url, auth_header_, host_, ca_path_, "GET"));
  if (r.status == 401 && retry_auth && !r.www_authenticate.empty()) {
    TRY(authenticate(r.www_authenticate));
    return get(url, accept, false);
  }
  return r;
}

base::Result<void> RegistryClient::authenticate(const std::string& challenge) {
  ASSIGN_OR_RETURN(AuthChallenge c, parse_challenge(challenge));
  bool creds = !options_.username.empty();
  if (c.scheme == "basic") {
    if (!creds) {
      return base::Error("registry " + host_ + " requires a login").hint("pass --creds USER:PASS");
    }
    auth_header_ =
        "Authorization: Basic " + base64_encode(options_.username + ":" + options_.password);
    return {};
  }
  if (c.scheme != "bearer" || !c.params.count("realm")) {
    return base::Error("registry " + host_ + ": unsupported auth challenge " + challenge);
  }
  std::string url = token_url(c, ref_.repository);
  Easy e;
  std::string body;
  setup(e.h, url, e.err);
  if (creds) {
    curl_easy_setopt(e.h, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(e.h, CURLOPT_PASSWORD, options_.password.c_str());
  }
  curl_easy_setopt(e.h, CURLOPT_WRITEFUNCTION, to_string);
  curl_easy_setopt(e.h, CURLOPT_WRITEDATA, &body);
  CURLcode rc = curl_easy_perform(e.h);
  if (rc != CURLE_OK) return curl_error(rc, url, e.err, host_, ca_path_);
  long status = 0;
  curl_easy_getinfo(e.h, CURLINFO_RESPONSE_CODE, &status);
  Response r{status, body, "", "", "", ""};
  TRY(check_status(r, url, "token for " + ref_.repository));
  try {
    auto j = nlohmann::json::parse(body);
    std::string tok = j.value("token", j.value("access_token", ""));
    if (tok.empty()) return base::Error("token " + url + ": no token in the answer");
    auth_header_ = "Authorization: Bearer " + tok;
  } catch (const nlohmann::json::exception& ex) {
    return base::Error("token " + url + ": " + ex.what());
  }
  return {};
}

base::Result<Fetched> RegistryClient::manifest(const std::string& reference) {
  ASSIGN_OR_RETURN(std::string base, base_url());
  std::string url = manifest_url(base, ref_.repository, reference);
  ASSIGN_OR_RETURN(Response r, get(url, kManifestAccept, true));
  std::string what = "manifest " + ref_.name() + ":" + reference;
  if (reference.find(':') != std::string::npos) what = "manifest " + ref_.name() + "@" + reference;
  if (r.status == 404) return base::Error(what + ": not found in registry " + host_);
  TRY(check_status(r, url, what));
  return Fetched{std::move(r.body), std::move(r.content_type), std::move(r.digest)};
}

base::Result<std::string> RegistryClient::small_blob(const Descriptor& d) {
  ASSIGN_OR_RETURN(std::string base, base_url());
  std::string url = blob_url(base, ref_.repository, d.digest);
  ASSIGN_OR_RETURN(Response r, get(url, "", true));
  TRY(check_status(r, url, "blob " + d.digest));
  if (static_cast<int64_t>(r.body.size()) != d.size) {
    return base::Error("blob " + d.digest + ": " + std::to_string(r.body.size()) +
                       " bytes, the manifest says " + std::to_string(d.size));
  }
  if (std::string got = sha256_digest(r.body); got != d.digest) {
    return base::Error("blob " + d.digest + ": content has digest " + got);
  }
  return std::move(r.body);
}

namespace {

// One blob in flight: its file, its hash so far and its byte count.
struct Transfer {
  const BlobJob* job = nullptr;
  size_t index = 0;
  Easy easy;
  base::Fd fd;
  Sha256Stream sha;
  int64_t bytes = 0;
  std::string failure;  // why the write callback stopped the transfer
  const BlobProgress* progress = nullptr;
};

size_t to_blob(char* p, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  size_t len = size * n;
  if (t->bytes + static_cast<int64_t>(len) > t->job->size) {
    t->failure = "the registry sent more than the " + std::to_string(t->job->size) +
                 " bytes the manifest says";
    return 0;
  }
  if (auto w = base::sys::write_all(t->fd.get(), std::string(p, len)); !w) {
    t->failure = w.error().message();
    return 0;
  }
  t->sha.update(p, len);
  t->bytes += static_cast<int64_t>(len);
  if (*t->progress) (*t->progress)(t->index, t->bytes, false);
  return len;
}

}  // namespace

base::Result<void> RegistryClient::fetch_blobs(const std::vector<BlobJob>& jobs,
                                               const BlobProgress& progress,
                                               const BlobDone& done) {
  ASSIGN_OR_RETURN(std::string base, base_url());
  CURLM* multi = curl_multi_init();
  std::vector<std::unique_ptr<Transfer>> active;
  size_t next = 0;
  auto start = [&](size_t i) -> base::Result<void> {
    auto t = std::make_unique<Transfer>();
    t->job = &jobs[i];
    t->index = i;
    t->progress = &progress;
    ASSIGN_OR_RETURN(t->fd, base::sys::open(jobs[i].path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                                            0644));
    std::string url = blob_url(base, ref_.repository, jobs[i].digest);
    setup(t->easy.h, url, t->easy.err);
    if (!auth_header_.empty()) t->easy.header(auth_header_);
    curl_easy_setopt(t->easy.h, CURLOPT_HTTPHEADER, t->easy.headers);
    curl_easy_setopt(t->easy.h, CURLOPT_FAILONERROR, 1L);  // an error page is not the blob
    curl_easy_setopt(t->easy.h, CURLOPT_WRITEFUNCTION, to_blob);
    curl_easy_setopt(t->easy.h, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(t->easy.h, CURLOPT_PRIVATE, t.get());
    curl_multi_add_handle(multi, t->easy.h);
    active.push_back(std::move(t));
    return {};
  };
  // Checks a finished transfer; the file of a failed one is removed.
  auto finish = [&](Transfer& t, CURLcode rc) -> base::Result<void> {
    const BlobJob& j = *t.job;
    base::Result<void> r;
    std::string url = blob_url(base, ref_.repository, j.digest);
    if (!t.failure.empty()) {
      r = base::Error(j.name + ": " + t.failure);
    } else if (rc != CURLE_OK) {
      r = std::move(curl_error(rc, url, t.easy.err, host_, ca_path_)).context(j.name);
    } else if (t.bytes != j.size) {
      r = base::Error(j.name + ": got " + std::to_string(t.bytes) + " bytes, the manifest says " +
                      std::to_string(j.size));
    } else if (std::string got = t.sha.digest(); got != j.digest) {
      r = base::Error(j.name + ": content has digest " + got + ": the registry sent a " +
                      "corrupt or tampered blob");
    }
    if (!r) ::unlink(j.path.c_str());
    return r;
  };

  base::Result<void> result;
  while (result && next < jobs.size() && active.size() < kParallel) result = start(next++);
  while (result && !active.empty()) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(multi, &running);
    if (mc != CURLM_OK) {
      result = base::Error(std::string("curl_multi_perform: ") + curl_multi_strerror(mc));
      break;
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      CURLcode rc = msg->data.result;
      curl_multi_remove_handle(multi, t->easy.h);
      t->fd = base::Fd();
      result = finish(*t, rc);
      size_t index = t->index;
      int64_t bytes = t->bytes;
      std::erase_if(active, [t](const auto& p) { return p.get() == t; });
      if (!result) break;
      if (progress) progress(index, bytes, true);
      result = done(index);
      if (!result) break;
      if (next < jobs.size()) result = start(next++);
      if (!result) break;
    }
    if (result && options_.cancel && *options_.cancel) result = base::Error("interrupted");
    // Short waits: a signal does not always cut the poll short, and cancel is checked here.
    if (result && !active.empty()) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  for (auto& t : active) {  // an error stopped the others: their partial files go
    curl_multi_remove_handle(multi, t->easy.h);
    ::unlink(t->job->path.c_str());
  }
  active.clear();
  curl_multi_cleanup(multi);
  return result;
}

// ---- push ----

namespace {

// A request body on its way: how much of the payload curl has read.
struct Cursor {
  const RegistryClient::Payload* p;
  int64_t at = 0;
};

size_t from_payload(char* buf, size_t size, size_t n, void* ud) {
  auto* c = static_cast<Cursor*>(ud);
  const RegistryClient::Payload& p = *c->p;
  size_t len =
      static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(size * n), p.len - c->at));
  if (p.fd >= 0) {
    ssize_t got = ::pread(p.fd, buf, len, p.off + c->at);
    if (got < 0) return CURL_READFUNC_ABORT;
    len = static_cast<size_t>(got);
  } else if (len > 0) {
    std::memcpy(buf, p.body->data() + c->at, len);
  }
  c->at += static_cast<int64_t>(len);
  return len;
}

// An upload's Location may be relative to the registry.
std::string absolute(const std::string& base, const std::string& location) {
  return location.rfind('/', 0) == 0 ? base + location : location;
}

}  // namespace

base::Result<RegistryClient::Response> RegistryClient::send(const std::string& method,
                                                            const std::string& url,
                                                            const std::vector<std::string>& headers,
                                                            const Payload& payload,
                                                            bool retry_auth) {
  Easy e;
  Response r;
  Cursor cursor{&payload};  // a retry after the auth challenge sends it again from its start
  setup(e.h, url, e.err);
  curl_easy_setopt(e.h, CURLOPT_FOLLOWLOCATION, 0L);  // a Location here names the upload
  if (method == "HEAD") {
    curl_easy_setopt(e.h, CURLOPT_NOBODY, 1L);
  } else if (method == "POST") {
    curl_easy_setopt(e.h, CURLOPT_POST, 1L);
    curl_easy_setopt(e.h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(e.h, CURLOPT_POSTFIELDSIZE, 0L);
  } else {  // PUT, PATCH
    curl_easy_setopt(e.h, CURLOPT_UPLOAD, 1L);
    if (method != "PUT") curl_easy_setopt(e.h, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(e.h, CURLOPT_READFUNCTION, from_payload);
    curl_easy_setopt(e.h, CURLOPT_READDATA, &cursor);
    curl_easy_setopt(e.h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(payload.len));
  }
  for (const auto& h : headers) e.header(h);
  TRY(perform(e, r, url, auth_header_, host_, ca_path_, method));
  if (r.status == 401 && retry_auth && !r.www_authenticate.empty()) {
    TRY(authenticate(r.www_authenticate));
    return send(method, url, headers, payload, false);
  }
  return r;
}

base::Result<bool> RegistryClient::has_blob(const std::string& digest) {
  ASSIGN_OR_RETURN(std::string base, base_url());
  std::string url = blob_url(base, ref_.repository, digest);
  ASSIGN_OR_RETURN(Response r, send("HEAD", url, {}, {}, true));
  if (r.status == 404) return false;
  TRY(check_status(r, url, "blob " + digest, "HEAD"));
  return true;
}

base::Result<RegistryClient::UploadStart> RegistryClient::start_upload(const std::string& digest,
                                                                       const std::string& from) {
  std::string what = "blob " + digest;
  ASSIGN_OR_RETURN(std::string base, base_url());
  std::string url = base + "/v2/" + ref_.repository + "/blobs/uploads/";
  if (!from.empty()) url += "?mount=" + digest + "&from=" + from;
  ASSIGN_OR_RETURN(Response r, send("POST", url, {}, {}, true));
  TRY(check_status(r, url, what, "POST"));
  if (!from.empty() && r.status == 201) return UploadStart{true, ""};
  if (r.location.empty()) {
    return base::Error(what + ": POST " + url + ": no Location in the answer");
  }
  return UploadStart{false, absolute(base, r.location)};
}

base::Result<void> RegistryClient::upload_blob(const std::string& location,
                                               const std::string& digest, const std::string& path,
                                               int64_t chunk) {
  std::string what = "blob " + digest;
  ASSIGN_OR_RETURN(std::string base, base_url());
  ASSIGN_OR_RETURN(base::Fd fd, base::sys::open(path, O_RDONLY | O_CLOEXEC, 0));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return base::sys_error("fstat " + path, errno);
  const std::string octets = "Content-Type: application/octet-stream";
  std::string at = location;
  int64_t off = 0;
  // Chunked: each PATCH appends a range and answers with the upload's next Location.
  while (st.st_size > chunk && off < st.st_size) {
    int64_t len = std::min<int64_t>(chunk, st.st_size - off);
    std::string range =
        "Content-Range: " + std::to_string(off) + "-" + std::to_string(off + len - 1);
    ASSIGN_OR_RETURN(Response r,
                     send("PATCH", at, {octets, range}, {nullptr, fd.get(), off, len}, true));
    TRY(check_status(r, at, what, "PATCH"));
    if (r.location.empty()) {
      return base::Error(what + ": PATCH " + at + ": no Location in the answer");
    }
    at = absolute(base, r.location);
    off += len;
  }
  // The closing PUT names the digest and carries what is left: all of a small blob.
  std::string hex = digest.substr(digest.find(':') + 1);
  at += (at.find('?') == std::string::npos ? "?" : "&") + std::string("digest=sha256%3A") + hex;
  ASSIGN_OR_RETURN(Response r,
                   send("PUT", at, {octets}, {nullptr, fd.get(), off, st.st_size - off}, true));
  return check_status(r, at, what, "PUT");
}

base::Result<void> RegistryClient::put_manifest(const std::string& tag, const std::string& body,
                                                const std::string& media_type) {
  ASSIGN_OR_RETURN(std::string base, base_url());
  std::string url = manifest_url(base, ref_.repository, tag);
  Payload p{&body, -1, 0, static_cast<int64_t>(body.size())};
  ASSIGN_OR_RETURN(Response r, send("PUT", url, {"Content-Type: " + media_type}, p, true));
  return check_status(r, url, "manifest " + ref_.name() + ":" + tag, "PUT");
}

}  // namespace hull::engine
