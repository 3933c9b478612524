// The identification registers a core reports: its catalogue values (the real core's, as
// its TRM gives them) masked to what pmuemu implements, the way KVM sanitises the host's
// ID registers to what it can virtualise. One table (kIdFields in id_regs.cpp, documented
// in docs/configs.md) says, field by field, what survives; a field the table does not list
// reads as 0 (hidden). The table's limits for instruction-set features come from
// kImplemented below: when a branch implements FEAT_x, raise its entry there and the
// field appears for every core that has the feature.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "cpu/core.h"

namespace cpu {

// The values a catalogue entry gives (configs/cores/*.yaml, `midr` and `id.*`).
struct CatalogueIds {
  uint64_t midr = 0x410FD050;
  uint64_t revidr = 0;
  uint64_t aa64pfr0 = 0, aa64pfr1 = 0;
  uint64_t aa64isar0 = 0, aa64isar1 = 0, aa64isar2 = 0;
  uint64_t aa64mmfr0 = 0, aa64mmfr1 = 0, aa64mmfr2 = 0;
  uint64_t aa64dfr0 = 0, aa64zfr0 = 0;
  uint64_t ctr = 0x84448004, dczid = 0x4;
};

// The instruction-set features this tree executes, as the value of their ID field. A row
// of kIdFields with Rule::kCap caps the core's field at one of these.
struct Implemented {
  // ID_AA64PFR0.FP/AdvSIMD: 0 = FP and AdvSIMD without half precision, 1 = with FEAT_FP16.
  int fp = 1;  // cpu/decoder/a64_fp.inc: scalar and vector half precision
  unsigned aes = 2;     // ISAR0.AES: 1 AESE..., 2 adds PMULL/PMULL2 (64-bit)
  unsigned sha1 = 1;    // ISAR0.SHA1
  unsigned sha2 = 1;    // ISAR0.SHA2: 1 SHA256 (2 would add all of SHA512)
  unsigned crc32 = 1;   // ISAR0.CRC32 (cpu/decoder/a64.inc CRC32)
  unsigned atomic = 2;  // ISAR0.Atomic: FEAT_LSE (CAS, CASP, LD<op>, SWP)
  unsigned rdm = 1;     // ISAR0.RDM: SQRDMLAH/SQRDMLSH
  unsigned dotprod = 1; // ISAR0.DP: SDOT/UDOT
  unsigned fhm = 1;     // ISAR0.FHM: FMLAL/FMLSL
  unsigned dpb = 1;     // ISAR1.DPB: DC CVAP (cache maintenance by VA is a no-op here)
  unsigned jscvt = 1;   // ISAR1.JSCVT: FJCVTZS
  unsigned fcma = 1;    // ISAR1.FCMA: FCMLA/FCADD
  unsigned frintts = 1; // ISAR1.FRINTTS: FRINT32*/FRINT64*
};
inline constexpr Implemented kImplemented{};

enum class IdReg : uint8_t { kPfr0, kPfr1, kIsar0, kIsar1, kIsar2, kMmfr0, kMmfr1, kMmfr2, kDfr0, kZfr0, kCount };

// How one field of the core's value becomes the reported one.
enum class IdRule : uint8_t {
  kFixed,  // pmuemu's value whatever the core says (what the model itself implements)
  kCap,    // the core's value, at most `value` (unsigned field)
  kCapSigned,  // the same for a signed field (0xF = not implemented is below 0)
  kKeep,   // the core's value (set elsewhere: PMUVer follows pmu.version)
};

struct IdField {
  IdReg reg;
  std::string_view name;  // "ID_AA64PFR0_EL1.FP"
  uint8_t lsb;
  uint8_t width;
  IdRule rule;
  int value;               // kFixed: the value; kCap/kCapSigned: the limit
  std::string_view why;
};

std::span<const IdField> id_fields();

// The ID registers a core reports for these catalogue values (MIDR, REVIDR, CTR and DCZID
// pass through; MPIDR, CLIDR and the rest keep IdRegs' defaults).
IdRegs sanitise_ids(const CatalogueIds& cat);

}  // namespace cpu
