# Cross-compiling runt for riscv64-linux-gnu Linux:
#   cmake -S . -B build-riscv64-linux-gnu -DCMAKE_TOOLCHAIN_FILE=toolchains/riscv64-linux-gnu.cmake
# Needs Debian's gcc-riscv64-linux-gnu. Tests run under qemu-user with the in-process runner:
#   qemu-riscv64 -L /usr/riscv64-linux-gnu build-riscv64-linux-gnu/runt_tests_standalone
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# pkg-config must report the target's packages, never the build machine's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/riscv64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
