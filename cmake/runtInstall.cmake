# Install rules: headers, librunt.a (runt::core), librunt.so (runt::shared),
# the backends' static libraries (runt::cpu, runt::cuda) and modules, the
# runt program, runtConfig.cmake + version file, and pkg-config files.
# Every path is relative to the prefix, so an installed tree can be moved.
include(CMakePackageConfigHelpers)
set(RUNT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/runt)

install(FILES include/runt.h include/runt-backend.h include/runt-cpu.h include/runt-cuda.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(RUNT_CORE_TARGETS runt)
if(TARGET runt_shared)
  list(APPEND RUNT_CORE_TARGETS runt_shared)
endif()
install(TARGETS ${RUNT_CORE_TARGETS} EXPORT runtTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT runtTargets NAMESPACE runt:: DESTINATION ${RUNT_CMAKE_DIR})

# One export set per backend: find_package(runt COMPONENTS cpu) looks for
# OpenBLAS and threads only when the cpu component is asked for.
foreach(backend ${RUNT_BUILTIN_BACKENDS})
  install(TARGETS runt_${backend} EXPORT runt-${backend}Targets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT runt-${backend}Targets NAMESPACE runt:: DESTINATION ${RUNT_CMAKE_DIR})
endforeach()
foreach(module ${RUNT_BACKEND_MODULE_TARGETS})
  install(TARGETS ${module} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/${RUNT_MODULE_DIR})
endforeach()

if(TARGET runt_cli)
  install(TARGETS runt_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(PROGRAMS bench/plot.py bench/check_json.py DESTINATION ${CMAKE_INSTALL_DATADIR}/runt)
endif()

# What the config needs to know of this build.
set(RUNT_CONFIG_BACKENDS ${RUNT_BUILTIN_BACKENDS})
configure_package_config_file(cmake/runtConfig.cmake.in
  ${PROJECT_BINARY_DIR}/runtConfig.cmake INSTALL_DESTINATION ${RUNT_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/runtConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/runtConfig.cmake ${PROJECT_BINARY_DIR}/runtConfigVersion.cmake
        cmake/runtOpenBLAS.cmake DESTINATION ${RUNT_CMAKE_DIR})

# pkg-config: runt (the core, shared or static), runt-cpu and runt-cuda (the
# static backends, for programs that link them in rather than load them).
# ${pcfiledir} keeps them relocatable.
file(RELATIVE_PATH RUNT_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
set(RUNT_PC_PREFIX "\${pcfiledir}/${RUNT_PC_TO_PREFIX}")
string(REGEX REPLACE "/$" "" RUNT_PC_PREFIX "${RUNT_PC_PREFIX}")
set(RUNT_PC_LIBS_PRIVATE "-lm")
if(RUNT_BACKEND_MODULE_TARGETS)
  set(RUNT_PC_LIBS_PRIVATE "-Wl,--export-dynamic-symbol=runt_* -lm")
  if(NOT RUNT_LIBC_HAS_DLOPEN)
    string(APPEND RUNT_PC_LIBS_PRIVATE " -ldl -lpthread")
  endif()
endif()
configure_file(cmake/runt.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/runt.pc @ONLY)
set(RUNT_PC_FILES ${PROJECT_BINARY_DIR}/pkgconfig/runt.pc)
if("cpu" IN_LIST RUNT_BUILTIN_BACKENDS)
  set(RUNT_PC_BLAS_REQUIRES "")
  set(RUNT_PC_BLAS_LIBS "")
  if(NOT RUNT_CPU_BLAS_FOUND)
    # built on runt's own GEMM: nothing more to link
  elseif(RUNT_OPENBLAS_PC_FOUND)
    set(RUNT_PC_BLAS_REQUIRES ", openblas")
  else()
    set(RUNT_PC_BLAS_LIBS "${RUNT_OPENBLAS_LIB}")
  endif()
  configure_file(cmake/runt-cpu.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/runt-cpu.pc @ONLY)
  list(APPEND RUNT_PC_FILES ${PROJECT_BINARY_DIR}/pkgconfig/runt-cpu.pc)
endif()
if("cuda" IN_LIST RUNT_BUILTIN_BACKENDS)
  set(RUNT_PC_CUDA_LIBDIR ${CUDAToolkit_LIBRARY_DIR})
  configure_file(cmake/runt-cuda.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/runt-cuda.pc @ONLY)
  list(APPEND RUNT_PC_FILES ${PROJECT_BINARY_DIR}/pkgconfig/runt-cuda.pc)
endif()
install(FILES ${RUNT_PC_FILES} DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
