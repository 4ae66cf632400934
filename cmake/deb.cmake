# SPDX-License-Identifier: BSD-2-Clause
# Debian packages (cpack -G DEB from a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr):
#   libsafemap0     the shared library                    (component runtime)
#   libsafemap-dev  headers, static library, safemap.pc,
#                   the CMake package, the .so link        (component dev)
#   safemapctl      the tool, its man page, the Prometheus
#                   rules and the systemd unit             (component safemapctl)
# with dependencies computed by dpkg-shlibdeps, a shlibs file for
# libsafemap0, and per package the copyright and changelog Debian asks for.
# tests/package/test_deb.sh builds, lints (lintian) and installs them.
# Set these two for a real upload: the project has no public address yet.
set(SAFEMAP_HOMEPAGE "" CACHE STRING "Homepage field of the Debian packages (empty: none)")
set(CPACK_PACKAGE_NAME libsafemap)
set(CPACK_PACKAGE_VENDOR "the libsafemap authors")
set(CPACK_PACKAGE_CONTACT "libsafemap maintainers <maintainers@libsafemap.invalid>" CACHE STRING
    "Maintainer field of the Debian packages")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
if(SAFEMAP_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${SAFEMAP_HOMEPAGE})
  set(SAFEMAP_DEB_SOURCE ${SAFEMAP_HOMEPAGE})
else()
  set(SAFEMAP_DEB_SOURCE "the libsafemap source tree (no public address yet)")
endif()
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
if(TARGET safemapctl) # SAFEMAP_WITH_BPF
  list(APPEND CPACK_COMPONENTS_ALL safemapctl)
endif()
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON) # only libsafemap0 has a shared library
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR "")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libsafemap0)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
# ldconfig by trigger (CPack's postinst/postrm also call it)
file(WRITE ${PROJECT_BINARY_DIR}/deb/runtime/triggers "activate-noawait ldconfig\n")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/deb/runtime/triggers)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
"safe map access: concurrent hash map and checked BPF maps
libsafemap makes map access safe in two places: in user space, a typed,
sharded concurrent hash map with reference-counted values, whose refused
operations (full, frozen, wrong type) are clear errors and events; at the
kernel boundary, checked wrappers over libbpf for BPF maps (type, sizes and
BTF layout verified at open, E2BIG caught) and an audit probe that reports
writes to guarded BPF maps by processes that may not write them.
.
This package contains the shared library.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libsafemap-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libsafemap0 (= ${PROJECT_VERSION}-1), libbpf-dev, zlib1g-dev, pkgconf | pkg-config")
# safemap_check_bpf_object() (the CMake package) runs safemapctl
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "safemapctl")
set(CPACK_COMPONENT_DEV_DESCRIPTION
"safe map access: concurrent hash map and checked BPF maps (development)
libsafemap makes map access safe in user space (a typed, sharded
concurrent hash map) and at the kernel boundary (checked BPF maps and an
audit probe).
.
This package contains the headers, the static library, the pkg-config
file (safemap) and the CMake package (find_package(safemap)).")

set(CPACK_DEBIAN_SAFEMAPCTL_PACKAGE_NAME safemapctl)
set(CPACK_DEBIAN_SAFEMAPCTL_PACKAGE_SECTION admin)
# libsafemap0 is built here: dpkg-shlibdeps finds it in the build tree but
# has no shlibs for it, so the dependency is stated
set(CPACK_DEBIAN_SAFEMAPCTL_PACKAGE_DEPENDS "libsafemap0 (= ${PROJECT_VERSION}-1)")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/lib)
set(CPACK_DEBIAN_SAFEMAPCTL_PACKAGE_SUGGESTS "prometheus, prometheus-node-exporter")
set(CPACK_COMPONENT_SAFEMAPCTL_DESCRIPTION
"inspect, audit and export BPF maps (libsafemap's command-line tool)
safemapctl lists BPF maps with their fill ratio, checks BPF object files
for map mistakes, guards maps with libsafemap's audit probe (reporting
illegal writes), shows a live top-like view of the maps, and exports their
metrics for Prometheus (HTTP or node_exporter's textfile collector).
.
The package also ships Prometheus alert and recording rules and a systemd
unit for the exporter, in /usr/share/safemap.")

# /usr/share/doc/<package>/{copyright,changelog.Debian.gz} for each package
file(READ ${PROJECT_SOURCE_DIR}/LICENSE license)
string(REGEX REPLACE "^[^\n]*\n\n[^\n]*\n\n" "" license "${license}") # title, copyright line
string(REGEX REPLACE "\n\n" "\n.\n" license "${license}")
string(REGEX REPLACE "\n$" "" license "${license}")
string(REPLACE "\n" "\n " license "${license}")
set(SAFEMAP_LICENSE_TEXT " ${license}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/deb/copyright.in ${PROJECT_BINARY_DIR}/deb/copyright @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/deb/changelog.in ${PROJECT_BINARY_DIR}/deb/changelog @ONLY)
find_program(SAFEMAP_GZIP gzip)
if(SAFEMAP_GZIP)
  add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/deb/changelog.Debian.gz
    COMMAND ${SAFEMAP_GZIP} -9nc ${PROJECT_BINARY_DIR}/deb/changelog > ${PROJECT_BINARY_DIR}/deb/changelog.Debian.gz
    DEPENDS ${PROJECT_BINARY_DIR}/deb/changelog)
  add_custom_target(deb_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/deb/changelog.Debian.gz)
  foreach(c ${CPACK_COMPONENTS_ALL})
    string(TOUPPER ${c} C)
    install(FILES ${PROJECT_BINARY_DIR}/deb/copyright ${PROJECT_BINARY_DIR}/deb/changelog.Debian.gz
      DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${CPACK_DEBIAN_${C}_PACKAGE_NAME}
      COMPONENT ${c} EXCLUDE_FROM_ALL)
  endforeach()
endif()
include(CPack)
