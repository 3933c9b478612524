#include "cpu/id_regs.h"

#include <array>

namespace cpu {
namespace {

using enum IdReg;
using enum IdRule;
constexpr Implemented kI = kImplemented;

// Every field that may be nonzero in what a core reports. Anything absent is hidden: SVE,
// SME, MTE, BTI, SSBS, PAuth, RAS, AMU, MPAM, DIT, LRCPC, TLB range, ... (glibc and Linux
// choose code paths by these fields, so advertising what does not execute breaks them).
constexpr IdField kIdFields[] = {
    {kPfr0, "ID_AA64PFR0_EL1.EL0", 0, 4, kFixed, 1, "AArch64 only: AArch32 is not implemented"},
    {kPfr0, "ID_AA64PFR0_EL1.EL1", 4, 4, kFixed, 1, "AArch64 only"},
    {kPfr0, "ID_AA64PFR0_EL1.EL2", 8, 4, kFixed, 0, "the guest core has no EL2 (KVM's host view is the KVM model's)"},
    {kPfr0, "ID_AA64PFR0_EL1.EL3", 12, 4, kFixed, 0, "no EL3"},
    {kPfr0, "ID_AA64PFR0_EL1.FP", 16, 4, kCapSigned, kI.fp, "FP; 1 adds FEAT_FP16 (half precision)"},
    {kPfr0, "ID_AA64PFR0_EL1.AdvSIMD", 20, 4, kCapSigned, kI.fp, "AdvSIMD; as FP"},
    {kIsar0, "ID_AA64ISAR0_EL1.AES", 4, 4, kCap, static_cast<int>(kI.aes), "FEAT_AES / FEAT_PMULL"},
    {kIsar0, "ID_AA64ISAR0_EL1.SHA1", 8, 4, kCap, static_cast<int>(kI.sha1), "FEAT_SHA1"},
    {kIsar0, "ID_AA64ISAR0_EL1.SHA2", 12, 4, kCap, static_cast<int>(kI.sha2), "FEAT_SHA256"},
    {kIsar0, "ID_AA64ISAR0_EL1.CRC32", 16, 4, kCap, static_cast<int>(kI.crc32), "FEAT_CRC32"},
    {kIsar0, "ID_AA64ISAR0_EL1.Atomic", 20, 4, kCap, static_cast<int>(kI.atomic), "FEAT_LSE"},
    {kIsar0, "ID_AA64ISAR0_EL1.RDM", 28, 4, kCap, static_cast<int>(kI.rdm), "FEAT_RDM"},
    {kIsar0, "ID_AA64ISAR0_EL1.DP", 44, 4, kCap, static_cast<int>(kI.dotprod), "FEAT_DotProd"},
    {kIsar0, "ID_AA64ISAR0_EL1.FHM", 48, 4, kCap, static_cast<int>(kI.fhm), "FEAT_FHM"},
    {kIsar1, "ID_AA64ISAR1_EL1.DPB", 0, 4, kCap, static_cast<int>(kI.dpb), "FEAT_DPB: DC CVAP"},
    {kIsar1, "ID_AA64ISAR1_EL1.JSCVT", 12, 4, kCap, static_cast<int>(kI.jscvt), "FEAT_JSCVT"},
    {kIsar1, "ID_AA64ISAR1_EL1.FCMA", 16, 4, kCap, static_cast<int>(kI.fcma), "FEAT_FCMA"},
    {kIsar1, "ID_AA64ISAR1_EL1.FRINTTS", 32, 4, kCap, static_cast<int>(kI.frintts), "FEAT_FRINTTS"},
    {kMmfr0, "ID_AA64MMFR0_EL1.PARange", 0, 4, kFixed, 5, "the machine's physical address space is 48 bits whatever the core (its memory map and MMIO exits assume it)"},
    {kMmfr0, "ID_AA64MMFR0_EL1.ASIDBits", 4, 4, kCap, 2, "16-bit ASIDs"},
    {kMmfr0, "ID_AA64MMFR0_EL1.TGran16", 20, 4, kFixed, 0, "the MMU implements the 4 KiB granule only"},
    {kMmfr0, "ID_AA64MMFR0_EL1.TGran64", 24, 4, kFixed, 0xF, "4 KiB granule only"},
    {kMmfr0, "ID_AA64MMFR0_EL1.TGran4", 28, 4, kFixed, 0, "4 KiB granule supported"},
    {kDfr0, "ID_AA64DFR0_EL1.DebugVer", 0, 4, kFixed, 6, "Armv8.0 debug: no self-hosted debug extensions"},
    {kDfr0, "ID_AA64DFR0_EL1.PMUVer", 8, 4, kKeep, 0, "the PMU version of the core's pmu.version"},
};

constexpr size_t idx(IdReg r) { return static_cast<size_t>(r); }

uint64_t field_of(uint64_t v, const IdField& f) { return (v >> f.lsb) & ((uint64_t{1} << f.width) - 1); }

uint64_t reported(uint64_t core_field, const IdField& f) {
  const uint64_t mask = (uint64_t{1} << f.width) - 1;
  switch (f.rule) {
    case kFixed: return static_cast<uint64_t>(f.value) & mask;
    case kKeep: return core_field;
    case kCap: return core_field < static_cast<uint64_t>(f.value) ? core_field : static_cast<uint64_t>(f.value);
    case kCapSigned: {
      // A signed field's value as a two's complement number of `width` bits (0xF = -1).
      const int64_t s = (core_field >> (f.width - 1)) ? static_cast<int64_t>(core_field) - (int64_t{1} << f.width)
                                                      : static_cast<int64_t>(core_field);
      return static_cast<uint64_t>(s < f.value ? s : f.value) & mask;
    }
  }
  return 0;
}

}  // namespace

std::span<const IdField> id_fields() { return kIdFields; }

IdRegs sanitise_ids(const CatalogueIds& cat) {
  const std::array<uint64_t, idx(kCount)> in{cat.aa64pfr0,  cat.aa64pfr1,  cat.aa64isar0, cat.aa64isar1,
                                             cat.aa64isar2, cat.aa64mmfr0, cat.aa64mmfr1, cat.aa64mmfr2,
                                             cat.aa64dfr0,  cat.aa64zfr0};
  std::array<uint64_t, idx(kCount)> out{};
  for (const IdField& f : kIdFields) out[idx(f.reg)] |= reported(field_of(in[idx(f.reg)], f), f) << f.lsb;
  IdRegs ids;
  ids.midr = cat.midr;
  ids.revidr = cat.revidr;
  ids.id_aa64pfr0 = out[idx(kPfr0)];
  ids.id_aa64pfr1 = out[idx(kPfr1)];
  ids.id_aa64isar0 = out[idx(kIsar0)];
  ids.id_aa64isar1 = out[idx(kIsar1)];
  ids.id_aa64isar2 = out[idx(kIsar2)];
  ids.id_aa64mmfr0 = out[idx(kMmfr0)];
  ids.id_aa64mmfr1 = out[idx(kMmfr1)];
  ids.id_aa64mmfr2 = out[idx(kMmfr2)];
  ids.id_aa64dfr0 = out[idx(kDfr0)];
  ids.id_aa64zfr0 = out[idx(kZfr0)];
  ids.ctr = cat.ctr;
  ids.dczid = cat.dczid;
  return ids;
}

}  // namespace cpu
