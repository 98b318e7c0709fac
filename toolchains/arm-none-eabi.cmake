# Cross-compiling runt's core and reference backend for a Cortex-M4F
# microcontroller (no operating system, no files, no threads):
#   cmake -S . -B build-m4 -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-none-eabi.cmake
# Needs Debian's gcc-arm-none-eabi (newlib). Produces librunt.a to link into
# firmware; the program supplies an allocator or uses newlib's malloc.
# Every function and object gets its own section, so a firmware linked with
# -Wl,--gc-sections keeps only what it calls (examples/mcu: no ONNX reader).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT
    "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -ffunction-sections -fdata-sections")
set(RUNT_BARE_METAL ON CACHE BOOL "" FORCE)
set(RUNT_TESTS OFF CACHE BOOL "" FORCE)
set(RUNT_TOOLS OFF CACHE BOOL "" FORCE)
