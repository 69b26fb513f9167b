//! Mu-law against Python's audioop: every code decoded, every 16-bit sample encoded
//! (fixtures made by tests/fixtures/make_mulaw_vectors.py).

use switchboard_audio::mulaw;

const DECODED: &[u8] = include_bytes!("../fixtures/ulaw_decode.bin");
const ENCODED: &[u8] = include_bytes!("../fixtures/ulaw_encode.bin");

#[test]
fn decoding_every_code_matches_audioop() {
    let codes: Vec<u8> = (0..=255).collect();
    let mut samples = Vec::new();
    mulaw::decode(&codes, &mut samples);
    let expected: Vec<i16> = DECODED.chunks_exact(2).map(|pair| i16::from_le_bytes([pair[0], pair[1]])).collect();
    assert_eq!(samples, expected);
}

#[test]
fn encoding_every_sample_matches_audioop() {
    let samples: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    let mut codes = Vec::new();
    mulaw::encode(&samples, &mut codes);
    assert_eq!(codes.len(), ENCODED.len());
    let mismatches: Vec<(i16, u8, u8)> = samples
        .iter()
        .zip(codes.iter().zip(ENCODED))
        .filter(|(_, (ours, theirs))| ours != theirs)
        .map(|(&sample, (&ours, &theirs))| (sample, ours, theirs))
        .take(5)
        .collect();
    assert!(mismatches.is_empty(), "(sample, ours, audioop): {mismatches:?}");
}

#[test]
fn decode_and_encode_append_to_the_callers_buffer() {
    let mut samples = vec![7];
    mulaw::decode(&[0xFF, 0x80], &mut samples);
    assert_eq!(samples, [7, 0, 32124]);
    let mut codes = vec![1];
    mulaw::encode(&[0, -32768], &mut codes);
    assert_eq!(codes, [1, 0xFF, 0x00]);
}
