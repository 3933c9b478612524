# Hostile guests (docs/reliability.md, "Hostile guests"): programs that try to escape or
# wedge the emulator. tests/hostile asserts the documented outcome of each.
# Included at the end of guests/CMakeLists.txt, so sources are relative to guests/.
set(_hostile_lse -march=armv8.1-a)
pmuemu_guest(NAME hostile_ram_edges SOURCES hostile/ram_edges.c FLAGS ${_hostile_lse})
pmuemu_guest(NAME hostile_self_modify SOURCES hostile/self_modify.c)
pmuemu_guest(NAME hostile_exc_loops SOURCES hostile/exc_loops.c)
pmuemu_guest(NAME hostile_wfi SOURCES hostile/wfi.c)
pmuemu_guest(NAME hostile_psci SOURCES hostile/psci.c)
pmuemu_guest(NAME hostile_storms SOURCES hostile/storms.c)
pmuemu_guest(NAME hostile_semihost SOURCES hostile/semihost.c)
pmuemu_guest(NAME hostile_devices SOURCES hostile/devices.c)
pmuemu_guest(NAME hostile_sysregs SOURCES hostile/sysregs.c)
