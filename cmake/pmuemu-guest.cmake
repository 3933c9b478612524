# pmuemu_add_guest(): build a bare-metal AArch64 guest ELF for pmuemu (docs/guest-abi.md)
# with the guest SDK installed beside this file (../sdk: crt0, exception vectors, semihosting
# and PSCI helpers, PMU and GIC headers, the link script). Installed by `cmake --install` as
# <prefix>/share/pmuemu/cmake/pmuemu-guest.cmake and loaded by find_package(pmuemu).
#
#   pmuemu_add_guest(NAME [SOURCES] src.c ... [FLAGS clang-flag ...])
#
# builds ${CMAKE_CURRENT_BINARY_DIR}/NAME.elf (target NAME, part of ALL) with clang and
# ld.lld, the compiler flags the project's own guests use. The project needs no language:
# project(x NONE) is enough.
include_guard(GLOBAL)

set(PMUEMU_GUEST_SDK_DIR "${CMAKE_CURRENT_LIST_DIR}/../sdk" CACHE PATH
    "pmuemu guest SDK (crt0.S, vectors.S, sdk.c, headers, link.ld)")
get_filename_component(PMUEMU_GUEST_SDK_DIR "${PMUEMU_GUEST_SDK_DIR}" ABSOLUTE)
if(NOT EXISTS "${PMUEMU_GUEST_SDK_DIR}/link.ld")
  message(FATAL_ERROR "pmuemu guest SDK not found in ${PMUEMU_GUEST_SDK_DIR}")
endif()
find_program(PMUEMU_GUEST_CLANG NAMES clang clang-14 clang-15 clang-16 clang-17 clang-18 REQUIRED
             DOC "clang used to cross-compile aarch64 guests (Debian package clang)")
find_program(PMUEMU_GUEST_LLD NAMES ld.lld ld.lld-14 ld.lld-15 ld.lld-16 ld.lld-17 ld.lld-18 REQUIRED
             DOC "ld.lld used to link aarch64 guests (Debian package lld)")

# The same flags as the project's guests (guests/CMakeLists.txt). Ordinary ones: crt0 enables
# FP/SIMD (CPACR_EL1.FPEN) before any C code and the exception vectors keep the interrupted
# Q0-Q31, FPSR and FPCR, so the compiler may use V registers (double arithmetic, vectorised
# loops, struct copies). -mstrict-align stays because with the MMU off all memory is Device
# memory, where the architecture makes a misaligned access fault.
set(PMUEMU_GUEST_CFLAGS --target=aarch64-none-elf -O2 -ffreestanding -fno-builtin -nostdlib
    -mstrict-align -fno-pic -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter)

function(pmuemu_add_guest name)
  cmake_parse_arguments(PARSE_ARGV 1 G "" "" "SOURCES;FLAGS")
  set(srcs ${G_SOURCES} ${G_UNPARSED_ARGUMENTS})
  if(NOT srcs)
    message(FATAL_ERROR "pmuemu_add_guest(${name}): no sources")
  endif()
  set(objs)
  foreach(src ${PMUEMU_GUEST_SDK_DIR}/crt0.S ${PMUEMU_GUEST_SDK_DIR}/vectors.S ${PMUEMU_GUEST_SDK_DIR}/sdk.c ${srcs})
    get_filename_component(src "${src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    get_filename_component(base "${src}" NAME)
    set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.dir/${base}.o)
    add_custom_command(OUTPUT ${obj}
      COMMAND ${PMUEMU_GUEST_CLANG} ${PMUEMU_GUEST_CFLAGS} ${G_FLAGS} -I${PMUEMU_GUEST_SDK_DIR}
              -MD -MF ${obj}.d -c ${src} -o ${obj}
      DEPENDS ${src} DEPFILE ${obj}.d
      COMMENT "Guest CC ${base}" VERBATIM)
    list(APPEND objs ${obj})
  endforeach()
  set(elf ${CMAKE_CURRENT_BINARY_DIR}/${name}.elf)
  add_custom_command(OUTPUT ${elf}
    COMMAND ${PMUEMU_GUEST_CLANG} --target=aarch64-none-elf -fuse-ld=lld --ld-path=${PMUEMU_GUEST_LLD}
            -nostdlib -static -Wl,--build-id=none -T ${PMUEMU_GUEST_SDK_DIR}/link.ld ${G_FLAGS} ${objs} -o ${elf}
    DEPENDS ${objs} ${PMUEMU_GUEST_SDK_DIR}/link.ld
    COMMENT "Guest LD ${name}.elf" VERBATIM)
  add_custom_target(${name} ALL DEPENDS ${elf})
endfunction()
