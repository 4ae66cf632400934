# SPDX-License-Identifier: BSD-2-Clause
# The build-time line of defence, installed with the CMake package (and
# usable in this tree): find_package(safemap) gives
#
#   safemap_check_bpf_object(<target> <object> [POLICY <file>])
#
# a build step of <target> that runs `safemapctl check <object> [--policy
# <file>]`. A finding (a padding hole in a hash key, max_entries below the
# policy, sizes or types other than the policy's, a map the policy names
# missing) fails the build with the finding's message, and <target> is not
# built until the check passes. <target> is the target that builds the
# object (a custom target with the object in its DEPENDS) or one that uses
# it (the program that embeds or loads it); call this in the directory
# that defines <target>. A relative <object> is taken in the current
# binary directory, a relative POLICY in the current source directory. The
# check runs again when the object, the policy or safemapctl change.
function(safemap_check_bpf_object target object)
  cmake_parse_arguments(ARG "" "POLICY" "" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "safemap_check_bpf_object: unknown arguments ${ARG_UNPARSED_ARGUMENTS} "
                        "(usage: safemap_check_bpf_object(<target> <object> [POLICY <file>]))")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "safemap_check_bpf_object: no target '${target}'")
  endif()
  if(TARGET safemap::safemapctl)
    set(ctl safemap::safemapctl)
  elseif(TARGET safemapctl)
    set(ctl safemapctl)
  else()
    message(FATAL_ERROR "safemap_check_bpf_object: safemapctl is not part of this libsafemap "
                        "(built without SAFEMAP_WITH_BPF, or not installed: Debian package safemapctl)")
  endif()
  get_filename_component(obj "${object}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  get_filename_component(name "${obj}" NAME)
  set(args check "${obj}")
  set(deps "${obj}" "$<TARGET_FILE:${ctl}>")
  if(ARG_POLICY)
    get_filename_component(policy "${ARG_POLICY}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND args --policy "${policy}")
    list(APPEND deps "${policy}")
  endif()
  set(stamp "${CMAKE_CURRENT_BINARY_DIR}/safemap_check/${target}/${name}.checked")
  file(MAKE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/safemap_check/${target}")
  add_custom_command(OUTPUT "${stamp}"
    COMMAND "$<TARGET_FILE:${ctl}>" ${args}
    COMMAND "${CMAKE_COMMAND}" -E touch "${stamp}"
    DEPENDS ${deps}
    COMMENT "safemapctl check ${name}"
    VERBATIM)
  target_sources(${target} PRIVATE "${stamp}")
endfunction()
