# Warnings for every target (ggml's list plus curl's picky ones that fit C11).
add_compile_options(
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wpointer-arith -Wformat=2 -Wvla -Wundef
  -Werror=implicit-function-declaration -Werror=incompatible-pointer-types)
if(KF_WERROR)
  add_compile_options(-Werror)
endif()
