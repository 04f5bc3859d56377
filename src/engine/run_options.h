// What `hull run` and `hull create` were asked for, as typed by the user: flags keep their
// raw text so that the spec builder can name the flag and the value in any error.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hull::engine {

struct RunOptions {
  std::string image;                     // as typed: "busybox", "busybox:1", an id
  std::vector<std::string> command;      // the words after the image
  std::optional<std::string> entrypoint;  // --entrypoint ("" clears the image's)
  std::string name;                      // --name ("" = a generated one)
  std::string hostname;                  // --hostname ("" = the id's first 12 chars)
  std::string workdir;                   // -w
  std::string user;                      // -u user[:group], names looked up in the rootfs
  std::vector<std::string> env;          // -e KEY=VALUE or -e KEY (taken from our env)
  std::vector<std::string> env_files;    // --env-file
  std::vector<std::string> labels;       // --label KEY=VALUE

  bool detach = false;       // -d
  bool interactive = false;  // -i
  bool tty = false;          // -t
  bool remove = false;       // --rm
  bool read_only = false;    // --read-only
  bool privileged = false;   // --privileged
  bool init = false;         // --init

  std::vector<std::string> volumes;  // -v SRC:DST[:ro|rw|z…]
  std::vector<std::string> mounts;   // --mount type=bind|tmpfs,source=…,target=…,readonly
  std::vector<std::string> tmpfs;    // --tmpfs DST[:opts]

  // "" (the default bridge network; none for a user without root) | bridge | NETWORK |
  // none | host | container:NAME
  std::string network;
  std::string ip;                             // --ip on the (first) network
  std::string mac_address;                    // --mac-address
  std::vector<std::string> network_aliases;   // --network-alias
  std::vector<std::string> dns;               // --dns IP
  std::vector<std::string> add_hosts;         // --add-host NAME:IP
  std::vector<std::string> publish;           // -p [HOSTIP:][HOSTPORT:]PORT[/PROTO]
  bool publish_all = false;                   // -P: the image's ExposedPorts
  std::string pid;               // "" (private) | host | container:NAME
  std::string ipc;               // "" | private | shareable | host | container:NAME
  std::string uts;               // "" | host
  std::string cgroupns;          // "" | host | private  (default private)
  std::string time;              // "" | host | private  (default host, as docker)
  std::vector<std::string> time_offsets;  // --time-offset monotonic=DURATION,boottime=…

  std::string memory;       // --memory 512m
  std::string memory_swap;  // --memory-swap 1g | -1
  std::string cpus;         // --cpus 1.5
  std::string cpu_shares;   // --cpu-shares 512
  std::string cpuset_cpus;  // --cpuset-cpus 0-1
  std::string pids_limit;   // --pids-limit 100 | -1
  std::vector<std::string> ulimits;    // --ulimit nofile=1024:2048
  std::vector<std::string> cap_add;    // --cap-add NET_ADMIN | ALL
  std::vector<std::string> cap_drop;   // --cap-drop CHOWN | ALL
  std::vector<std::string> security_opts;  // seccomp=unconfined|PATH, no-new-privileges[:true]
  std::vector<std::string> devices;    // --device /dev/x[:/dev/y][:rwm]
  std::vector<std::string> sysctls;    // --sysctl net.ipv4.ip_forward=1
  std::string stop_signal;             // --stop-signal (default: the image's, else SIGTERM)
  std::optional<int> stop_timeout;     // --stop-timeout seconds (default 10)
  std::string restart = "no";          // no | on-failure[:N] | always | unless-stopped
};

}  // namespace hull::engine
