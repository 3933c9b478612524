#!/bin/sh
# Installs the build into a scratch prefix and builds the worked example against the
# installed files only: with pkg-config, and with find_package(pmuemu). Both must run.
set -eu
build=$1 src=$2 host=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
lib=$(ls -d "$work"/prefix/lib*)
# pkg-config
PKG_CONFIG_PATH="$lib/pkgconfig" cc -o "$work/vmm-pc" "$src/examples/c-vmm/pmcr_vmm.c" \
  $(PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --cflags --libs pmuemu-kvm)
LD_LIBRARY_PATH="$lib" "$work/vmm-pc" "$host" 6.7 2
# find_package(pmuemu)
mkdir "$work/cm"
cat > "$work/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.25)
project(consumer C)
find_package(pmuemu REQUIRED)
add_executable(vmm $src/examples/c-vmm/pmcr_vmm.c)
target_link_libraries(vmm PRIVATE pmuemu::kvm)
CM
cmake -S "$work/cm" -B "$work/cm/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cm/build" >/dev/null
LD_LIBRARY_PATH="$lib" "$work/cm/build/vmm" "$host" 6.16 2
echo "install consumers: pkg-config and find_package(pmuemu) both built and ran"
