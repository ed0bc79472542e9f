# KF_SANITIZE=address: AddressSanitizer + UndefinedBehaviorSanitizer, halting on
# the first report. KF_SANITIZE=thread: ThreadSanitizer (for the worker pool).
if(KF_SANITIZE STREQUAL "address")
  set(_kf_san -fsanitize=address,undefined -fno-sanitize-recover=all
              -fno-omit-frame-pointer)
elseif(KF_SANITIZE STREQUAL "thread")
  set(_kf_san -fsanitize=thread -fno-omit-frame-pointer)
elseif(NOT KF_SANITIZE STREQUAL "")
  message(FATAL_ERROR "KF_SANITIZE must be '', 'address' or 'thread', not '${KF_SANITIZE}'")
endif()
if(_kf_san)
  add_compile_options(${_kf_san})
  add_link_options(${_kf_san})
  # the instrumented loops no longer vectorise, and clang says so where a
  # pragma asked it to (nn_wino.c): not a fault of the code
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    add_compile_options(-Wno-pass-failed)
  endif()
endif()
