//! Cutting a mu-law byte stream into 20 ms frames.

use switchboard_audio::{FRAME_BYTES, Frame, Framer};

#[test]
fn chunks_of_any_size_become_whole_frames_in_order() {
    let stream: Vec<u8> = (0..1000u32).map(|n| (n % 251) as u8).collect();
    let mut framer = Framer::new();
    let mut frames: Vec<Frame> = Vec::new();
    for chunk in stream.chunks(37).chain([&[][..]]) {
        framer.push(chunk, |frame| frames.push(*frame));
    }
    assert_eq!(frames.len(), 1000 / FRAME_BYTES);
    assert_eq!(frames.concat(), stream[..frames.len() * FRAME_BYTES]);
    assert_eq!(framer.pending(), 1000 % FRAME_BYTES);

    let last = framer.finish().expect("40 bytes were held back");
    assert_eq!(last[..40], stream[960..]);
    assert!(last[40..].iter().all(|&code| code == 0xFF), "padded with mu-law silence");
    assert_eq!(framer.finish(), None);
}

#[test]
fn a_push_of_several_frames_at_once_and_a_clear() {
    let mut framer = Framer::new();
    let mut count = 0;
    framer.push(&[1; 3 * FRAME_BYTES + 5], |frame| {
        assert_eq!(frame, &[1; FRAME_BYTES]);
        count += 1;
    });
    assert_eq!((count, framer.pending()), (3, 5));
    framer.clear();
    assert_eq!(framer.finish(), None);
}
