#!/usr/bin/python3
"""Interop test: Debian's python3-socketio client (python-socketio 5.x, sync client)
against the conformance server (shared/conformance-server.md).

Which server (same variables as tests/interop/lib/server.mjs):
  SOCKETIO_SERVER=/path/to/conformance_server   the C++ server
  SOCKETIO_REFERENCE=node                        the Node.js reference in
                                                 benchmarks/node-reference/conformance-server.mjs
  SOCKETIO_SERVER_ARGS="..."                     extra arguments for either

Run with Debian's interpreter (the packages live in /usr/lib/python3/dist-packages):

  SOCKETIO_SERVER=build/examples/conformance_server/conformance_server \\
      /usr/bin/python3 tests/interop/python/test_python_client.py [-v] [NAME-FILTER]

Needs the Debian packages python3-socketio, python3-requests (polling) and
python3-websocket (websocket). Ends with the line `N passed, M failed`; exit 1 on any failure.
"""

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from importlib import metadata

# Connections to the server under test never go through a proxy.
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var), "127.0.0.1", "localhost"]))

try:
    import socketio  # python3-socketio
    import requests  # noqa: F401  python3-requests: needed by the polling transport
    import websocket  # noqa: F401  python3-websocket: needed by the websocket transport
except ImportError as exc:  # pragma: no cover
    # Debian's packages are for Debian's interpreter: re-run under it when this is another
    # one (a pyenv or venv python3 first on PATH, say).
    _debian = "/usr/bin/python3"
    if os.path.exists(_debian) and os.path.realpath(sys.executable) != os.path.realpath(_debian) \
            and not os.environ.get("SOCKETIO_PY_REEXEC"):
        os.environ["SOCKETIO_PY_REEXEC"] = "1"
        os.execv(_debian, [_debian, os.path.abspath(__file__)] + sys.argv[1:])
    print(f"missing Python package: {exc} (apt-get install python3-socketio python3-requests python3-websocket;"
          " run with /usr/bin/python3)", file=sys.stderr)
    print("0 passed, 1 failed")
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
NODE_REFERENCE_DIR = os.path.join(REPO_ROOT, "benchmarks", "node-reference")
HOST = "127.0.0.1"
TIMEOUT = 5.0  # seconds to wait for any one expected event
QUIET = 0.3  # seconds during which an unexpected event must not arrive
VERBOSE = "-v" in sys.argv[1:]


# --------------------------------------------------------------------------------------
# The server under test
# --------------------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def server_command():
    extra = os.environ.get("SOCKETIO_SERVER_ARGS", "").split()
    if os.environ.get("SOCKETIO_REFERENCE") == "node":
        script = os.path.join(NODE_REFERENCE_DIR, "conformance-server.mjs")
        if not os.path.isdir(os.path.join(NODE_REFERENCE_DIR, "node_modules")):
            raise RuntimeError(f"SOCKETIO_REFERENCE=node needs `npm ci` in {NODE_REFERENCE_DIR}")
        node = shutil.which("node") or "node"
        return [node, script] + extra, "node conformance-server.mjs"
    binary = os.environ.get("SOCKETIO_SERVER")
    if not binary:
        raise RuntimeError("set SOCKETIO_SERVER to the conformance_server binary, "
                           "or SOCKETIO_REFERENCE=node for the Node.js reference")
    if not os.path.exists(binary):
        raise RuntimeError(f"SOCKETIO_SERVER={binary}: no such file")
    return [binary] + extra, os.path.basename(binary)


