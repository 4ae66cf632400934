# SPDX-License-Identifier: BSD-2-Clause
# The BPF half's toolchain (SAFEMAP_WITH_BPF): libbpf for the library, and
# clang + bpftool to turn bpf/*.bpf.c into skeleton headers at build time.
# A skeleton embeds the BPF object (ELF bytes) in the C file that includes it,
# so libsafemap carries its probe and nothing else ships.
#
#   safemap_bpf_skeleton(TARGET NAME SOURCE [DEPENDS headers...])
#     compiles SOURCE with clang -target bpf (CO-RE: -g keeps the BTF the
#     relocations need), strips the DWARF, runs `bpftool gen skeleton`, and
#     adds ${CMAKE_CURRENT_BINARY_DIR}/bpf/NAME.skel.h to TARGET's sources
#     and include path (#include "NAME.skel.h").
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
find_program(SAFEMAP_BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(SAFEMAP_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)
find_program(SAFEMAP_LLVM_STRIP NAMES llvm-strip llvm-strip-14 REQUIRED)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|amd64|AMD64)$")
  set(SAFEMAP_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(SAFEMAP_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "SAFEMAP_WITH_BPF: no BPF target arch for ${CMAKE_SYSTEM_PROCESSOR}; "
                      "configure with -DSAFEMAP_WITH_BPF=OFF")
endif()
# asm/types.h (pulled in by linux/bpf.h) lives in the multiarch directory
set(SAFEMAP_BPF_CFLAGS -O2 -g -target bpf -D__TARGET_ARCH_${SAFEMAP_BPF_ARCH}
    -Wall -Werror -I${PROJECT_SOURCE_DIR}/bpf)
if(CMAKE_LIBRARY_ARCHITECTURE)
  list(APPEND SAFEMAP_BPF_CFLAGS -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE})
endif()

function(safemap_bpf_skeleton target name source)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/bpf)
  set(obj ${dir}/${name}.bpf.o)
  set(skel ${dir}/${name}.skel.h)
  add_custom_command(OUTPUT ${skel}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${SAFEMAP_BPF_CLANG} ${SAFEMAP_BPF_CFLAGS} -c ${source} -o ${obj}
    COMMAND ${SAFEMAP_LLVM_STRIP} -g ${obj}
    COMMAND sh -c "\"$0\" gen skeleton \"$1\" name \"$2\" > \"$3.tmp\" && mv \"$3.tmp\" \"$3\""
            ${SAFEMAP_BPFTOOL} ${obj} ${name} ${skel}
    DEPENDS ${source} ${ARG_DEPENDS}
    COMMENT "BPF skeleton ${name}.skel.h (clang -target bpf, bpftool gen skeleton)"
    VERBATIM)
  target_sources(${target} PRIVATE ${skel})
  target_include_directories(${target} PRIVATE ${dir} ${PROJECT_SOURCE_DIR}/bpf)
endfunction()

# libsafemap.pc: libbpf is a private dependency (no public header includes it)
string(JOIN " " SAFEMAP_PC_REQUIRES_PRIVATE ${SAFEMAP_PC_REQUIRES_PRIVATE} libbpf)
