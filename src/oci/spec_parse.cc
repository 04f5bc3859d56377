// config.json -> oci::Spec: the document, process, root, mounts and hooks sections, the JSON
// error position, and load_bundle(). The linux section is in spec_parse_linux.cc and the
// rules that span sections in spec_validate.cc.
#include <sys/resource.h>

#include <cerrno>
#include <filesystem>
#include <set>
#include <system_error>

#include "base/sys.h"
#include "oci/capabilities.h"
#include "oci/spec.h"
#include "oci/spec_internal.h"

namespace hull::oci {

namespace {

using detail::Node;

struct RlimitName {
  const char* name;
  int resource;
};

constexpr RlimitName kRlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

std::vector<int> parse_cap_list(const Node& n) {
  std::vector<int> caps;
  n.each([&](const Node& e) {
    std::string name = e.as_string();
    auto cap = capability_from_name(name);
    if (!cap) e.fail("unknown capability " + detail::quote(name));
    caps.push_back(*cap);
  });
  return caps;
}

Capabilities parse_capabilities(const Node& n) {
  Capabilities c;
  c.bounding = parse_cap_list(n.get("bounding"));
  c.effective = parse_cap_list(n.get("effective"));
  c.inheritable = parse_cap_list(n.get("inheritable"));
  c.permitted = parse_cap_list(n.get("permitted"));
  c.ambient = parse_cap_list(n.get("ambient"));
  return c;
}

std::vector<Rlimit> parse_rlimits(const Node& n) {
  std::vector<Rlimit> out;
  std::set<int> seen;
  n.each([&](const Node& e) {
    Rlimit r;
    Node type = e.required("type");
    r.type = type.as_string();
    const RlimitName* found = nullptr;
    for (const auto& known : kRlimits) {
      if (r.type == known.name) found = &known;
    }
    if (found == nullptr) type.fail("unknown rlimit " + detail::quote(r.type));
    // The spec: a type given twice is an error, not "last one wins".
    if (!seen.insert(found->resource).second) {
      type.fail("duplicate rlimit " + detail::quote(r.type));
    }
    r.resource = found->resource;
    r.soft = e.required("soft").as_u64();
    r.hard = e.required("hard").as_u64();
    if (r.soft > r.hard) {
      e.fail("soft limit " + std::to_string(r.soft) + " is above hard limit " +
             std::to_string(r.hard));
    }
    out.push_back(std::move(r));
  });
  return out;
}

User parse_user(const Node& n) {
  User u;
  u.uid = n.required("uid").as_u32();
  u.gid = n.required("gid").as_u32();
  u.umask = n.opt_u32("umask");
  n.get("additionalGids").each([&](const Node& e) { u.additional_gids.push_back(e.as_u32()); });
  return u;
}

Process parse_process(const Node& n) {
  Process p;
  p.terminal = n.bool_or("terminal", false);
  if (Node cs = n.get("consoleSize"); cs.present()) {
    p.console_size = ConsoleSize{cs.required("height").as_u32(), cs.required("width").as_u32()};
  }
  if (Node u = n.get("user"); u.present()) p.user = parse_user(u);
  Node args = n.required("args");
  p.args = args.as_strings();
  if (p.args.empty()) args.fail("must not be empty");
  n.get("env").each([&](const Node& e) {
    std::string entry = e.as_string();
    detail::require_env_entry(e, entry);
    p.env.push_back(std::move(entry));
  });
  if (Node cwd = n.get("cwd"); cwd.present()) {
    p.cwd = cwd.as_string();
    detail::require_absolute(cwd, p.cwd);
  }
  if (Node caps = n.get("capabilities"); caps.present()) p.capabilities = parse_capabilities(caps);
  p.rlimits = parse_rlimits(n.get("rlimits"));
  p.no_new_privileges = n.bool_or("noNewPrivileges", false);
  if (Node oom = n.get("oomScoreAdj"); oom.present()) {
    int v = oom.as_int();
    if (v < -1000 || v > 1000) oom.fail("must be between -1000 and 1000");
    p.oom_score_adj = v;
  }
  p.apparmor_profile = n.string_or("apparmorProfile");
  p.selinux_label = n.string_or("selinuxLabel");
  return p;
}

Root parse_root(const Node& n) {
  Root r;
  Node path = n.required("path");
  r.path = path.as_string();
  if (r.path.empty()) path.fail("must not be empty");
  r.readonly = n.bool_or("readonly", false);
  return r;
}

std::vector<Mount> parse_mounts(const Node& n) {
  std::vector<Mount> out;
  n.each([&](const Node& e) {
    Mount m;
    Node dest = e.required("destination");
    m.destination = dest.as_string();
    detail::require_absolute(dest, m.destination);
    m.type = e.string_or("type");
    m.source = e.string_or("source");
    if (Node opts = e.get("options"); opts.present()) m.options = opts.as_strings();
    // Refused here rather than half-applied later: features says idmap is not supported.
    for (const char* key : {"uidMappings", "gidMappings"}) {
      Node maps = e.get(key);
      if (maps.present()) maps.fail("idmapped mounts are not supported");
    }
    out.push_back(std::move(m));
  });
  return out;
}

std::vector<Hook> parse_hook_list(const Node& n) {
  std::vector<Hook> out;
  n.each([&](const Node& e) {
    Hook h;
    Node path = e.required("path");
    h.path = path.as_string();
    detail::require_absolute(path, h.path);
    if (Node args = e.get("args"); args.present()) h.args = args.as_strings();
    e.get("env").each([&](const Node& v) {
      std::string entry = v.as_string();
      detail::require_env_entry(v, entry);
      h.env.push_back(std::move(entry));
    });
    if (Node timeout = e.get("timeout"); timeout.present()) {
      h.timeout = timeout.as_int();
      if (*h.timeout <= 0) timeout.fail("must be greater than zero");
    }
    out.push_back(std::move(h));
  });
  return out;
}

Hooks parse_hooks(const Node& n) {
  Hooks h;
  h.prestart = parse_hook_list(n.get("prestart"));
  h.create_runtime = parse_hook_list(n.get("createRuntime"));
  h.create_container = parse_hook_list(n.get("createContainer"));
  h.start_container = parse_hook_list(n.get("startContainer"));
  h.poststart = parse_hook_list(n.get("poststart"));
  h.poststop = parse_hook_list(n.get("poststop"));
  return h;
}

Spec parse_document(const Node& doc) {
  Spec s;
  Node version = doc.required("ociVersion");
  s.oci_version = version.as_string();
  if (s.oci_version.empty()) version.fail("must not be empty");
  s.root = parse_root(doc.required("root"));
  // The spec makes process optional for create, but a container without one cannot start.
  s.process = parse_process(doc.required("process"));
  s.has_process = true;
  s.hostname = doc.string_or("hostname");
  s.domainname = doc.string_or("domainname");
  s.mounts = parse_mounts(doc.get("mounts"));
  s.hooks = parse_hooks(doc.get("hooks"));
  if (Node a = doc.get("annotations"); a.present()) s.annotations = a.as_string_map();
  s.linux = detail::parse_linux(doc.get("linux"));
  return s;
}

// nlohmann's message without its "[json.exception…] parse error at line 1, column 2: "
// prefix; we print our own position.
std::string json_problem(const std::string& what) {
  size_t at = what.find("parse error");
  if (at == std::string::npos) at = 0;
  size_t colon = what.find(": ", at);
  if (colon == std::string::npos) {
    size_t bracket = what.find("] ");
    return bracket == std::string::npos ? what : what.substr(bracket + 2);
  }
  return what.substr(colon + 2);
}

// `byte` counts the characters read, the offending one included (1-based).
std::string json_position(const std::string& text, size_t byte) {
  size_t end = std::min(byte == 0 ? 0 : byte - 1, text.size());
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(end - line_start + 1);
}

}  // namespace

base::Result<Spec> parse_spec(const std::string& json_text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    return base::Error("config.json: invalid JSON at " + json_position(json_text, e.byte) + ": " +
                       json_problem(e.what()));
  } catch (const nlohmann::json::exception& e) {  // e.g. a number too large for a double
    return base::Error(std::string("config.json: invalid JSON: ") + json_problem(e.what()));
  }
  if (!doc.is_object()) return detail::spec_error("", "expected a JSON object");
  Spec spec;
  try {
    spec = parse_document(Node(&doc, ""));
  } catch (const detail::SpecError& e) {
    return detail::spec_error(e.path, e.problem);
  } catch (const std::exception& e) {  // not expected: the getters check types first
    return base::Error(std::string("config.json: ") + e.what());
  }
  TRY(detail::validate_spec(spec));
  spec.source = json_text;
  return spec;
}

