"""Push-to-talk sources: a desktop key through pynput, a Linux input device through evdev, the terminal.

Each source calls ``on_key(True)`` on press and ``on_key(False)`` on release; hold and toggle modes are the
station's business. `--ptt file` needs no source here: the WAV source presses around each pass.
"""
from __future__ import annotations

import os
import sys
import threading
from typing import Callable

from ccc.station import StationError

OnKey = Callable[[bool], None]


def parse(spec: str) -> tuple[str, ...]:
    """Split a --ptt spec into its kind and arguments, or raise StationError."""
    kind, _, rest = spec.partition(":")
    if kind == "key" and rest:
        return ("key", rest)
    if kind == "evdev":
        path, _, code = rest.rpartition(":")
        if path and code.startswith(("KEY_", "BTN_")):
            return ("evdev", path, code)
    if spec in {"terminal", "file"}:
        return (spec,)
    raise StationError(f"bad --ptt {spec!r}: use key:NAME, evdev:/dev/input/eventN:KEY_X, terminal or file")


def open_source(spec: str, on_key: OnKey):
    """Return a started push-to-talk source for ``spec`` (not `file`)."""
    kind, *args = parse(spec)
    source = {"key": PynputKey, "evdev": EvdevKey, "terminal": TerminalKey}[kind](*args)
    source.start(on_key)
    return source


class PynputKey:
    """A key on any keyboard-like device (pedal, clicker, keyboard) seen by the desktop session."""

    def __init__(self, name: str):
        try:
            from pynput import keyboard  # noqa: PLC0415 - it needs a display as soon as it is imported
        except ImportError as exc:
            raise StationError(f"--ptt key: needs a desktop session ({str(exc).splitlines()[0]})") from None
        self._keyboard = keyboard
        self.target = self.key_for(name)
        self._listener = None

    def key_for(self, name: str):
        """Return the pynput key that ``name`` means (f9, space, page_down, a)."""
        special = getattr(self._keyboard.Key, name.lower(), None)
        if special is not None:
            return special
        if len(name) == 1:
            return self._keyboard.KeyCode.from_char(name.lower())
        raise StationError(f"unknown key {name!r}: use a pynput Key name (f9, space, page_down) or one character")

    def matches(self, key) -> bool:
        """Tell whether a pynput event's key is the push-to-talk key."""
        if isinstance(self.target, self._keyboard.Key):
            return key == self.target
        char = getattr(key, "char", None)
        return char is not None and char.lower() == self.target.char

    def start(self, on_key: OnKey) -> None:
        """Listen for the key in pynput's thread."""
        # pynput stops a listener whose callback returns False, so these return None whatever the key.
        def pressed(key) -> None:
            if self.matches(key):
                on_key(True)

        def released(key) -> None:
            if self.matches(key):
                on_key(False)

        self._listener = self._keyboard.Listener(on_press=pressed, on_release=released)
        self._listener.start()
        self._listener.wait()

    def stop(self) -> None:
        """Stop listening."""
        if self._listener is not None:
            # The X record loop sees the stop only at its next event; it is a daemon thread, so do not wait.
            self._listener.stop()


class EvdevKey:
    """A key read straight from a Linux input device, with or without a desktop session."""

    def __init__(self, path: str, code: str):
        try:
            import evdev  # noqa: PLC0415
        except ImportError:
            raise StationError("--ptt evdev: needs the evdev package (Linux only)") from None
        self._evdev = evdev
        self.code = key_code(code)
        self.path = path
        self._device = None
        self._stop = threading.Event()

    def handle(self, event, on_key: OnKey) -> None:
        """Pass one input event on if it is the key going down or up (auto-repeat is ignored)."""
        if event.type == self._evdev.ecodes.EV_KEY and event.code == self.code and event.value in (0, 1):
            on_key(event.value == 1)

    def start(self, on_key: OnKey) -> None:
        """Open the device and read it in a background thread."""
        try:
            self._device = self._evdev.InputDevice(self.path)
        except OSError as exc:
            raise StationError(f"cannot open {self.path}: {exc.strerror} (are you in the input group?)") from None

        def read() -> None:
            try:
                for event in self._device.read_loop():
                    if self._stop.is_set():
                        return
                    self.handle(event, on_key)
            except OSError:
                on_key(False)  # The pedal was unplugged: never leave the floor held.

        threading.Thread(target=read, name="ptt-evdev", daemon=True).start()

    def stop(self) -> None:
        """Stop reading and close the device."""
        self._stop.set()
        if self._device is not None:
            self._device.close()


def key_code(name: str) -> int:
    """Return the evdev code of a key name such as KEY_F9, or raise StationError."""
    from evdev import ecodes  # noqa: PLC0415

    code = ecodes.ecodes.get(name)
    if code is None:
        raise StationError(f"unknown evdev key {name!r}; --list-keys shows the keys of each device")
    return code


class TerminalKey:
    """The space bar in this terminal. A terminal reports no key-up, so each press toggles."""

    toggles = True

    def __init__(self):
        if not sys.stdin.isatty():
            raise StationError("--ptt terminal needs an interactive terminal; use --ptt key:... or file")
        self._stop = threading.Event()
        self._held = False

    def start(self, on_key: OnKey) -> None:
        """Read the terminal in raw mode in a background thread."""
        import termios  # noqa: PLC0415 - POSIX only
        import tty  # noqa: PLC0415

        fd = sys.stdin.fileno()
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)

        def read() -> None:
            while not self._stop.is_set():
                if os.read(fd, 1) == b" ":
                    on_key(True)
                    on_key(False)

        threading.Thread(target=read, name="ptt-terminal", daemon=True).start()

    def stop(self) -> None:
        """Restore the terminal."""
        import termios  # noqa: PLC0415

        self._stop.set()
        termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)


def list_keys() -> str:
    """Return the input devices evdev can read and the keys each one has, to pick --ptt evdev:..."""
    try:
        import evdev  # noqa: PLC0415
    except ImportError:
        return "evdev is not installed (Linux only); on a desktop use --ptt key:NAME (f9, space, page_down)"
    lines = []
    for path in evdev.list_devices():
        try:
            device = evdev.InputDevice(path)
        except OSError as exc:
            lines.append(f"{path}: cannot open ({exc.strerror})")
            continue
        keys = device.capabilities(verbose=True).get(("EV_KEY", evdev.ecodes.EV_KEY), [])
        names = [n if isinstance(n, str) else n[0] for n, _ in keys]
        shown = ", ".join(names[:12]) + (f", ... ({len(names)} keys)" if len(names) > 12 else "")
        lines.append(f"{path}: {device.name}: {shown or 'no keys'}")
        device.close()
    if not lines:
        lines.append("no readable input devices under /dev/input (try sudo, or add yourself to the input group)")
    lines.append("use --ptt evdev:PATH:KEY_NAME, or on a desktop --ptt key:NAME (f9, space, page_down)")
    return "\n".join(lines)
