# What `cmake --install build --prefix P` puts in P, so that other projects
# build against runnel:
#
#   bin/runnel                                  the broker and command line
#   include/runnel/...                          the public headers (self-contained)
#   lib/librunnel_client.a, librunnel_stream.a  the embeddable libraries
#   lib/librunnel_observe.a                     metrics and admin server, which runnel::stream links
#   lib/cmake/runnel/                           find_package(runnel CONFIG): runnel::client, runnel::stream
#   lib/pkgconfig/runnel-client.pc, runnel-stream.pc
#
# The libraries are static; their own dependencies (librdkafka, RocksDB,
# simdjson, spdlog, fmt, Boost headers) are the system's Debian packages,
# which runnelConfig.cmake and the .pc files name, so a consumer links them
# too. tests/integration/test_install.py builds a project against such a
# prefix and runs it.
include(CMakePackageConfigHelpers)

set(RUNNEL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/runnel)

install(TARGETS runnel RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# runnel::observe is no API of its own: it is there because the static
# runnel::stream needs it at link time.
install(TARGETS runnel_client runnel_stream runnel_observe EXPORT runnel_targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/runnel DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT runnel_targets NAMESPACE runnel:: FILE runnelTargets.cmake
        DESTINATION ${RUNNEL_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/runnelConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/runnelConfig.cmake
                              INSTALL_DESTINATION ${RUNNEL_CMAKE_DIR})
# 0.x: a new minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/runnelConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/runnelConfig.cmake
              ${PROJECT_BINARY_DIR}/runnelConfigVersion.cmake
        DESTINATION ${RUNNEL_CMAKE_DIR})

# The .pc files find the prefix from their own place (${pcfiledir}), so the
# prefix given to `cmake --install --prefix` at install time is the right one.
file(RELATIVE_PATH RUNNEL_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
foreach(pc runnel-client runnel-stream)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
