# Finds the third-party code the public interface depends on and wraps it in
# targets. Used by the build tree and, through socketioConfig.cmake, by
# consumers of the installed package, so both see the same definitions.

include(CMakeFindDependencyMacro OPTIONAL)
find_package(Threads REQUIRED)

# Standalone Asio ships neither a CMake config nor a pkg-config file.
# ASIO_STANDALONE must be defined identically in every translation unit that
# includes it, so it travels with the target into consumers' builds (our
# public headers include <asio/io_context.hpp>). An imported target is
# referenced by name in our export set, so the installed package recreates it
# here instead of hard-coding this machine's include path.
#
# ASIO_DISABLE_STD_ALIGNED_ALLOC: Debian's Asio 1.22 turns std::aligned_alloc
# on only if a standard header was included before the first Asio header, so
# translation units disagree on asio::aligned_new/aligned_delete (an ODR
# violation ASan reports as alloc-dealloc-mismatch). Fixing the choice here
# makes every translation unit, ours and our users', agree.
if(NOT TARGET socketio::asio)
  find_path(SOCKETIO_ASIO_INCLUDE_DIR asio.hpp)
  if(NOT SOCKETIO_ASIO_INCLUDE_DIR)
    message(FATAL_ERROR "socketio: standalone Asio (asio.hpp) not found; install libasio-dev")
  endif()
  add_library(socketio::asio INTERFACE IMPORTED GLOBAL)
  set_target_properties(socketio::asio PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${SOCKETIO_ASIO_INCLUDE_DIR}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${SOCKETIO_ASIO_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "ASIO_STANDALONE;ASIO_DISABLE_STD_ALIGNED_ALLOC"
    INTERFACE_LINK_LIBRARIES "Threads::Threads")
endif()
