//! Integration tests of switchboard-audio: codec against audioop's vectors, resampling quality and
//! streaming, framing and pacing, call recordings and WAV reading, and no allocation per frame.

mod frame;
mod mulaw;
mod no_alloc;
mod pacer;
mod recording;
mod resample;
mod signal;
