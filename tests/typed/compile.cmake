# SPDX-License-Identifier: BSD-2-Clause
# Prove that SAFEMAP_DEFINE_TYPED's wrappers reject wrong key/value types at
# compile time: wrong_types.c with -DCASE=0 must compile, every other CASE
# must fail with a type diagnostic, in C (incompatible pointer types as an
# error, as GCC 14 and Clang 16 do by default) and in C++.
# cmake -DCC=... -DCXX=... -DINC=... -DSRC=... -DCASES=N -P compile.cmake
set(failed 0)
foreach(lang C CXX)
  if(lang STREQUAL C)
    set(cmd ${CC} -std=gnu11 -Werror=incompatible-pointer-types -x c)
  else()
    set(cmd ${CXX} -std=c++17 -x c++)
  endif()
  foreach(case RANGE 0 ${CASES})
    execute_process(
      COMMAND ${cmd} -fsyntax-only -Wall -Wextra -Wno-unused-parameter -I${INC} -DCASE=${case} ${SRC}
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(case EQUAL 0)
      if(NOT rc EQUAL 0)
        message(SEND_ERROR "${lang} case 0 (right types) does not compile:\n${out}")
        math(EXPR failed "${failed} + 1")
      endif()
    elseif(rc EQUAL 0)
      message(SEND_ERROR "${lang} case ${case} (wrong types) compiled")
      math(EXPR failed "${failed} + 1")
    elseif(NOT out MATCHES "incompatible|cannot convert|invalid conversion|no matching")
      message(SEND_ERROR "${lang} case ${case} failed for another reason:\n${out}")
      math(EXPR failed "${failed} + 1")
    else()
      message(STATUS "${lang} case ${case}: rejected as expected")
    endif()
  endforeach()
endforeach()
if(failed)
  message(FATAL_ERROR "${failed} typed-layer compile checks failed")
endif()
