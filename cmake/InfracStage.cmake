# One library per folder, and only its public header visible to the others.
#
#   infrac_stage(NAME FOLDER HEADER [ROOT DIR] [SOURCES ...] [PUBLIC ...] [PRIVATE ...])
#
# builds the static library NAME from FOLDER's SOURCES (FOLDER is under ROOT,
# by default the calling CMakeLists.txt's directory). Other targets that link
# it see exactly its public header "FOLDER/HEADER" (a ;-list when a folder has
# several), through a directory in the build tree holding links to them; the
# library's own sources also see the rest of their own folder, and nothing
# else of the tree. PUBLIC and PRIVATE are the libraries it links, so link
# dependencies follow the layering too.
function(infrac_stage name folder header)
  cmake_parse_arguments(ARG "" "ROOT" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  if(NOT ARG_ROOT)
    set(ARG_ROOT ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  add_library(${name} STATIC ${ARG_SOURCES})
  set(src ${ARG_ROOT}/${folder})
  set(pub ${CMAKE_BINARY_DIR}/stage-include/${name}/public)
  set(own ${CMAKE_BINARY_DIR}/stage-include/${name}/private)
  file(MAKE_DIRECTORY ${pub}/${folder})
  foreach(h ${header})
    file(CREATE_LINK ${src}/${h} ${pub}/${folder}/${h} SYMBOLIC)
  endforeach()
  file(MAKE_DIRECTORY ${own})
  file(CREATE_LINK ${src} ${own}/${folder} SYMBOLIC)
  target_include_directories(${name} PUBLIC ${pub} PRIVATE ${own})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
  infrac_warnings(${name})
endfunction()