class Server:
    """The server under test on a free port of 127.0.0.1, stopped by PID."""

    def __init__(self):
        command, self.label = server_command()
        last_error = None
        for _ in range(5):
            port = free_port()
            proc = subprocess.Popen(command + ["--host", HOST, "--port", str(port)],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, bufsize=1)
            lines = queue.Queue()
            self.stderr = []
            threading.Thread(target=self._pump, args=(proc.stdout, lines, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(proc.stderr, None, self.stderr), daemon=True).start()
            deadline = time.monotonic() + 10
            ready = False
            while time.monotonic() < deadline:
                try:
                    line = lines.get(timeout=0.1)
                except queue.Empty:
                    if proc.poll() is not None:
                        break
                    continue
                if line is None:
                    break
                if line.strip() == f"listening on http://{HOST}:{port}":
                    ready = True
                    break
            if ready:
                self.proc, self.port = proc, port
                self.url = f"http://{HOST}:{port}"
                return
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            last_error = RuntimeError(f"{self.label} did not print `listening on http://{HOST}:{port}` "
                                      f"(exit {proc.returncode}); stderr:\n{''.join(self.stderr)[-4000:]}")
        raise last_error

    @staticmethod
    def _pump(stream, lines, store):
        for line in stream:
            if lines is not None:
                lines.put(line)
            if store is not None:
                store.append(line)
        if lines is not None:
            lines.put(None)

    @property
    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM by PID; returns the exit code (SIGKILL after 5 s, then returns None)."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            return None


# --------------------------------------------------------------------------------------
# Client helpers
# --------------------------------------------------------------------------------------

class Recorder:
    """Every event a client receives, per namespace, in a queue to wait on."""

    def __init__(self):
        self.events = queue.Queue()
        self.seen = []

    def put(self, namespace, event, args):
        self.seen.append((namespace, event, args))
        self.events.put((namespace, event, args))

    def wait(self, event, namespace="/", timeout=TIMEOUT):
        """The args of the next `event` in `namespace` (other events are set aside)."""
        deadline = time.monotonic() + timeout
        aside = []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {event!r} event in {namespace} within {timeout} s; "
                                         f"received: {self.seen!r}")
                try:
                    item = self.events.get(timeout=left)
                except queue.Empty:
                    continue
                if item[0] == namespace and item[1] == event:
                    return item[2]
                aside.append(item)
        finally:
            for item in aside:
                self.events.put(item)

    def assert_none(self, event, namespace="/", quiet=QUIET):
        time.sleep(quiet)
        got = [s for s in self.seen if s[0] == namespace and s[1] == event]
        assert not got, f"unexpected {event!r} in {namespace}: {got!r}"


class Client:
    """A python-socketio sync client that records every event it gets."""

    def __init__(self, server, transports, namespaces=("/",), auth=None, handlers=None, connect=True):
        self.sio = socketio.Client(reconnection=False, request_timeout=5)
        self.rec = Recorder()
        self.server = server
        self.transports = transports
        self.namespaces = list(namespaces)
        self.auth = auth
        for ns in set(self.namespaces) | {"/"}:
            self._record(ns)
        for (event, ns), fn in (handlers or {}).items():
            self.sio.on(event, fn, namespace=ns)
        if connect:
            self.connect()

    def _record(self, ns):
        sio, rec = self.sio, self.rec
        sio.on("*", lambda event, *args: rec.put(ns, event, args), namespace=ns)
        sio.on("connect", lambda: rec.put(ns, "connect", ()), namespace=ns)
        sio.on("disconnect", lambda: rec.put(ns, "disconnect", ()), namespace=ns)
        sio.on("connect_error", lambda *args: rec.put(ns, "connect_error", args), namespace=ns)

    def connect(self, wait_timeout=TIMEOUT):
        kwargs = {}
        if self.transports is not None:
            kwargs["transports"] = self.transports
        self.sio.connect(self.server.url, auth=self.auth, namespaces=self.namespaces,
                         wait_timeout=wait_timeout, **kwargs)
        expected = self.transports[0] if self.transports else "websocket"  # default: upgraded
        assert self.sio.transport() == expected, \
            f"transport {self.sio.transport()!r}, expected {expected!r}"

    def close(self):
        try:
            if self.sio.connected:
                self.sio.disconnect()
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass


class Clients:
    """Closes every client made in a test."""

    def __init__(self, server, transports):
        self.server, self.transports, self.made = server, transports, []

    def __call__(self, **kwargs):
        c = Client(self.server, self.transports, **kwargs)
        self.made.append(c)
        return c

    def lazy(self, **kwargs):
        c = Client(self.server, self.transports, connect=False, **kwargs)
        self.made.append(c)
        return c

    def close(self):
        for c in self.made:
            c.close()


# --------------------------------------------------------------------------------------
# The tests: each takes (clients) and uses plain asserts
# --------------------------------------------------------------------------------------

BIN = bytes([0, 1, 2, 127, 128, 254, 255])


def test_connect_auth(clients):
    c = clients(auth={"token": "abc", "n": 1, "nested": {"list": [1, "two", None]}})
    (auth,) = c.rec.wait("auth")
    assert auth == {"token": "abc", "n": 1, "nested": {"list": [1, "two", None]}}, auth
    assert c.sio.get_sid("/"), "no sid for /"


def test_connect_without_auth(clients):
    c = clients()
    (auth,) = c.rec.wait("auth")
    assert auth == {}, auth


