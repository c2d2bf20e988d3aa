"""Run the presenter station: ``python -m ccc.station --hub URL --room CODE --name NAME ...``.

Also ``python -m ccc.station meter --input FILE.wav|DEVICE``, ``python -m ccc.station models list`` and
``python -m ccc.station models download LANG|whisper:NAME``.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ccc.station import StationError, audio, engines, meter, ptt, whisper_base, whisper_models
from ccc.station import vosk_models as models
from ccc.station.hub_link import HubLink
from ccc.station.spool import Spool, default_path
from ccc.station.station import Station

DRAIN_S = 15.0
PASSWORD_ENV = "CCC_ROOM_PASSWORD"
KEY_ENV = "CCC_ROOM_KEY"


def build_parser() -> argparse.ArgumentParser:
    """Return the station's command-line parser."""
    parser = argparse.ArgumentParser(prog="python -m ccc.station", description="CCC presenter station")
    parser.add_argument("--hub", help="hub URL, e.g. http://192.168.1.10:5000")
    parser.add_argument("--room", help="room code")
    parser.add_argument("--name", help="presenter name shown to the room")
    parser.add_argument("--pin", help="the room's presenter PIN")
    parser.add_argument("--room-key", help="the key of an end-to-end encrypted room (the part after #k=); better "
                                           f"in {KEY_ENV} or --room-key-file (others see a command line)")
    parser.add_argument("--room-key-file", help="a file holding the room key; - reads it from standard input")
    parser.add_argument("--join-url", help="a room link, http://HUB/r/CODE#k=KEY (or #p=PASSWORD): sets --hub, "
                                           "--room, --room-key and --password")
    parser.add_argument("--password", help="a private room's read password, needed without the room's PIN; "
                                           f"better in {PASSWORD_ENV} or the link (others see a command line)")
    parser.add_argument("--engine", choices=list(engines.ENGINES),
                        help="default: Whisper (two passes) for English, Whisper base for other languages")
    parser.add_argument("--model", help="Whisper: a CTranslate2 folder or a name (tiny.en, base, ...); "
                                        "Vosk: a model folder or language code (see: models list)")
    parser.add_argument("--lang", default="en", help="language spoken (default en): others get Whisper base with "
                                                     "punctuation, or their Vosk model (see: models list)")
    parser.add_argument("--translate-to", metavar="en", help="caption in English what is said in --lang "
                                                             "(Whisper's translate task)")
    parser.add_argument("--translate", metavar="pt,es", help="end-to-end encrypted rooms: translate each final "
                                                             "into these languages here, sealed with the room key")
    parser.add_argument("--input", help="audio device number or name, or a WAV file")
    parser.add_argument("--speed", type=float, default=1.0, help="WAV pacing: 1 real time, 0 as fast as possible")
    parser.add_argument("--loop", action="store_true", help="play the WAV file again and again")
    parser.add_argument("--ptt", help="key:NAME, evdev:/dev/input/eventN:KEY_X, terminal, or file")
    parser.add_argument("--mode", choices=["hold", "toggle"], default="hold")
    parser.add_argument("--verbatim", action="store_true",
                        help="keep hesitations (uh, um, er, hmm) in captions; by default they are left out")
    parser.add_argument("--beep", action="store_true", help="beep when the floor is denied")
    parser.add_argument("--spool", type=Path, help=f"spool file for finals (default {default_path()})")
    parser.add_argument("--list-devices", action="store_true", help="list audio devices and exit")
    parser.add_argument("--list-keys", action="store_true", help="list input devices and keys and exit")
    return parser


def models_command(args: list[str]) -> int:
    """Run `models list`, `models download LANG` (Vosk), `models download whisper:NAME` or `models measure`."""
    parser = argparse.ArgumentParser(prog="python -m ccc.station models")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="list the Vosk and Whisper models to download and those installed")
    download = sub.add_parser("download", help="fetch the Vosk model for a language, or whisper:NAME")
    download.add_argument("lang", help="a language code (Vosk: en-us, ko, ...) or whisper:NAME (whisper:base.en)")
    sub.add_parser("measure", help="measure this PC again and choose the English default (Whisper base or tiny.en)")
    options = parser.parse_args(args)
    if options.action == "measure":
        from ccc.station import choice  # noqa: PLC0415 - loads Whisper

        choice.measure_again()
        return 0
    if options.action == "download":
        if options.lang.lower() == "whisper:base" and whisper_base.sources() is not None:
            print(f"model ready: {whisper_base.install()}")  # its PyPI halves are here: join them, no download
            return 0
        fetch = whisper_models.download if whisper_models.is_whisper(options.lang) else models.download
        print(f"model ready: {fetch(options.lang)}")
        return 0
    from ccc.station.languages import served  # noqa: PLC0415

    for lang, serving in served():
        print(f"language   {lang:17} {serving}")
    for model in models.installed():
        print(f"installed  vosk     {model['lang'] or '?':8} {model['path']}")
    mine = {model["name"]: model["path"] for model in whisper_models.installed()}
    for name, path in mine.items():
        print(f"installed  whisper  {name:17} {whisper_models.size_text(name):>8}  {path}")
    packaged = whisper_base.sources() is not None
    for name in whisper_models.repositories():
        if name not in mine:
            how = "joined from its PyPI packages at first use" if name == whisper_base.NAME and packaged \
                else f"models download whisper:{name}"
            print(f"available  whisper  {name:17} {whisper_models.size_text(name):>8}  {how}")
    try:
        entries = models.fetch_list()
    except StationError as exc:  # offline: what is installed is still worth listing
        print(f"the online list of Vosk models could not be fetched: {exc}")
        return 0
    for entry in entries:
        if str(entry.get("obsolete")) != "true":
            print(f"available  vosk     {entry['lang']:8} {entry.get('size_text', ''):>8}  {entry['name']}")
    return 0


