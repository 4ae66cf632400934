# SPDX-License-Identifier: BSD-2-Clause
# safemap_bpf_object(OUT_VAR SRC [INCLUDES dir...] [DEPENDS file...]):
# compile a BPF C source with clang -target bpf into
# ${CMAKE_CURRENT_BINARY_DIR}/NAME.bpf.o (NAME = SRC's name up to its first
# dot), built by the target bpfobj_NAME (part of ALL). OUT_VAR gets the
# object's path and OUT_VAR_TARGET the target's name.
find_program(SAFEMAP_CLANG NAMES clang clang-14 REQUIRED)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64|AMD64")
  set(SAFEMAP_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(SAFEMAP_BPF_ARCH arm64)
else()
  set(SAFEMAP_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()
if(CMAKE_LIBRARY_ARCHITECTURE)
  set(SAFEMAP_BPF_SYSINC -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}) # asm/types.h
endif()

# The flags of every object (the pre-commit hook, scripts/safemap-precommit,
# uses the same; tests/tools/test_precommit.sh compares them).
set(SAFEMAP_BPF_OBJECT_CFLAGS -O2 -g -Wall -Werror -target bpf
    -D__TARGET_ARCH_${SAFEMAP_BPF_ARCH} ${SAFEMAP_BPF_SYSINC})

function(safemap_bpf_object out_var src)
  cmake_parse_arguments(ARG "" "" "INCLUDES;DEPENDS" ${ARGN})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(abs ${src} ABSOLUTE)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(incs)
  foreach(d ${ARG_INCLUDES})
    list(APPEND incs -I${d})
  endforeach()
  add_custom_command(OUTPUT ${out}
    COMMAND ${SAFEMAP_CLANG} ${SAFEMAP_BPF_OBJECT_CFLAGS} ${incs} -c ${abs} -o ${out}
    DEPENDS ${abs} ${ARG_DEPENDS}
    COMMENT "BPF ${name}.bpf.o"
    VERBATIM)
  add_custom_target(bpfobj_${name} ALL DEPENDS ${out})
  set(${out_var} ${out} PARENT_SCOPE)
  set(${out_var}_TARGET bpfobj_${name} PARENT_SCOPE)
endfunction()
