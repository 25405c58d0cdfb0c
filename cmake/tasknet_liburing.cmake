# Finds liburing and makes it the imported target tasknet::liburing. tasknet's own build includes
# this file, and so does the installed tasknetConfig.cmake, beside which it is installed:
# libtasknet.a calls into liburing, so every program that links tasknet links liburing too, found
# on the user's machine rather than where tasknet was built. pkg-config, where there is one,
# gives the hints; otherwise the usual places are searched. Sets no error: the caller decides.
if(TARGET tasknet::liburing)
  return()
endif()
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_TASKNET_LIBURING QUIET liburing)
endif()
find_library(TASKNET_LIBURING NAMES uring HINTS ${PC_TASKNET_LIBURING_LIBRARY_DIRS}
             DOC "liburing, which tasknet's io_uring backend calls")
find_path(TASKNET_LIBURING_INCLUDE liburing.h HINTS ${PC_TASKNET_LIBURING_INCLUDE_DIRS}
          DOC "the directory holding liburing.h")
if(TASKNET_LIBURING AND TASKNET_LIBURING_INCLUDE)
  add_library(tasknet::liburing UNKNOWN IMPORTED)
  set_target_properties(tasknet::liburing PROPERTIES
    IMPORTED_LOCATION "${TASKNET_LIBURING}"
    INTERFACE_INCLUDE_DIRECTORIES "${TASKNET_LIBURING_INCLUDE}")
endif()
