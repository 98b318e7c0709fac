# Cross-compiling runt for aarch64-linux-gnu Linux:
#   cmake -S . -B build-aarch64-linux-gnu -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake
# Needs Debian's gcc-aarch64-linux-gnu. Tests run under qemu-user with the in-process runner:
#   qemu-aarch64 -L /usr/aarch64-linux-gnu build-aarch64-linux-gnu/runt_tests_standalone
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(RUNT_CROSS_TRIPLE aarch64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-cross.cmake)
