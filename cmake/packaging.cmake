# Installation layout and the Debian package (CPack DEB). Shipped data goes to
# <prefix>/share/dit-studio, where studio/install_paths.cpp looks first.
include(GNUInstallDirs)
install(TARGETS dit-cli dit-studio RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/models/default
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dit-studio/models)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/presets/ DESTINATION ${CMAKE_INSTALL_DATADIR}/dit-studio/presets
        FILES_MATCHING PATTERN "*.json")
install(FILES ${PROJECT_SOURCE_DIR}/packaging/dit-studio.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/io.github.ditstudio.DitStudio.metainfo.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/io.github.ditstudio.DitStudio.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dit-studio)
set(CPACK_PACKAGE_VENDOR "DiT Studio developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Controllable image generation with diffusion transformers")
set(CPACK_PACKAGE_CONTACT "DiT Studio developers <dit-studio@users.noreply.github.com>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
# dpkg-shlibdeps derives Depends from the binaries (Qt 6, OpenBLAS, sentencepiece, OpenCV, gomp).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# -march=native would tie the package to the build machine's CPU; scripts/package.sh builds with
# DIT_NATIVE=OFF.
include(CPack)
