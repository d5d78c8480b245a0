# `cmake --install` rules: headers, the library (static, or shared with
# BUILD_SHARED_LIBS), a CMake package (find_package(socketio), target
# socketio::socketio) and a pkg-config file (socketio.pc).

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SOCKETIO_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/socketio"
  CACHE STRING "Where the CMake package files are installed, relative to the prefix")
mark_as_advanced(SOCKETIO_INSTALL_CMAKEDIR)

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/socketio"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

set(_socketio_install_targets socketio)
set(SOCKETIO_PACKAGE_HAS_REDIS OFF)
if(TARGET socketio_redis)
  list(APPEND _socketio_install_targets socketio_redis)
  set(SOCKETIO_PACKAGE_HAS_REDIS ON)
endif()
install(TARGETS ${_socketio_install_targets} EXPORT socketioTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")

# The exported target names socketio::asio, an imported target that the
# export does not describe: socketioConfig.cmake recreates it by including
# the same SocketioDependencies.cmake the build used, installed beside it.
install(EXPORT socketioTargets
  NAMESPACE socketio::
  FILE socketioTargets.cmake
  DESTINATION "${SOCKETIO_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/socketioConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/socketioConfig.cmake"
  INSTALL_DESTINATION "${SOCKETIO_INSTALL_CMAKEDIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/socketioConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES
    "${PROJECT_BINARY_DIR}/socketioConfig.cmake"
    "${PROJECT_BINARY_DIR}/socketioConfigVersion.cmake"
    "${PROJECT_SOURCE_DIR}/cmake/SocketioDependencies.cmake"
  DESTINATION "${SOCKETIO_INSTALL_CMAKEDIR}")

# pkg-config wants absolute paths, and the prefix is only final at install
# time (`cmake --install --prefix DIR` overrides the configured one). So
# socketio.pc is configured in two steps: now, everything but the prefix,
# which stays a placeholder; at install time, the prefix.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(SOCKETIO_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(SOCKETIO_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SOCKETIO_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(SOCKETIO_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# The same definitions (ASIO_STANDALONE, ...) that socketio::asio gives CMake
# consumers: Asio must be configured identically in every translation unit.
get_target_property(_socketio_asio_defines socketio::asio INTERFACE_COMPILE_DEFINITIONS)
list(TRANSFORM _socketio_asio_defines PREPEND "-D")
list(JOIN _socketio_asio_defines " " SOCKETIO_PC_DEFINES)
# libcrypto (the WebSocket handshake's SHA-1) is a private dependency: a
# shared libsocketio brings it itself, a static one needs it on the link line.
if(BUILD_SHARED_LIBS)
  set(SOCKETIO_PC_STATIC_LIBS "")
else()
  set(SOCKETIO_PC_STATIC_LIBS " -lcrypto")
endif()
set(SOCKETIO_PC_PREFIX "@SOCKETIO_PC_PREFIX@")  # filled in at install time
configure_file("${PROJECT_SOURCE_DIR}/cmake/socketio.pc.in"
  "${PROJECT_BINARY_DIR}/socketio.pc.stage" @ONLY)
install(CODE "
  set(SOCKETIO_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/socketio.pc.stage\"
    \"${PROJECT_BINARY_DIR}/socketio.pc\" @ONLY)
")
install(FILES "${PROJECT_BINARY_DIR}/socketio.pc"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
