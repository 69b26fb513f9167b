//! Listening in on a live call: both parties' 20 ms mu-law frames, as the engine receives and sends
//! them, mixed on the speakers with the same volume, mute and meter as the player.
//!
//! [`LiveMonitor::open`] returns the monitor (the controls, kept by the UI side) and a
//! [`MonitorFeed`] (kept by the engine's media task). The feed decodes each frame, resamples it from
//! 8 kHz to the device's rate and puts it in that party's ring (`rtrb`, a wait-free single-producer
//! single-consumer ring), without blocking and without allocating. A frame that finds its ring full
//! is dropped and counted. The callback mixes the two rings; each party's audio starts once 40 ms
//! are queued (a small jitter buffer, taken again after it runs dry), and a queue grown past 200 ms
//! (the network outpacing the sound card's clock) is cut back, so the delay stays short.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cpal::traits::StreamTrait;
use rtrb::{Consumer, Producer, RingBuffer};
use switchboard_audio::{Level, MULAW_RATE, Party, Resampler, mulaw};

use crate::controls::Controls;
use crate::device::{Output, OutputFormat};
use crate::error::{Result, SpeakerError};
use crate::stream::{self, Render, StreamErrors, write_frame};

/// Capacity of each party's ring.
const RING_MS: u32 = 1000;
/// Audio queued before a party is heard.
const PREBUFFER_MS: u32 = 40;
/// Queue beyond which a party's audio is cut back to the prebuffer.
const MAX_QUEUE_MS: u32 = 200;
/// Longest frame the feed takes at once without allocating.
const MAX_FRAME_MS: u32 = 100;

/// A live call on an output device: the controls. Audio stops when it is dropped.
pub struct LiveMonitor {
    _stream: cpal::Stream,
    controls: Arc<Controls>,
    errors: Arc<StreamErrors>,
    dropped: Arc<AtomicU64>,
    format: OutputFormat,
}

/// The engine's end of a [`LiveMonitor`]: pushes each party's frames.
pub struct MonitorFeed {
    parties: [PartyFeed; 2],
    dropped: Arc<AtomicU64>,
}

struct PartyFeed {
    producer: Producer<f32>,
    decoded: Vec<i16>,
    resampler: Resampler,
    resampled: Vec<i16>,
}

/// The callback's end: both parties' rings, mixed.
struct Mixer {
    parties: [PartyQueue; 2],
    prebuffer: usize,
    max_queue: usize,
}

struct PartyQueue {
    consumer: Consumer<f32>,
    primed: bool,
}

impl LiveMonitor {
    /// Opens the output called `device` (or the default one) and starts playing whatever is fed.
    pub fn open(device: Option<&str>) -> Result<(Self, MonitorFeed)> {
        let output = Output::open(device)?;
        let format = output.format();
        let (feed, mixer) = rings(format.sample_rate)?;
        let controls = Arc::new(Controls::new());
        let errors = Arc::new(StreamErrors::default());
        let dropped = feed.dropped.clone();
        let stream = stream::build(&output, controls.clone(), errors.clone(), mixer)?;
        stream.play().map_err(|error| SpeakerError::Output(error.to_string()))?;
        Ok((Self { _stream: stream, controls, errors, dropped, format }, feed))
    }

    /// Sets the volume: 0 to [`MAX_VOLUME`](crate::MAX_VOLUME) (1.5), clamped.
    pub fn set_volume(&self, volume: f32) {
        self.controls.set_volume(volume);
    }

    pub fn volume(&self) -> f32 {
        self.controls.volume()
    }

    pub fn set_muted(&self, muted: bool) {
        self.controls.set_muted(muted);
    }

    pub fn is_muted(&self) -> bool {
        self.controls.is_muted()
    }

    /// Level of the mixed call before volume and mute, over the device's last buffer.
    pub fn level(&self) -> Level {
        self.controls.level()
    }

