# Cross-compiling runt for arm-linux-gnueabihf Linux:
#   cmake -S . -B build-arm-linux-gnueabihf -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-linux-gnueabihf.cmake
# Needs Debian's gcc-arm-linux-gnueabihf. Tests run under qemu-user with the in-process runner:
#   qemu-arm -L /usr/arm-linux-gnueabihf build-arm-linux-gnueabihf/runt_tests_standalone
set(CMAKE_SYSTEM_PROCESSOR arm)
set(RUNT_CROSS_TRIPLE arm-linux-gnueabihf)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-cross.cmake)
