"""Compiles and runs the Java programs of tests/integration/java/src against
the jars scripts/setup copied into tests/integration/java/lib/<profile>/
(profiles in tests/integration/java/pom.xml: kafka-4, kafka-3.9)."""

import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_DIR = os.path.join(HERE, "java")


def lib(profile):
    d = os.path.join(JAVA_DIR, "lib", profile)
    if not os.path.isdir(d) or not any(f.endswith(".jar") for f in os.listdir(d)):
        raise AssertionError("%s is missing: run scripts/setup" % d)
    return d


def compile_sources(profile, *sources):
    """javac the named files of java/src into a fresh directory; returns it."""
    out = tempfile.mkdtemp(prefix="runnel-java-")
    srcs = [os.path.join(JAVA_DIR, "src", s) for s in sources]
    r = subprocess.run(["javac", "-nowarn", "-d", out, "-cp", os.path.join(lib(profile), "*")] + srcs,
                       capture_output=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError("javac failed:\n" + r.stdout.decode() + r.stderr.decode())
    return out


def command(profile, classes, main, *args, heap="256m", props=None):
    """The java command line for MAIN with the profile's jars and CLASSES
    (None: the jars alone)."""
    cp = os.path.join(lib(profile), "*") + (os.pathsep + classes if classes else "")
    # Small heaps and one compiler thread: the tests run two at a time on two cores.
    cmd = ["java", "-Xmx" + heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
           "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"]
    for k, v in (props or {}).items():
        cmd.append("-D%s=%s" % (k, v))
    return cmd + ["-cp", cp, main] + [str(a) for a in args]


def run(profile, classes, main, *args, timeout=300, **kw):
    """Runs MAIN to completion; returns (returncode, combined output)."""
    r = subprocess.run(command(profile, classes, main, *args, **kw), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace")
