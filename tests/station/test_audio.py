"""Audio sources: resampling to 16 kHz and WAV files paced like a microphone."""
import time
import wave

import numpy as np

from ccc.station import audio


def test_resample_keeps_a_tone_clean():
    tone = (np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050) * 10000).astype(np.int16)
    out = audio.resample(tone, 22050)
    expected = np.sin(2 * np.pi * 1000 * np.arange(len(out)) / 16000) * 10000
    assert len(out) == 16000
    assert np.abs(out[50:-50] - expected[50:-50]).max() < 100  # under 1 % of the amplitude


def test_espeak_wav_becomes_16k_mono(say):
    path = say("one two three")
    with wave.open(str(path)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    pcm = audio.read_wav(path)
    assert abs(len(pcm) / 2 / audio.RATE - seconds) < 0.01


def _play(path, speed):
    source = audio.WavSource(path, speed=speed)
    events = []
    source.on_pass_start = lambda: events.append("press")
    source.on_pass_end = lambda: events.append("release")
    source.on_finished = lambda: events.append("end")
    began = time.monotonic()
    source.start(lambda pcm: events.append(len(pcm)))
    source._thread.join(10)
    return source, events, time.monotonic() - began


def test_wav_source_paces_in_real_time_and_brackets_audio_with_the_key(say):
    source, events, took = _play(say("a short sentence to pace"), speed=1)
    assert events[0] == "press" and events[-2:] == ["release", "end"]
    assert sum(e for e in events if isinstance(e, int)) == len(source.pcm)
    assert took >= source.duration_s * 0.9


def test_speed_zero_reads_as_fast_as_possible(say):
    source, _, took = _play(say("a short sentence to pace"), speed=0)
    assert took < source.duration_s / 5
