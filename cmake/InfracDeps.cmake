# Every dependency comes from Debian packages (see scripts/setup.sh).
find_package(Java COMPONENTS Runtime REQUIRED)
find_program(ANTLR4_TOOL antlr4 REQUIRED
  DOC "ANTLR 4 tool (Debian package antlr4)")

find_package(antlr4-runtime REQUIRED)          # libantlr4-runtime-dev
find_package(LLVM 14 REQUIRED CONFIG
  PATHS /usr/lib/llvm-14/lib/cmake/llvm NO_DEFAULT_PATH)  # llvm-14-dev
find_package(fmt REQUIRED)                     # libfmt-dev
find_package(Threads REQUIRED)

# Interface target for LLVM Support: headers as system headers so that their
# warnings stay out of our -Wall -Wextra build.
add_library(infrac_llvm INTERFACE)
target_include_directories(infrac_llvm SYSTEM INTERFACE ${LLVM_INCLUDE_DIRS})
target_compile_definitions(infrac_llvm INTERFACE ${LLVM_DEFINITIONS_LIST})
target_link_libraries(infrac_llvm INTERFACE LLVMSupport)

add_library(infrac_antlr_runtime INTERFACE)
target_include_directories(infrac_antlr_runtime SYSTEM INTERFACE ${ANTLR4_INCLUDE_DIR})
target_link_libraries(infrac_antlr_runtime INTERFACE antlr4_static)

# Clang rejects one header of Debian's ANTLR 4.9 runtime (InterpreterDataReader.h
# default-constructs a Vocabulary whose const members have no initialiser; g++
# accepts it). Nothing of ours uses that header, so for clang builds (the fuzzer)
# a copy of the umbrella header without it comes first on the include path.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(_shim ${CMAKE_BINARY_DIR}/antlr4-shim)
  file(READ ${ANTLR4_INCLUDE_DIR}/antlr4-runtime.h _umbrella)
  string(REPLACE "#include \"misc/InterpreterDataReader.h\"" "" _umbrella "${_umbrella}")
  string(REGEX REPLACE "#include \"([^\"]+)\"" "#include <\\1>" _umbrella "${_umbrella}")
  file(WRITE ${_shim}/antlr4-runtime.h "${_umbrella}")
  target_include_directories(infrac_antlr_runtime SYSTEM BEFORE INTERFACE ${_shim})
endif()
