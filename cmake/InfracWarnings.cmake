# Warnings for our own code. Generated and third-party code is compiled without them.
function(infrac_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(INFRAC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
