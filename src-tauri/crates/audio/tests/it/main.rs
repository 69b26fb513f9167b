//! Integration tests of switchboard-audio: codec against audioop's vectors, resampling quality and
//! streaming, framing and pacing, call recordings, WAV reading and MP3 decoding, and no allocation per frame.

mod frame;
mod mp3;
mod mulaw;
mod no_alloc;
mod pacer;
mod recording;
mod resample;
mod signal;