base::Result<Process> parse_process(const std::string& json_text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    return base::Error("process.json: invalid JSON: " + json_problem(e.what()));
  }
  if (!doc.is_object()) return detail::spec_error("process", "expected a JSON object");
  try {
    Process p = parse_process(Node(&doc, "process"));
    if (p.args.empty()) return detail::spec_error("process.args", "must not be empty");
    if (p.cwd.empty() || p.cwd[0] != '/') {
      return detail::spec_error("process.cwd", "must be an absolute path");
    }
    return p;
  } catch (const detail::SpecError& e) {
    return detail::spec_error(e.path, e.problem);
  }
}

base::Result<Spec> load_bundle(const std::string& bundle_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // The CLI normally passes an absolute bundle (as runc does); a relative one is taken
  // against the working directory so root.path always comes out absolute.
  fs::path bundle = fs::path(bundle_dir.empty() ? "." : bundle_dir);
  if (bundle.is_relative()) bundle = fs::absolute(bundle, ec);
  if (ec) return base::Error("bundle " + bundle_dir, ec.value());
  bundle = bundle.lexically_normal();

  std::string config = (bundle / "config.json").string();
  auto text = base::sys::read_file(config);
  if (!text) {
    base::Error err(config, text.error().code());
    if (text.error().code() == ENOENT) err.hint("run `hull-oci spec` to write one");
    return err;
  }
  ASSIGN_OR_RETURN(Spec spec, parse_spec(*text));

  fs::path root = (bundle / spec.root.path).lexically_normal();
  std::string root_str = root.string();
  if (root_str.size() > 1 && root_str.back() == '/') root_str.pop_back();
  spec.root.path = root_str;
  // The one syscall of oci/: reject a missing rootfs before anything is created.
  fs::file_status st = fs::status(root, ec);
  if (ec) return base::Error("root.path: " + root_str, ec.value());
  if (!fs::is_directory(st)) return base::Error("root.path: " + root_str, ENOTDIR);
  return spec;
}

}  // namespace hull::oci
