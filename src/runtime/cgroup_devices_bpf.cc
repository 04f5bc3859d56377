#include "runtime/cgroup_devices_bpf.h"

#include <cstddef>
#include <cstdint>

namespace hull::runtime {

namespace {

// Registers: r1 holds the context on entry and is a scratch register once it has been read.
constexpr uint8_t kR0 = 0, kCtx = 1, kScratch = 1, kAccess = 2, kType = 3, kMajor = 4, kMinor = 5;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

// dst = *(u32 *)(src + off): a context field, zero-extended.
bpf_insn load_u32(uint8_t dst, uint8_t src, int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}
bpf_insn mov32_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn and32(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm); }
bpf_insn rsh32(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm); }
bpf_insn mov64(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }
// Conditional jumps on the low 32 bits (JMP32, Linux 5.1), so every u32 device number compares
// exactly; the offset is patched once the block's length is known.
bpf_insn jne32(uint8_t dst, uint32_t imm) {
  return insn(BPF_JMP32 | BPF_JNE | BPF_K, dst, 0, 0, static_cast<int32_t>(imm));
}
bpf_insn jeq32(uint8_t dst, uint32_t imm) {
  return insn(BPF_JMP32 | BPF_JEQ | BPF_K, dst, 0, 0, static_cast<int32_t>(imm));
}

// One exception: if the access is this device's and asks for what the exception is about,
// return its verdict; otherwise fall through to the next block.
std::vector<bpf_insn> block(const DeviceException& e, bool default_allow) {
  std::vector<bpf_insn> b;
  b.push_back(jne32(kType, e.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  if (e.major) b.push_back(jne32(kMajor, *e.major));
  if (e.minor) b.push_back(jne32(kMinor, *e.minor));
  if (e.access != kDevAll) {
    b.push_back(mov32_reg(kScratch, kAccess));
    if (default_allow) {
      // A deny exception applies when any bit asked for is one it holds.
      b.push_back(and32(kScratch, e.access));
      b.push_back(jeq32(kScratch, 0));
    } else {
      // An allow exception applies only when it holds every bit asked for.
      b.push_back(and32(kScratch, kDevAll & ~e.access));
      b.push_back(jne32(kScratch, 0));
    }
  }
  const size_t jumps = b.size();
  b.push_back(mov64(kR0, default_allow ? 0 : 1));
  b.push_back(exit_insn());
  for (size_t i = 0; i < jumps; ++i) {
    if (BPF_CLASS(b[i].code) == BPF_JMP32) {
      b[i].off = static_cast<int16_t>(b.size() - (i + 1));  // to the first insn after the block
    }
  }
  return b;
}

}  // namespace

std::vector<bpf_insn> device_filter(const DevicePolicy& policy) {
  std::vector<bpf_insn> p = {
      // access_type is (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*.
      load_u32(kAccess, kCtx, offsetof(bpf_cgroup_dev_ctx, access_type)),
      mov32_reg(kType, kAccess),
      and32(kType, 0xffff),
      rsh32(kAccess, 16),
      load_u32(kMajor, kCtx, offsetof(bpf_cgroup_dev_ctx, major)),
      load_u32(kMinor, kCtx, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (const auto& e : policy.exceptions) {
    auto b = block(e, policy.default_allow);
    p.insert(p.end(), b.begin(), b.end());
  }
  p.push_back(mov64(kR0, policy.default_allow ? 1 : 0));
  p.push_back(exit_insn());
  return p;
}

base::Result<std::vector<bpf_insn>> device_filter(const std::vector<oci::DeviceRule>& rules) {
  ASSIGN_OR_RETURN(DevicePolicy policy, device_policy(rules));
  return device_filter(policy);
}

}  // namespace hull::runtime
