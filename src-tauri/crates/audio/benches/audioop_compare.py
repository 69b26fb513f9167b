"""Python's audioop on the same input as benches/codec.rs, printed in the same units.

    python3 src-tauri/crates/audio/benches/audioop_compare.py

audioop is C code called once per buffer, so it is timed two ways: on the whole 60 s in one call
(its best case) and in 20 ms frames (ratecv carrying its state), as a call's media stream arrives
and as codec.rs feeds Rust. Best of 5 runs each. Needs Python 3.11 or 3.12 (audioop left the
standard library in 3.13). The checksums must equal codec.rs's: then both ran on the same samples.
"""

import math
import sys
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

SECONDS = 60
RUNS = 5


def signal(rate, seconds):
    """Two tones and deterministic noise: the same samples as codec.rs's `signal`."""
    state = 12345
    out = []
    for n in range(rate * seconds):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        noise = float((state >> 16) % 2001) - 1000.0
        t = n / rate
        value = 8000.0 * math.sin(2.0 * math.pi * 220.0 * t) + 4000.0 * math.sin(2.0 * math.pi * 1230.0 * t) + noise
        out.append(int(math.copysign(math.floor(abs(value) + 0.5), value)))  # Rust's f64::round
    return out


def pcm_bytes(samples):
    return b"".join(sample.to_bytes(2, "little", signed=True) for sample in samples)


def checksum(data):
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def best_of(run):
    best = math.inf
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def row(name, mode, samples, bytes_per_sample, seconds):
    per_second = samples / seconds
    print(f"{name:<16} {mode:<9} {samples:>10} {per_second / 1e6:>12.1f} {per_second * bytes_per_sample / 1e6:>10.1f} {SECONDS / seconds:>10.0f}x")


def frames(data, size):
    return [data[i : i + size] for i in range(0, len(data), size)]


def main():
    speech = pcm_bytes(signal(8000, SECONDS))
    codes = audioop.lin2ulaw(speech, 2)
    print(f"input: {SECONDS} s; 8 kHz signal checksum {checksum(speech):08x}, its mu-law checksum {checksum(codes):08x}")
    print(f"{'operation':<16} {'mode':<9} {'samples':>10} {'Msamples/s':>12} {'MB/s':>10} {'realtime':>11}")

    code_frames, speech_frames = frames(codes, 160), frames(speech, 320)
    row("ulaw decode", "whole", len(codes), 1, best_of(lambda: audioop.ulaw2lin(codes, 2)))
    row("ulaw decode", "20 ms", len(codes), 1, best_of(lambda: [audioop.ulaw2lin(f, 2) for f in code_frames]))
    row("ulaw encode", "whole", len(codes), 2, best_of(lambda: audioop.lin2ulaw(speech, 2)))
    row("ulaw encode", "20 ms", len(codes), 2, best_of(lambda: [audioop.lin2ulaw(f, 2) for f in speech_frames]))

    inputs = {8000: speech, 16000: pcm_bytes(signal(16000, SECONDS)), 48000: pcm_bytes(signal(48000, SECONDS))}
    for name, source, target in [("8k -> 16k", 8000, 16000), ("8k -> 48k", 8000, 48000), ("48k -> 8k", 48000, 8000), ("16k -> 8k", 16000, 8000)]:
        data = inputs[source]
        samples = len(data) // 2
        row(name, "whole", samples, 2, best_of(lambda: audioop.ratecv(data, 2, 1, source, target, None)))
        pieces = frames(data, source // 50 * 2)

        def streamed():
            state = None
            for piece in pieces:
                _, state = audioop.ratecv(piece, 2, 1, source, target, state)

        row(name, "20 ms", samples, 2, best_of(streamed))


if __name__ == "__main__":
    sys.exit(main())
