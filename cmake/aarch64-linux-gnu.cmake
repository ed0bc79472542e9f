# Cross-build for ARM64 Linux with Debian's cross compiler and multiarch libraries
# (docs/internals/arm64.md). Needs gcc-aarch64-linux-gnu, qemu-user and the :arm64
# -dev packages of core's libraries (scripts/setup-arm64 installs them):
#   cmake -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DKF_CORE_ONLY=ON
# CTest runs the test binaries under qemu-aarch64 (CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Libraries and headers: Debian multiarch puts them in /usr/lib/aarch64-linux-gnu
# and /usr/include, where the cross compiler looks; programs (pkg-config, qemu)
# are the build machine's
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# The multiarch libc6:arm64 (pulled in by the -dev packages) provides the loader
# /lib/ld-linux-aarch64.so.1 and the libraries at their usual places, so qemu
# needs no -L sysroot
find_program(KF_QEMU_AARCH64 qemu-aarch64)
if(KF_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${KF_QEMU_AARCH64})
endif()
