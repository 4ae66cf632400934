# SPDX-License-Identifier: BSD-2-Clause
# Installed executables find the installed libsafemap relative to themselves
# ($ORIGIN/../lib/<multiarch>, or wherever CMAKE_INSTALL_LIBDIR is relative to
# CMAKE_INSTALL_BINDIR), so a copy installed into any prefix (/opt/safemap,
# ~/.local, a temporary directory) runs without LD_LIBRARY_PATH; in /usr it
# names the system's library directory, which changes nothing.
# -DSAFEMAP_INSTALL_RPATH=OFF leaves it out (distribution packages, where
# lintian flags any RPATH). The build tree keeps CMake's own build RPATH.
option(SAFEMAP_INSTALL_RPATH "Give installed executables a relative RPATH to the installed library" ON)

function(safemap_install_rpath target)
  if(NOT SAFEMAP_INSTALL_RPATH)
    return()
  endif()
  if(IS_ABSOLUTE "${CMAKE_INSTALL_BINDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    file(RELATIVE_PATH rel "${CMAKE_INSTALL_FULL_BINDIR}" "${CMAKE_INSTALL_FULL_LIBDIR}")
  else()
    file(RELATIVE_PATH rel "/${CMAKE_INSTALL_BINDIR}" "/${CMAKE_INSTALL_LIBDIR}")
  endif()
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/${rel}")
endfunction()