    /// Frames dropped so far because a party's ring was full.
    pub fn dropped_frames(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The format the device plays at.
    pub fn format(&self) -> &OutputFormat {
        &self.format
    }

    /// The last error the device reported (unplugged, …), if any.
    pub fn stream_error(&self) -> Option<String> {
        self.errors.last()
    }
}

impl MonitorFeed {
    /// Queues `party`'s mu-law audio (8 kHz, normally one 160-byte frame). Never blocks: returns
    /// false, and counts a dropped frame, when the party's ring has no room for it.
    pub fn push(&mut self, party: Party, codes: &[u8]) -> bool {
        let feed = &mut self.parties[party.channel()];
        let queued = feed.queue(codes);
        if !queued {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        queued
    }

    /// Frames dropped so far because a party's ring was full.
    pub fn dropped_frames(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Whether the monitor is still there to play what is pushed (false once it was dropped: the
    /// engine can stop feeding).
    pub fn is_listened_to(&self) -> bool {
        !self.parties[0].producer.is_abandoned()
    }
}

impl PartyFeed {
    fn queue(&mut self, codes: &[u8]) -> bool {
        self.decoded.clear();
        mulaw::decode(codes, &mut self.decoded);
        self.resampled.clear();
        self.resampler.process(&self.decoded, &mut self.resampled);
        let Ok(chunk) = self.producer.write_chunk_uninit(self.resampled.len()) else { return false };
        chunk.fill_from_iter(self.resampled.iter().map(|&sample| f32::from(sample) / 32768.0));
        true
    }
}

/// The two parties' rings for a device at `rate`: the feed's end and the callback's end.
fn rings(rate: u32) -> Result<(MonitorFeed, Mixer)> {
    let samples = |ms: u32| (u64::from(rate) * u64::from(ms) / 1000) as usize;
    let party = || -> Result<(PartyFeed, PartyQueue)> {
        let (producer, consumer) = RingBuffer::new(samples(RING_MS));
        let resampler = Resampler::new(MULAW_RATE, rate).map_err(|error| SpeakerError::Output(error.to_string()))?;
        let largest_frame = (MULAW_RATE * MAX_FRAME_MS / 1000) as usize;
        let feed = PartyFeed {
            producer,
            decoded: Vec::with_capacity(largest_frame),
            resampled: Vec::with_capacity(resampler.output_capacity(largest_frame)),
            resampler,
        };
        Ok((feed, PartyQueue { consumer, primed: false }))
    };
    let (caller_feed, caller_queue) = party()?;
    let (agent_feed, agent_queue) = party()?;
    let feed = MonitorFeed { parties: [caller_feed, agent_feed], dropped: Arc::new(AtomicU64::new(0)) };
    let mixer = Mixer {
        parties: [caller_queue, agent_queue],
        prebuffer: samples(PREBUFFER_MS),
        max_queue: samples(MAX_QUEUE_MS),
    };
    Ok((feed, mixer))
}

impl PartyQueue {
    /// Gets the queue ready for a block: cuts back a queue grown too long, starts a primed one.
    fn prepare(&mut self, prebuffer: usize, max_queue: usize) {
        let queued = self.consumer.slots();
        if queued > max_queue
            && let Ok(stale) = self.consumer.read_chunk(queued - prebuffer)
        {
            stale.commit_all();
        }
        if !self.primed && self.consumer.slots() >= prebuffer {
            self.primed = true;
        }
    }

    /// The next sample, or silence while waiting for the prebuffer.
    fn next(&mut self) -> f32 {
        if !self.primed {
            return 0.0;
        }
        self.consumer.pop().unwrap_or_else(|_| {
            self.primed = false;
            0.0
        })
    }
}

impl Render for Mixer {
    fn render(&mut self, out: &mut [f32], channels: usize) {
        for party in &mut self.parties {
            party.prepare(self.prebuffer, self.max_queue);
        }
        let [caller, agent] = &mut self.parties;
        for frame in out.chunks_mut(channels) {
            let mixed = caller.next() + agent.next();
            write_frame(frame, mixed, mixed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48000;

    fn frame_of(code: u8) -> [u8; 160] {
        [code; 160]
    }

    #[test]
    fn a_full_ring_drops_and_counts_frames_without_blocking() {
        let (mut feed, _mixer) = rings(RATE).unwrap();
        // One second of ring takes 50 frames of 20 ms; the rest are dropped.
        let queued = (0..60).filter(|_| feed.push(Party::Caller, &frame_of(0x80))).count();
        assert!((49..=50).contains(&queued), "{queued}");
        assert_eq!(feed.dropped_frames(), 60 - queued as u64);
        assert!(feed.push(Party::Agent, &frame_of(0x80)), "the other party has its own ring");
    }

    #[test]
    fn parties_are_mixed_after_the_prebuffer_and_silence_follows_an_underrun() {
        let (mut feed, mut mixer) = rings(RATE).unwrap();
        let mut out = vec![1.0f32; 2 * 960];
        feed.push(Party::Caller, &frame_of(0xA0));
        mixer.render(&mut out, 2);
        assert!(out.iter().all(|&sample| sample == 0.0), "20 ms queued: still waiting for 40 ms");

        for _ in 0..4 {
            feed.push(Party::Caller, &frame_of(0xA0));
            feed.push(Party::Agent, &frame_of(0xA0));
        }
        mixer.render(&mut out, 2);
        let one = f32::from(mulaw::decode_sample(0xA0)) / 32768.0;
        // Past the resampler's start, a steady level: both parties summed, on both channels.
        let settled = &out[2 * 700..];
        assert!(settled.iter().all(|&sample| (sample - 2.0 * one).abs() < 0.01), "{:?}", &settled[..4]);

        let mut more = vec![1.0f32; 2 * 48000];
        mixer.render(&mut more, 2);
        assert!(more[more.len() - 100..].iter().all(|&sample| sample == 0.0), "ran dry: silence");
    }

    #[test]
    fn a_queue_grown_too_long_is_cut_back() {
        let (mut feed, mut mixer) = rings(RATE).unwrap();
        for _ in 0..40 {
            feed.push(Party::Caller, &frame_of(0xA0));
        }
        let mut out = vec![0f32; 2];
        mixer.render(&mut out, 1);
        let left = mixer.parties[0].consumer.slots();
        assert_eq!(left, mixer.prebuffer - 2, "800 ms queued, cut to 40 ms, then two samples played");
    }

    #[test]
    fn the_feed_knows_when_nobody_listens_any_more() {
        let (feed, mixer) = rings(RATE).unwrap();
        assert!(feed.is_listened_to());
        drop(mixer);
        assert!(!feed.is_listened_to());
    }

    #[test]
    fn monitors_and_players_can_live_in_shared_state() {
        fn send_and_sync<T: Send + Sync>() {}
        send_and_sync::<LiveMonitor>();
        send_and_sync::<crate::Player>();
        fn send<T: Send>() {}
        send::<MonitorFeed>();
    }
}