def test_message_back_binary(clients):
    c = clients()
    c.rec.wait("auth")
    args = ("hello", BIN, {"k": [1, 2.5, True, None], "buf": b"\xde\xad\xbe\xef"}, 42, [b"", b"x"])
    c.sio.emit("message", args)
    back = c.rec.wait("message-back")
    assert back == args, back
    assert isinstance(back[1], bytes) and isinstance(back[2]["buf"], bytes), back


def test_message_back_text_only(clients):
    c = clients()
    c.rec.wait("auth")
    c.sio.emit("message", ("ünïcödé ✓", 1, {"a": "b"}))
    assert c.rec.wait("message-back") == ("ünïcödé ✓", 1, {"a": "b"})


def test_message_with_ack(clients):
    c = clients()
    c.rec.wait("auth")
    reply = c.sio.call("message-with-ack", ("a", 1, BIN, {"x": [None]}), timeout=TIMEOUT)
    assert reply == ("a", 1, BIN, {"x": [None]}), reply
    assert c.sio.call("message-with-ack", "single", timeout=TIMEOUT) == "single"
    assert c.sio.call("message-with-ack", BIN, timeout=TIMEOUT) == BIN
    assert c.sio.call("message-with-ack", timeout=TIMEOUT) is None  # ack with no argument


def test_join_and_to_room(clients):
    a = clients()
    b = clients()
    a.rec.wait("auth")
    b.rec.wait("auth")
    rooms = a.sio.call("join", "room-py", timeout=TIMEOUT)
    assert sorted(rooms) == sorted([a.sio.get_sid("/"), "room-py"]), rooms
    # b is not in the room: b sends, a receives, b does not.
    b.sio.emit("to-room", ("room-py", "hi", BIN))
    assert a.rec.wait("room-message") == ("hi", BIN)
    b.rec.assert_none("room-message")
    # a is in the room: the sender is included.
    a.sio.emit("to-room", ("room-py", {"from": "a"}))
    assert a.rec.wait("room-message") == ({"from": "a"},)
    rooms = a.sio.call("leave", "room-py", timeout=TIMEOUT)
    assert rooms == [a.sio.get_sid("/")], rooms


def test_ask_server_to_client_ack(clients):
    def on_question(*args):
        return ("answer", list(args), BIN)

    def on_silent(*args):
        return None

    c = clients(handlers={("question-py", "/"): on_question, ("silent-py", "/"): on_silent})
    c.rec.wait("auth")
    reply = c.sio.call("ask", ("question-py", 7, "x"), timeout=TIMEOUT)
    assert reply == {"reply": ["answer", [7, "x"], BIN]}, reply
    # A handler that returns nothing acks with no argument.
    reply = c.sio.call("ask", ("silent-py",), timeout=TIMEOUT)
    assert reply == {"reply": []}, reply


def test_custom_namespace(clients):
    c = clients(namespaces=["/custom"], auth={"who": "custom"})
    (auth,) = c.rec.wait("auth", namespace="/custom")
    assert auth == {"who": "custom"}, auth
    c.sio.emit("message", ("in custom", BIN), namespace="/custom")
    assert c.rec.wait("message-back", namespace="/custom") == ("in custom", BIN)
    # "/" was not joined: nothing arrives there.
    c.rec.assert_none("auth", namespace="/")


def test_main_and_custom_namespaces_together(clients):
    c = clients(namespaces=["/", "/custom"], auth={"both": True})
    assert c.rec.wait("auth", namespace="/") == ({"both": True},)
    assert c.rec.wait("auth", namespace="/custom") == ({"both": True},)
    c.sio.emit("message", "to custom", namespace="/custom")
    assert c.rec.wait("message-back", namespace="/custom") == ("to custom",)
    c.sio.emit("message", "to main")
    assert c.rec.wait("message-back", namespace="/") == ("to main",)


def test_private_refused(clients):
    for auth in (None, {"token": "wrong"}):
        c = clients.lazy(namespaces=["/private"], auth=auth)
        try:
            c.connect(wait_timeout=1)  # a refusal costs the client wait_timeout
        except socketio.exceptions.ConnectionError:
            pass
        else:
            raise AssertionError(f"/private admitted auth={auth!r}")
        (err,) = c.rec.wait("connect_error", namespace="/private")
        assert err == {"message": "unauthorized", "data": {"code": 401}}, err
        assert not c.sio.connected
        c.rec.assert_none("welcome", namespace="/private", quiet=0)


def test_private_admitted(clients):
    c = clients(namespaces=["/private"], auth={"token": "secret"})
    (sid,) = c.rec.wait("welcome", namespace="/private")
    assert sid == c.sio.get_sid("/private"), (sid, c.sio.get_sid("/private"))


