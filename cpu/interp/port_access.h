// A trapped MRS/MSR (an access the core hands to its SysRegPort), shared by the core's
// generic handler and by the handlers a port installs for its bound routes
// (SysRegPort::bound_handler). Both run the same steps around the port's work, so a bound
// handler behaves exactly as the generic one with handle_bound().
#pragma once

#include <cstdint>

#include "cpu/core.h"
#include "cpu/interp/interp_common.h"

namespace cpu::interp {

// imm2 of a trapped MRS/MSR: the EC 0x18 ISS, built once at predecode, in its low half; the
// port's route (SysRegPort::bind) in its high half, bound at the first execution.
inline uint32_t port_iss(const DecodedInst& i) { return static_cast<uint32_t>(i.imm2); }
inline uint32_t port_route(const DecodedInst& i) { return static_cast<uint32_t>(i.imm2 >> 32); }

// A port access in two steps around the port's work: start_port_access() gives `value`,
// holding the X[Rt] image (MSR) or 0 (MRS); finish_port_access() retires the instruction
// with the port's result: X[Rt] = value for MRS, UNDEFINED when the port says so, and the
// block left when the access raised an interrupt PSTATE lets in or asked for a stop. The
// image lives in the core (Core::port_value) so that no local's address escapes: the final
// tail call into the next instruction's handler stays a jump.
template <bool kRead>
[[gnu::always_inline]] inline uint64_t& start_port_access(Core& c, const DecodedInst& i) {
  uint64_t& value = c.port_value();
  value = kRead ? 0 : c.x(i.n);  // MSR: Rt, read as XZR when 31
  c.begin_port_access(i);
  return value;
}
template <bool kRead>
[[gnu::always_inline]] inline Flow finish_port_access(Core& c, const DecodedInst& i, SysRegPort::Result r) {
  c.end_port_access();
  if (r == SysRegPort::Result::kUndef) return c.undefined(i);
  if (kRead) c.set_x(i.d, c.port_value());  // MRS: Rt, the sink slot when XZR
  if (c.must_leave_block()) [[unlikely]] {
    c.state().pc = i.pc + 4;
    return Flow::kJump;
  }
  return next(c, i);
}

// The handler a port installs for one bound route: kAccess(port, core, route, iss, value)
// is the port's work for that route, called directly (inlined where the compiler can), not
// through handle_bound()'s virtual call. `port` is the core's port, whose dynamic type
// kAccess may assume: a port hands out only its own handlers, and a core keeps its port.
using PortAccessFn = SysRegPort::Result (*)(SysRegPort& port, Core& core, uint32_t route, uint32_t iss,
                                            uint64_t& value);
template <bool kRead, PortAccessFn kAccess>
Flow bound_port_handler(Core& c, const DecodedInst& i) {
  uint64_t& value = start_port_access<kRead>(c, i);
  return finish_port_access<kRead>(c, i, kAccess(*c.sysreg_port(), c, port_route(i), port_iss(i), value));
}

}  // namespace cpu::interp
