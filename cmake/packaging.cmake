# SPDX-License-Identifier: BSD-2-Clause
# cmake --install: headers, both libraries, safemap.pc, and a CMake package
# (find_package(safemap CONFIG) -> safemap::safemap, safemap::safemap_static);
# install components runtime (the shared library) and dev (the rest).
include(CMakePackageConfigHelpers)

install(DIRECTORY include/safemap DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(TARGETS safemap safemap_static EXPORT safemapTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT safemapTargets NAMESPACE safemap::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/safemap COMPONENT dev)

# relocatable: the prefix is found from where the .pc file lies
file(RELATIVE_PATH SAFEMAP_PC_TO_PREFIX
  "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
set(SAFEMAP_PC_REQUIRES_PRIVATE "${SAFEMAP_PC_REQUIRES_PRIVATE} zlib") # snapshot files
configure_file(cmake/safemap.pc.in ${PROJECT_BINARY_DIR}/safemap.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/safemap.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)

configure_package_config_file(cmake/safemapConfig.cmake.in
  ${PROJECT_BINARY_DIR}/safemapConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/safemap)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/safemapConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/safemapConfig.cmake
              ${PROJECT_BINARY_DIR}/safemapConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/safemap COMPONENT dev)

# Debian packages: cpack -G DEB (the components above: runtime, dev;
# safemapctl's in tools/ and deploy/)
include(cmake/deb.cmake)
