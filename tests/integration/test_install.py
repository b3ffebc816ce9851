"""runnel as an installed library: `cmake --install` into a temporary prefix,
then a project outside the tree (install/) is built against that prefix
twice — with find_package(runnel CONFIG) and with pkg-config — and both
programs run against a real broker (README.md, "Using runnel as a library").

Run as `/usr/bin/python3 test_install.py PATH/TO/runnel` with
RUNNEL_BUILD_DIR (the build tree to install from) and RUNNEL_CXX (the C++
compiler the build used) in the environment; ctest sets both.
"""

import os
import shutil
import subprocess
import tempfile

from harness import BINARY, Broker, run

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.join(HERE, "install")
BUILD_DIR = os.environ.get("RUNNEL_BUILD_DIR") or os.path.dirname(os.path.abspath(BINARY))
CXX = os.environ.get("RUNNEL_CXX", "c++")
# Compiling a stream app takes a while on a loaded machine; linking is quick.
STEP_TIMEOUT = 600


def sh(args, **kw):
    """Runs a command; its output is shown only if it fails."""
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=STEP_TIMEOUT, **kw)
    if p.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s" % (" ".join(args), p.returncode,
                                                     p.stdout.decode(errors="replace")[-6000:]))
    return p.stdout.decode(errors="replace")


def launcher():
    """ccache in front of the compiler when there is one, as the build uses it."""
    return shutil.which("ccache")


class Prefix:
    """The build installed into a fresh temporary prefix."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="runnel-install-")
        self.path = os.path.join(self.root, "prefix")
        sh(["cmake", "--install", BUILD_DIR, "--prefix", self.path])

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


def run_word_count(program, broker, state_dir, suffix):
    out = sh([program, broker.bootstrap, state_dir, suffix])
    assert "word_count: ok" in out, out


def test_install_find_package_and_pkg_config():
    prefix = Prefix()
    try:
        # Only the public headers are installed: nothing of src/.
        include = os.path.join(prefix.path, "include", "runnel")
        assert os.path.exists(os.path.join(include, "stream.h"))
        assert not os.path.exists(os.path.join(prefix.path, "include", "model"))
        assert os.access(os.path.join(prefix.path, "bin", "runnel"), os.X_OK)

        # find_package(runnel CONFIG REQUIRED), runnel::stream, runnel::client.
        build = os.path.join(prefix.root, "consumer-build")
        configure = ["cmake", "-S", PROJECT, "-B", build, "-G", "Ninja",
                     "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_COMPILER=" + CXX,
                     "-DCMAKE_PREFIX_PATH=" + prefix.path]
        if launcher():
            configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=" + launcher())
        sh(configure)
        sh(["cmake", "--build", build])
        cmake_program = os.path.join(build, "word_count")

        # pkg-config: the same source, flags from runnel-stream.pc alone.
        pc_dirs = [os.path.join(d, "pkgconfig") for d in
                   (os.path.join(prefix.path, "lib"),
                    os.path.join(prefix.path, "lib", "x86_64-linux-gnu"))]
        env = dict(os.environ, PKG_CONFIG_PATH=":".join(pc_dirs))
        flags = sh(["pkg-config", "--cflags", "--libs", "runnel-stream"], env=env).split()
        assert any(f.startswith("-I") and f.endswith("/include") and prefix.path in f
                   for f in flags), flags
        pc_program = os.path.join(prefix.root, "word_count_pc")
        compile_ = ([launcher()] if launcher() else []) + [
            CXX, "-std=c++20", "-O1", os.path.join(PROJECT, "main.cc"), "-o", pc_program] + flags
        sh(compile_, env=env)

        with Broker(BINARY) as broker:
            state = os.path.join(prefix.root, "state")
            run_word_count(cmake_program, broker, state, "cmake")
            run_word_count(pc_program, broker, state, "pkgconfig")
    finally:
        prefix.cleanup()


if __name__ == "__main__":
    run([test_install_find_package_and_pkg_config])