def run(options: argparse.Namespace) -> int:
    """Run the station until the input ends or Ctrl-C."""
    room_key = _room_key(options)
    for flag in ("hub", "room", "name"):
        if not getattr(options, flag):
            raise StationError(f"--{flag} is required")
    translator = None
    if options.translate:
        if room_key is None:
            raise StationError("--translate is for end-to-end encrypted rooms; in other rooms the hub translates "
                               "and each reader picks a language on the phone")
        from ccc.station.translating import make_translator  # noqa: PLC0415 - models only when asked for

        translator = make_translator(options.translate, (options.translate_to or options.lang).split("-")[0])
    recognizer = engines.load(options.engine, options.model, lang=options.lang, translate_to=options.translate_to)
    source = audio.open_source(options.input, speed=options.speed, loop=options.loop)
    is_file = isinstance(source, audio.WavSource)
    ptt_spec = options.ptt or ("file" if is_file else "terminal")
    if ptt_spec == "file" and not is_file:
        raise StationError("--ptt file needs --input FILE.wav")
    mode = options.mode
    if ptt_spec == "terminal" and mode == "hold":
        mode = "toggle"  # A terminal sees no key-up: space starts and space stops.
    status = meter.MeterStatus(sys.stderr, meter.Meter())
    spool = Spool(options.spool or default_path(), options.room.upper())
    spool.prune()
    link = HubLink(options.hub, options.room, options.name, spool, pin=options.pin,
                   on_change=lambda: station.refresh(), on_vocabulary=lambda vocab: station.set_vocabulary(vocab),
                   room_key=room_key, password=_room_password(options), translator=translator)
    status.link = link  # the meter's advice goes to the presenter console too
    station = Station(recognizer, link, mode="hold" if ptt_spec == "file" else mode, beep=options.beep,
                      status=status, on_final=lambda payload: print(payload["text"], flush=True),
                      verbatim=options.verbatim, on_audio=status.hear)
    link.start()
    key_source = None
    if ptt_spec == "file":
        source.on_pass_start = lambda: station.key(True)
        source.on_pass_end = lambda: station.key(False)
    else:
        key_source = ptt.open_source(ptt_spec, station.key)
    if is_file:
        source.on_finished = station.end_of_input
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *args: station.end_of_input())
    station.start()
    if is_file:
        _wait_connected(link, timeout=10)  # A recorded lecture waits for the hub; a live voice does not.
    source.start(station.audio)  # the recognition thread also feeds the meter (status.hear), off the audio callback
    try:
        while station._thread.is_alive() and link.fatal is None and not stop.is_set():
            station.join(timeout=0.2)
    except KeyboardInterrupt:
        station.end_of_input()
        station.join(timeout=5)
    finally:
        source.stop()
        if key_source is not None:
            key_source.stop()
    if link.fatal:
        station.stop()
        raise StationError(link.fatal)
    if not link.drain(DRAIN_S):
        status.say(f"{spool.count()} finals kept in {spool.path}; they are sent at the next start")
    link.close()
    status.say("")
    return 0


def _room_key(options: argparse.Namespace) -> bytes | None:
    """Take hub, room and key from --join-url, and return the room key's bytes (None for an ordinary room).

    The key: --room-key, --room-key-file (- is standard input), the link's #k=, or CCC_ROOM_KEY.
    """
    if options.room_key_file:
        try:
            text = sys.stdin.read() if options.room_key_file == "-" else Path(options.room_key_file).read_text()
        except OSError as exc:
            raise StationError(f"cannot read the room key: {exc}") from None
        options.room_key = options.room_key or text.strip()
    if not options.join_url and not options.room_key and not os.environ.get(KEY_ENV):
        return None
    from ccc import e2e  # noqa: PLC0415 - only e2e rooms need cryptography

    options.room_key = options.room_key or None
    try:
        if options.join_url:
            hub, room, key = e2e.from_join_url(options.join_url)
            options.hub, options.room = options.hub or hub, options.room or room
            options.room_key = options.room_key or key or None
        options.room_key = options.room_key or os.environ.get(KEY_ENV, "").strip() or None
        if not options.room_key:
            return None  # a plain room's link
        return e2e.parse_key(options.room_key)
    except e2e.E2EError as exc:
        raise StationError(str(exc)) from None


def _room_password(options: argparse.Namespace) -> str | None:
    """Return a private room's read password: --password, the link's #p=, or the CCC_ROOM_PASSWORD variable."""
    if options.password:
        return options.password
    found = re.search(r"(?:^|&)p=([^&]*)", urlsplit(options.join_url or "").fragment)
    if found and found.group(1):
        return unquote(found.group(1))  # as the hub's links write it (percent-encoded, '+' kept)
    return os.environ.get(PASSWORD_ENV) or None


def _wait_connected(link: HubLink, timeout: float) -> None:
    import time  # noqa: PLC0415

    deadline = time.monotonic() + timeout
    while not link.joined and link.fatal is None and time.monotonic() < deadline:
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run; print a StationError on one line and return non-zero."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["models"]:
            return models_command(argv[1:])
        if argv[:1] == ["meter"]:
            return meter.command(argv[1:])
        options = build_parser().parse_args(argv)
        if options.list_devices:
            print(audio.list_devices())
            return 0
        if options.list_keys:
            print(ptt.list_keys())
            return 0
        return run(options)
    except StationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