def test_invalid_namespace(clients):
    c = clients.lazy(namespaces=["/no-such-namespace"])
    try:
        c.connect(wait_timeout=1)  # a refusal costs the client wait_timeout
    except socketio.exceptions.ConnectionError:
        pass
    else:
        raise AssertionError("/no-such-namespace admitted")
    (err,) = c.rec.wait("connect_error", namespace="/no-such-namespace")
    assert err == {"message": "Invalid namespace"}, err


def test_dynamic_namespace(clients):
    c = clients(namespaces=["/dyn-abc123"])
    assert c.rec.wait("nsp", namespace="/dyn-abc123") == ("/dyn-abc123",)


def test_set_and_get_data(clients):
    c = clients()
    c.rec.wait("auth")
    assert c.sio.call("get-data", timeout=TIMEOUT) is None
    assert c.sio.call("set-data", {"v": [1, "two"]}, timeout=TIMEOUT) is None
    assert c.sio.call("get-data", timeout=TIMEOUT) == {"v": [1, "two"]}


def test_survives_heartbeats(clients):
    # The server pings every 300 ms and gives 200 ms for the pong (contract defaults):
    # an idle client must stay connected across several cycles.
    c = clients()
    c.rec.wait("auth")
    time.sleep(1.5)
    assert c.sio.connected, "dropped while idle"
    c.rec.assert_none("disconnect", quiet=0)
    assert c.sio.call("message-with-ack", "still here", timeout=TIMEOUT) == "still here"


def test_disconnect_me(clients):
    c = clients()
    c.rec.wait("auth")
    c.sio.emit("disconnect-me")
    c.rec.wait("disconnect")
    deadline = time.monotonic() + TIMEOUT
    while c.sio.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not c.sio.connected, "still connected after disconnect-me"
    # The server is still there for others.
    d = clients()
    d.rec.wait("auth")


TESTS = [
    test_connect_auth,
    test_connect_without_auth,
    test_message_back_binary,
    test_message_back_text_only,
    test_message_with_ack,
    test_join_and_to_room,
    test_ask_server_to_client_ack,
    test_custom_namespace,
    test_main_and_custom_namespaces_together,
    test_private_refused,
    test_private_admitted,
    test_invalid_namespace,
    test_dynamic_namespace,
    test_set_and_get_data,
    test_survives_heartbeats,
    test_disconnect_me,
]

TRANSPORTS = [("websocket", ["websocket"]), ("polling", ["polling"]), ("default", None)]


# --------------------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------------------

def _version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def main():
    filters = [a for a in sys.argv[1:] if not a.startswith("-")]
    passed = failed = 0
    failures = []
    try:
        server = Server()
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        print("\n0 passed, 1 failed")
        return 1
    print(f"# server: {server.label} (pid {server.proc.pid}) at {server.url}")
    print(f"# client: python-socketio {_version('python-socketio')}, python-engineio {_version('python-engineio')} from {os.path.dirname(socketio.__file__)}")
    try:
        for tname, transports in TRANSPORTS:
            for test in TESTS:
                name = f"{tname} › {test.__name__[len('test_'):]}"
                if filters and not any(f in name for f in filters):
                    continue
                clients = Clients(server, transports)
                start = time.monotonic()
                try:
                    test(clients)
                    if not server.alive:
                        raise AssertionError(f"server exited (code {server.proc.returncode})")
                except Exception as exc:  # noqa: BLE001 - every failure is reported
                    failed += 1
                    failures.append(name)
                    print(f"✖ {name}")
                    detail = traceback.format_exc() if VERBOSE or not isinstance(exc, AssertionError) \
                        else f"AssertionError: {exc}\n" + "".join(traceback.format_tb(exc.__traceback__)[-1:])
                    print("    " + detail.rstrip().replace("\n", "\n    "))
                else:
                    passed += 1
                    print(f"✔ {name} ({(time.monotonic() - start) * 1000:.0f} ms)")
                finally:
                    clients.close()
                sys.stdout.flush()
    finally:
        name = "server exits with code 0 on SIGTERM"
        code = server.stop()
        if code == 0:
            passed += 1
            print(f"✔ {name}")
        else:
            failed += 1
            failures.append(name)
            print(f"✖ {name}: exit code {code}\n    stderr: {''.join(server.stderr)[-2000:]}")
    if failures:
        print("\nfailed:\n" + "\n".join(f"  {f}" for f in failures))
    print(f"\n{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
