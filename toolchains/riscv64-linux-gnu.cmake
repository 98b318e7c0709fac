# Cross-compiling runt for riscv64-linux-gnu Linux:
#   cmake -S . -B build-riscv64-linux-gnu -DCMAKE_TOOLCHAIN_FILE=toolchains/riscv64-linux-gnu.cmake
# Needs Debian's gcc-riscv64-linux-gnu. Tests run under qemu-user with the in-process runner:
#   qemu-riscv64 -L /usr/riscv64-linux-gnu build-riscv64-linux-gnu/runt_tests_standalone
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(RUNT_CROSS_TRIPLE riscv64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-cross.cmake)
