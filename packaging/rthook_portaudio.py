"""PyInstaller runtime hook: make sounddevice load the PortAudio library inside the bundle.

sounddevice looks for PortAudio with ``ctypes.util.find_library("portaudio")``, which searches
the system (ldconfig cache, DYLD paths), never the bundle. On Linux sounddevice's wheel ships no
PortAudio at all, so the build copies the system's ``libportaudio.so.2`` into the bundle, and
this hook, run before any app code, answers the lookup with that copy: the app then works on a
machine without libportaudio2 and never mixes in a different system version. On macOS the
wheel's own ``libportaudio.dylib`` is preferred over a Homebrew one the same way. Windows needs
nothing: sounddevice falls back to the DLL from its wheel, which the bundle contains.
"""

import ctypes.util
import glob
import os
import sys


def _install():
    bundle = getattr(sys, "_MEIPASS", None)
    if not bundle or sys.platform == "win32":
        return
    if sys.platform == "darwin":
        patterns = [os.path.join(bundle, "_sounddevice_data", "portaudio-binaries", "libportaudio*.dylib"),
                    os.path.join(bundle, "libportaudio*.dylib")]
    else:
        patterns = [os.path.join(bundle, "libportaudio.so*")]
    found = [hit for pattern in patterns for hit in sorted(glob.glob(pattern))]
    if not found:
        return
    bundled = found[0]
    system_find_library = ctypes.util.find_library

    def find_library(name):
        if name == "portaudio":
            return bundled
        return system_find_library(name)

    ctypes.util.find_library = find_library


_install()
