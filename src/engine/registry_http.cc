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

base::Error curl_error(CURLcode rc, const std::string& url, const char* err,
                       const std::string& host, const std::string& method = "GET") {
  base::Error e(method + " " + url + ": " + (err[0] ? err : curl_easy_strerror(rc)));
  if (rc == CURLE_SSL_CONNECT_ERROR && std::strstr(err, "wrong version number")) {
    e.hint("registry " + host + " answered HTTP on an HTTPS request: add it to --insecure");
  } else if (rc == CURLE_PEER_FAILED_VERIFICATION) {
    e.hint("put the registry's CA certificate in /etc/hull/certs.d/" + host + "/ca.crt");
  } else if (rc == CURLE_COULDNT_CONNECT) {
    e.hint("is the registry " + host + " running?");
  }
  return e;
}

// The common end of every registry request: our auth header, the answer's body and
// headers into r, the transfer, the status. The caller set the method and its own headers.
base::Result<void> perform(Easy& e, RegistryClient::Response& r, const std::string& url,
                           const std::string& auth_header, const std::string& host,
                           const std::string& method) {
  if (!auth_header.empty()) e.header(auth_header);
  curl_easy_setopt(e.h, CURLOPT_HTTPHEADER, e.headers);
  curl_easy_setopt(e.h, CURLOPT_WRITEFUNCTION, to_string);
  curl_easy_setopt(e.h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(e.h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e.h, CURLOPT_HEADERDATA, &r);
  CURLcode rc = curl_easy_perform(e.h);
  if (rc != CURLE_OK) return curl_error(rc, url, e.err, host, method);
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
  base_ = registry_base_url(host_, is_insecure_registry(ref.registry, options_.insecure));
  std::string ca = options_.certs_dir + "/" + ref.registry + "/ca.crt";
  if (::access(ca.c_str(), R_OK) == 0) ca_file_ = ca;
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
  if (!ca_file_.empty()) {
    // CAINFO replaces the default bundle; CAPATH keeps the system's CAs trusted as well.
    curl_easy_setopt(h, CURLOPT_CAINFO, ca_file_.c_str());
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
  TRY(perform(e, r, url, auth_header_, host_, "GET"));
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
  if (rc != CURLE_OK) return curl_error(rc, url, e.err, host_);
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
  std::string url = manifest_url(base_, ref_.repository, reference);
  ASSIGN_OR_RETURN(Response r, get(url, kManifestAccept, true));
  std::string what = "manifest " + ref_.name() + ":" + reference;
  if (reference.find(':') != std::string::npos) what = "manifest " + ref_.name() + "@" + reference;
  if (r.status == 404) return base::Error(what + ": not found in registry " + host_);
  TRY(check_status(r, url, what));
  return Fetched{std::move(r.body), std::move(r.content_type), std::move(r.digest)};
}

base::Result<std::string> RegistryClient::small_blob(const Descriptor& d) {
  std::string url = blob_url(base_, ref_.repository, d.digest);
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
    std::string url = blob_url(base_, ref_.repository, jobs[i].digest);
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
    std::string url = blob_url(base_, ref_.repository, j.digest);
    if (!t.failure.empty()) {
      r = base::Error(j.name + ": " + t.failure);
    } else if (rc != CURLE_OK) {
      r = std::move(curl_error(rc, url, t.easy.err, host_)).context(j.name);
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

// What a PUT sends: a file read from its fd, or a string.
struct Upload {
  int fd = -1;
  const std::string* body = nullptr;
  size_t off = 0;
};

size_t from_upload(char* p, size_t size, size_t n, void* ud) {
  auto* u = static_cast<Upload*>(ud);
  if (u->fd >= 0) {
    ssize_t got = ::read(u->fd, p, size * n);
    return got < 0 ? CURL_READFUNC_ABORT : static_cast<size_t>(got);
  }
  size_t len = std::min(size * n, u->body->size() - u->off);
  std::memcpy(p, u->body->data() + u->off, len);
  u->off += len;
  return len;
}

}  // namespace

base::Result<RegistryClient::Response> RegistryClient::send(const std::string& method,
                                                            const std::string& url,
                                                            const std::string& content_type,
                                                            int upload, const std::string* body,
                                                            bool retry_auth) {
  Easy e;
  Response r;
  Upload u{upload, body, 0};
  // A retry after the auth challenge sends the file again from its start.
  if (upload >= 0 && ::lseek(upload, 0, SEEK_SET) < 0) {
    return base::sys_error("lseek " + url, errno);
  }
  setup(e.h, url, e.err);
  curl_easy_setopt(e.h, CURLOPT_FOLLOWLOCATION, 0L);  // a Location here names the upload
  if (method == "HEAD") {
    curl_easy_setopt(e.h, CURLOPT_NOBODY, 1L);
  } else if (method == "POST") {
    curl_easy_setopt(e.h, CURLOPT_POST, 1L);
    curl_easy_setopt(e.h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(e.h, CURLOPT_POSTFIELDSIZE, 0L);
  } else if (method == "PUT") {
    curl_off_t size = 0;
    if (upload >= 0) {
      struct stat st;
      if (::fstat(upload, &st) != 0) return base::sys_error("fstat " + url, errno);
      size = st.st_size;
    } else if (body) {
      size = static_cast<curl_off_t>(body->size());
    }
    curl_easy_setopt(e.h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e.h, CURLOPT_READFUNCTION, from_upload);
    curl_easy_setopt(e.h, CURLOPT_READDATA, &u);
    curl_easy_setopt(e.h, CURLOPT_INFILESIZE_LARGE, size);
  }
  if (!content_type.empty()) e.header("Content-Type: " + content_type);
  TRY(perform(e, r, url, auth_header_, host_, method));
  if (r.status == 401 && retry_auth && !r.www_authenticate.empty()) {
    TRY(authenticate(r.www_authenticate));
    return send(method, url, content_type, upload, body, false);
  }
  return r;
}

base::Result<bool> RegistryClient::has_blob(const std::string& digest) {
  std::string url = blob_url(base_, ref_.repository, digest);
  ASSIGN_OR_RETURN(Response r, send("HEAD", url, "", -1, nullptr, true));
  if (r.status == 404) return false;
  TRY(check_status(r, url, "blob " + digest, "HEAD"));
  return true;
}

base::Result<void> RegistryClient::upload_blob(const std::string& digest, const std::string& path) {
  std::string what = "blob " + digest;
  std::string url = base_ + "/v2/" + ref_.repository + "/blobs/uploads/";
  ASSIGN_OR_RETURN(Response r, send("POST", url, "", -1, nullptr, true));
  TRY(check_status(r, url, what, "POST"));
  if (r.location.empty()) {
    return base::Error(what + ": POST " + url + ": no Location in the answer");
  }
  std::string put = r.location;
  if (put.rfind("/", 0) == 0) put = base_ + put;  // relative to the registry
  std::string hex = digest.substr(digest.find(':') + 1);
  put += (put.find('?') == std::string::npos ? "?" : "&") + std::string("digest=sha256%3A") + hex;
  ASSIGN_OR_RETURN(base::Fd fd, base::sys::open(path, O_RDONLY | O_CLOEXEC, 0));
  ASSIGN_OR_RETURN(r, send("PUT", put, "application/octet-stream", fd.get(), nullptr, true));
  return check_status(r, put, what, "PUT");
}

base::Result<void> RegistryClient::put_manifest(const std::string& tag, const std::string& body,
                                                const std::string& media_type) {
  std::string url = manifest_url(base_, ref_.repository, tag);
  ASSIGN_OR_RETURN(Response r, send("PUT", url, media_type, -1, &body, true));
  return check_status(r, url, "manifest " + ref_.name() + ":" + tag, "PUT");
}

}  // namespace hull::engine
