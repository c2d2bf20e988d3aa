"""SRT and WebVTT exports, written by the ``srt`` and ``webvtt-py`` libraries from the shared cues."""
from __future__ import annotations

from datetime import timedelta

import srt
import webvtt

from .cues import build_cues
from .model import Transcript


def to_srt(transcript: Transcript) -> bytes:
    """Return the transcript as SRT subtitles, naming the speaker in the text whenever it changes."""
    # SRT has no speaker markup and no escaping: the label goes in the text, and the text goes as spoken.
    subtitles = [
        srt.Subtitle(
            index=None,
            start=timedelta(milliseconds=cue.start),
            end=timedelta(milliseconds=cue.end),
            content="\n".join(cue.lines),
        )
        for cue in build_cues(transcript, label_speakers=True)
    ]
    return srt.compose(subtitles).encode("utf-8")


def escape_vtt(text: str) -> str:
    """Escape text for WebVTT cue text or a tag annotation, so it cannot open or close a tag."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt_time(ms: int) -> str:
    """Format milliseconds as a WebVTT timestamp, HH:MM:SS.mmm."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def to_vtt(transcript: Transcript) -> bytes:
    """Return the transcript as WebVTT subtitles, each cue in a ``<v Speaker>`` voice span."""
    captions = [
        webvtt.Caption(
            start=_vtt_time(cue.start),
            end=_vtt_time(cue.end),
            text=[f"<v {escape_vtt(cue.speaker)}>{escape_vtt(cue.lines[0])}",
                  *(escape_vtt(line) for line in cue.lines[1:])],
        )
        for cue in build_cues(transcript)
    ]
    # The voice span runs to the end of the cue, where WebVTT lets its end tag be left out.
    content = webvtt.WebVTT(captions=captions).content
    if transcript.translation:  # a NOTE block right after the header: players skip it, readers see it
        head, _, rest = content.partition("\n")
        note = transcript.translation.replace("-->", "->")  # a NOTE may not hold "-->"
        content = f"{head}\n\nNOTE {note}\n{rest}"
    return content.encode("utf-8")
