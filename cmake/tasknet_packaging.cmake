# The Debian packages, made by CPack's DEB generator from the install rules (scripts/package):
#   tasknet-echo    (component echo) the server, its man page, its systemd units (deploy/systemd/)
#   libtasknet-dev  (component dev)  headers, static library, CMake package, pkg-config file:
#                                    what `cmake --install` installs for the library
# CPack rather than dpkg-buildpackage: the install rules already say what goes where, so nothing
# is listed twice (a debian/ directory would repeat them in *.install files), and CPack works in
# the build tree, where dpkg-buildpackage writes its .deb files into the source tree's parent.
#
# What only a Debian package has (the systemd units in /lib/systemd/system, the copyright and
# changelog.Debian.gz in /usr/share/doc) is EXCLUDE_FROM_ALL: a plain `cmake --install --prefix X`
# leaves it out, and so never writes to /lib; CPack asks for each component by name and gets it.

set(TASKNET_DEB_RELEASE 1)  # the Debian revision: 0.1.0-1
# Whoever builds the packages should name themselves (scripts/package takes Debian's usual
# DEBFULLNAME and DEBEMAIL): the repository has no address of its own to put there.
set(TASKNET_DEB_MAINTAINER "tasknet authors <tasknet@example.org>" CACHE STRING
    "The Maintainer field of the Debian packages")

# Docs every Debian package carries: the licence as its copyright file, and a changelog.
string(TIMESTAMP changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${PROJECT_BINARY_DIR}/packaging/changelog.Debian
     "tasknet (${PROJECT_VERSION}-${TASKNET_DEB_RELEASE}) unstable; urgency=medium\n\n"
     "  * Built from the repository by scripts/package; see CHANGELOG.md.\n\n"
     " -- ${TASKNET_DEB_MAINTAINER}  ${changelog_date}\n")
find_program(GZIP gzip REQUIRED)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz
  COMMAND ${GZIP} -9 -n -f -k ${PROJECT_BINARY_DIR}/packaging/changelog.Debian
  DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog.Debian VERBATIM)
add_custom_target(tasknet_package_docs ALL DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz)

set(package_components dev)
set(TASKNET_DEB_DEV_NAME libtasknet-dev)
set(TASKNET_DEB_ECHO_NAME tasknet-echo)
if(TARGET tasknet-echo)
  list(APPEND package_components echo)
  # The man page, from --help and --version (Debian's help2man), when help2man is there.
  find_program(HELP2MAN help2man)
  if(HELP2MAN)
    set(man_page ${PROJECT_BINARY_DIR}/packaging/tasknet-echo.1)
    add_custom_command(OUTPUT ${man_page}.gz
      COMMAND ${HELP2MAN} --no-info --section=1 --name "coroutine echo server for TCP"
              --output=${man_page} $<TARGET_FILE:tasknet-echo>
      COMMAND ${GZIP} -9 -n -f ${man_page}
      DEPENDS tasknet-echo VERBATIM)
    add_custom_target(tasknet_echo_man_page ALL DEPENDS ${man_page}.gz)
    install(FILES ${man_page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT echo)
  else()
    message(STATUS "No help2man (Debian: help2man): tasknet-echo is packaged without a man page")
  endif()
  install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/tasknet-echo.socket
                ${PROJECT_SOURCE_DIR}/deploy/systemd/tasknet-echo.service
          DESTINATION /lib/systemd/system COMPONENT echo EXCLUDE_FROM_ALL)
endif()
foreach(component IN LISTS package_components)
  string(TOUPPER ${component} upper)
  install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${TASKNET_DEB_${upper}_NAME}
          RENAME copyright COMPONENT ${component} EXCLUDE_FROM_ALL)
  install(FILES ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${TASKNET_DEB_${upper}_NAME}
          COMPONENT ${component} EXCLUDE_FROM_ALL)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tasknet)
set(CPACK_PACKAGE_VENDOR "the tasknet authors")
set(CPACK_PACKAGE_CONTACT "${TASKNET_DEB_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_COMPONENTS_ALL ${package_components})
set(CPACK_DEB_COMPONENT_INSTALL ON)
# Installed with DESTDIR under /usr, so that the units' absolute /lib/systemd/system lands in
# the package's tree too, never in the machine's.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${TASKNET_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_ECHO_PACKAGE_NAME ${TASKNET_DEB_ECHO_NAME})
set(CPACK_DEBIAN_ECHO_PACKAGE_SECTION net)
set(CPACK_DEBIAN_ECHO_PACKAGE_SHLIBDEPS ON)  # libc6, libstdc++6, liburing2 from the binary
# One string each (a list would join its lines with ';'): the synopsis, then the long
# description, in lines of at most 80 characters. No package-wide summary: CPack would put the
# project's description before each package's synopsis.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
string(CONCAT CPACK_DEBIAN_ECHO_DESCRIPTION
       "coroutine echo server for TCP\n"
       "tasknet-echo answers every receive with a prefix (GOT:) and the bytes\n"
       "received, for any number of clients at once, on epoll, io_uring, poll or\n"
       "select, on one thread or several. It runs under systemd with socket\n"
       "activation and readiness notification: enable tasknet-echo.socket.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME ${TASKNET_DEB_DEV_NAME})
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "liburing-dev")  # the CMake package and tasknet.pc need it
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "pkgconf, cmake")
string(CONCAT CPACK_DEBIAN_DEV_DESCRIPTION
       "C++20 coroutine runtime for network servers (development files)\n"
       "tasknet runs coroutines that wait on sockets, timers and signals, one\n"
       "scheduler per thread, over epoll, io_uring, poll or select. This package has\n"
       "the headers, the static library, the CMake package (find_package(tasknet))\n"
       "and the pkg-config file (tasknet).")
include(CPack)
