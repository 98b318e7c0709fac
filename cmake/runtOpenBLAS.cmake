# Finds OpenBLAS and defines the imported target runt::openblas (headers and
# library). Used by the build (backends/cpu) and by the installed package's
# runtConfig.cmake, so both find the same thing the same way: pkg-config
# first, then a plain library + cblas.h search (Debian's openblas-pthread
# layout included). Sets RUNT_OPENBLAS_FOUND.
if(TARGET runt::openblas)
  set(RUNT_OPENBLAS_FOUND TRUE)
  return()
endif()
set(RUNT_OPENBLAS_FOUND FALSE)
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(RUNT_OPENBLAS_PC QUIET IMPORTED_TARGET openblas)
endif()
if(RUNT_OPENBLAS_PC_FOUND)
  add_library(runt::openblas INTERFACE IMPORTED)
  set_target_properties(runt::openblas PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::RUNT_OPENBLAS_PC)
  set(RUNT_OPENBLAS_FOUND TRUE)
else()
  find_library(RUNT_OPENBLAS_LIB openblas)
  find_path(RUNT_OPENBLAS_INCLUDE cblas.h PATH_SUFFIXES openblas openblas-pthread
            x86_64-linux-gnu/openblas-pthread aarch64-linux-gnu/openblas-pthread)
  if(RUNT_OPENBLAS_LIB AND RUNT_OPENBLAS_INCLUDE)
    add_library(runt::openblas INTERFACE IMPORTED)
    set_target_properties(runt::openblas PROPERTIES
      INTERFACE_LINK_LIBRARIES ${RUNT_OPENBLAS_LIB}
      INTERFACE_INCLUDE_DIRECTORIES ${RUNT_OPENBLAS_INCLUDE})
    set(RUNT_OPENBLAS_FOUND TRUE)
  endif()
endif()
