# The part every Debian cross toolchain here shares; not a toolchain file by
# itself. A toolchain file sets RUNT_CROSS_TRIPLE (the compiler's prefix and
# the sysroot's name under /usr) and CMAKE_SYSTEM_PROCESSOR, then includes this.
if(NOT RUNT_CROSS_TRIPLE OR NOT CMAKE_SYSTEM_PROCESSOR)
  message(FATAL_ERROR "linux-gnu-cross.cmake: set RUNT_CROSS_TRIPLE and CMAKE_SYSTEM_PROCESSOR first "
                      "(use one of the toolchain files beside it)")
endif()
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${RUNT_CROSS_TRIPLE}-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/${RUNT_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# pkg-config must report the target's packages, never the build machine's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${RUNT_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
