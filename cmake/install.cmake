# cmake --install and cpack -G DEB (docs/install.md): the pmuemu executable, its manual page
# and bash completion (generated from the command tables), the shipped host and core
# configs, the guest SDK with its CMake helper pmuemu_add_guest() and find_package(pmuemu)
# files, the demo guests, the guest template and the docs. Everything is found relative to
# the executable or to the CMake files, so an installed tree can be moved.
include(GNUInstallDirs)
set(_share ${CMAKE_INSTALL_DATADIR}/pmuemu)

install(TARGETS pmuemu RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_BINARY_DIR}/share/man/man1/pmuemu.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_BINARY_DIR}/share/bash-completion/completions/pmuemu
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/configs/ DESTINATION ${_share}/configs)

# The guest SDK and its CMake entry points (<prefix>/share/pmuemu/cmake is on
# find_package's search path for a prefix in CMAKE_PREFIX_PATH).
set(_sdk)
foreach(f crt0.S vectors.S sdk.c sdk.h sdk_asm.h pmu.h gic.h link.ld)
  list(APPEND _sdk ${CMAKE_SOURCE_DIR}/guests/sdk/${f})
endforeach()
install(FILES ${_sdk} DESTINATION ${_share}/sdk)
configure_file(${CMAKE_SOURCE_DIR}/cmake/pmuemu-config.cmake.in ${CMAKE_BINARY_DIR}/cmake/pmuemu-config.cmake @ONLY)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/pmuemu-config-version.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_BINARY_DIR}/cmake/pmuemu-config.cmake ${CMAKE_BINARY_DIR}/cmake/pmuemu-config-version.cmake
              ${CMAKE_SOURCE_DIR}/cmake/pmuemu-guest.cmake
        DESTINATION ${_share}/cmake)

# The demo guests (README).
if(PMUEMU_BUILD_GUESTS)
  foreach(g hello reset_demo migrate_count)
    install(FILES ${CMAKE_BINARY_DIR}/guests/${g}.elf DESTINATION ${_share}/guests)
  endforeach()
endif()

# Linux's KVM selftests, which `pmuemu conformance` runs from <prefix>/share/pmuemu/selftests.
if(PMUEMU_KVM_SELFTESTS)
  install(DIRECTORY ${CMAKE_BINARY_DIR}/selftests/bin/ DESTINATION ${_share}/selftests USE_SOURCE_PERMISSIONS OPTIONAL)
endif()

install(DIRECTORY ${CMAKE_SOURCE_DIR}/guests/template/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/template)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# cpack -G DEB: a Debian package; dpkg-shlibdeps computes the library dependencies.
set(CPACK_PACKAGE_NAME pmuemu)
set(CPACK_PACKAGE_VENDOR "pmuemu")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "pmuemu developers <pmuemu@invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "arm64 full-system emulator with a PMUv3 model and Linux's KVM arm64 PMU virtualisation")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Building guests with the SDK needs clang and ld.lld; running pmuemu does not.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "clang, lld, qemu-system-arm")
include(CPack)
