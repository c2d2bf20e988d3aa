"""Caption timing and subtitle cues: when each caption was said, and how it is cut into readable cues.

Rules (docs/transcripts.md, "Subtitles"):
- A caption's span comes from its ``started_at``/``ended_at``, else its word timings, else it is estimated
  from its text length (about 15 characters a second) ending when the hub stored it.
- Cue times count from the start of the first exported session that has captions (00:00:00.000 there), or
  from the first caption if that came earlier, so no time is negative.
- A cue has at most 2 lines of at most 42 characters, broken between words; a longer word is hard-wrapped.
  A caption's time is shared among its cues by word timings when they match the text, else by characters.
- Cues keep the order of the captions, never overlap, and last at least ``MIN_CUE_MS``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .model import CaptionRecord, Transcript

MAX_LINE = 42
MAX_LINES = 2
MIN_CUE_MS = 500
CHARS_PER_SECOND = 15
MIN_ESTIMATE_MS = 1_000
MAX_ESTIMATE_MS = 20_000
UNKNOWN_SPEAKER = "Unknown speaker"
# The wire allows word times relative to the utterance start as well as epoch ms; no epoch time in ms is
# below this (it is 1973), so smaller values are offsets.
EPOCH_MS_FLOOR = 1e11
# Control characters are invisible in captions and make DOCX (XML) writing fail, so they are dropped; the
# ones Python counts as whitespace (\x0b, \x0c, \x1c-\x1f) become spaces instead, like any whitespace.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f\ufffe\uffff]")


@dataclass(slots=True)
class Cue:
    """One subtitle: its times in ms from the export origin, its lines, and who spoke."""

    start: int
    end: int
    lines: list[str]
    speaker: str


def clean_text(text: str) -> str:
    """Return text on one line: control characters dropped, runs of whitespace made one space."""
    return " ".join(_CONTROL.sub("", text).split())


def speaker_label(name: str) -> str:
    """Return the name to show for a speaker, never empty."""
    return clean_text(name) or UNKNOWN_SPEAKER


def estimate_ms(text: str) -> int:
    """Return how long saying ``text`` takes, clamped to a plausible range."""
    return min(max(round(len(text) * 1000 / CHARS_PER_SECOND), MIN_ESTIMATE_MS), MAX_ESTIMATE_MS)


def _word_spans(caption: CaptionRecord) -> list[tuple[float, float]] | None:
    """Return the caption's word times in epoch ms, or None when it has none."""
    if not caption.words:
        return None
    offset = 0.0
    last_end = max(word.end for word in caption.words)
    if last_end < EPOCH_MS_FLOOR:
        # Relative times: anchor them at the utterance start, else at the moment the hub stored it.
        offset = caption.started_at if caption.started_at is not None else caption.created_at * 1000 - last_end
    return [(word.start + offset, word.end + offset) for word in caption.words]


def caption_span(caption: CaptionRecord) -> tuple[int, int]:
    """Return when the caption was said, as (start, end) in epoch ms, estimating what is missing."""
    estimate = estimate_ms(clean_text(caption.text))
    start, end = caption.started_at, caption.ended_at
    words = _word_spans(caption)
    if words:
        start = min(s for s, _ in words) if start is None else start
        end = max(e for _, e in words) if end is None else end
    if start is None and end is None:
        end = caption.created_at * 1000
    if start is None:
        start = end - estimate
    if end is None or end <= start:
        end = start + estimate
    return round(start), round(end)


def _token_times(tokens: list[str], start: int, end: int) -> list[tuple[float, float]]:
    """Share [start, end] among tokens in proportion to their length (each with its following space)."""
    total = sum(len(token) + 1 for token in tokens)
    span = end - start
    times, pos = [], 0
    for token in tokens:
        times.append((start + span * pos / total, start + span * (pos + len(token) + 1) / total))
        pos += len(token) + 1
    return times


def _pieces(tokens: list[str], times: list[tuple[float, float]]) -> list[tuple[str, float, float]]:
    """Cut tokens longer than a line into line-long pieces, sharing each token's time among its pieces."""
    pieces = []
    for token, (t0, t1) in zip(tokens, times):
        if len(token) <= MAX_LINE:
            pieces.append((token, t0, t1))
            continue
        for i in range(0, len(token), MAX_LINE):
            chunk = token[i:i + MAX_LINE]
            k0, k1 = i / len(token), (i + len(chunk)) / len(token)
            pieces.append((chunk, t0 + (t1 - t0) * k0, t0 + (t1 - t0) * k1))
    return pieces


def _lines(pieces: list[tuple[str, float, float]]) -> list[list[tuple[str, float, float]]]:
    """Fill lines of at most MAX_LINE characters with pieces, greedily."""
    lines: list[list[tuple[str, float, float]]] = []
    width = 0
    for piece in pieces:
        if lines and width + 1 + len(piece[0]) <= MAX_LINE:
            lines[-1].append(piece)
            width += 1 + len(piece[0])
        else:
            lines.append([piece])
            width = len(piece[0])
    return lines


def caption_cues(caption: CaptionRecord, prefix: str = "") -> list[Cue]:
    """Cut one caption into cues timed in epoch ms; ``prefix`` (a speaker label) opens the first line."""
    tokens = clean_text(caption.text).split()
    if not tokens:
        return []
    start, end = caption_span(caption)
    words = _word_spans(caption)
    label = prefix.split()
    if words and len(words) == len(tokens):
        # The label is not spoken: it takes no time, shown with the first word.
        times = [(words[0][0], words[0][0])] * len(label) + words
    else:
        # A correction that changed the number of words leaves the word timings unaligned with the text.
        times = _token_times(label + tokens, start, end)
    lines = _lines(_pieces(label + tokens, times))
    speaker = speaker_label(caption.speaker_name)
    cues = []
    for i in range(0, len(lines), MAX_LINES):
        group = lines[i:i + MAX_LINES]
        cues.append(Cue(
            start=round(group[0][0][1]),
            end=round(group[-1][-1][2]),
            lines=[" ".join(piece[0] for piece in line) for line in group],
            speaker=speaker,
        ))
    return cues


def _separate(cues: list[Cue]) -> None:
    """Make cues follow one another: clip each end to the next start, keeping MIN_CUE_MS per cue."""
    previous = None
    for cue in cues:
        if previous is not None:
            if cue.start < previous.start:
                # Its clock disagrees with the caption order (another station's clock, a late final): the
                # order wins, so it follows the previous cue whole instead of cutting that one short.
                cue.start, cue.end = previous.end, previous.end + (cue.end - cue.start)
            elif previous.end > cue.start:
                previous.end = max(cue.start, previous.start + MIN_CUE_MS)
            cue.start = max(cue.start, previous.end)
        cue.end = max(cue.end, cue.start + MIN_CUE_MS)
        previous = cue


def build_cues(transcript: Transcript, label_speakers: bool = False) -> list[Cue]:
    """Return the transcript's cues, timed from the export origin; label speakers in the text if asked."""
    cues: list[Cue] = []
    origin = None
    for session in transcript.sessions:
        last_speaker = None
        for caption in session.captions:
            speaker = (caption.speaker_id, speaker_label(caption.speaker_name))
            prefix = f"{speaker[1]}:" if label_speakers and speaker != last_speaker else ""
            made = caption_cues(caption, prefix)
            if not made:
                continue
            last_speaker = speaker
            if origin is None:
                origin = min(round(session.started_at * 1000), made[0].start)
            cues.extend(made)
    if origin is None:
        return []
    for cue in cues:
        cue.start -= origin
        cue.end -= origin
    _separate(cues)
    return cues
