//! G.711 mu-law (the 8 kHz telephone codec of Twilio media streams) to and from 16-bit linear PCM.
//!
//! Table-driven and bit-exact with Python's `audioop.lin2ulaw` / `audioop.ulaw2lin` (Sun's g711.c,
//! the usual reference for G.711): the tests compare every code and every 16-bit sample against
//! vectors made by audioop. The tables are computed at compile time from that algorithm: 512 bytes
//! to decode, 16 KiB to encode, indexed by the 14 significant bits of a sample.
//!
//! Hand-written rather than taken from `audio-codec-algorithms` (which rubato already pulls in):
//! that crate takes the magnitude of a negative sample by one's complement, like the ITU G.191
//! reference code, so it gives a different code for some negative samples near zero (-1 to -4
//! encode to 0x7F there, 0x7E in audioop), and it has no slice API writing into a caller's buffer.

/// The mu-law code of silence (decodes to 0).
pub const SILENCE: u8 = 0xFF;

const BIAS: i32 = 0x84;
const CLIP: i32 = 8159;
const SEGMENT_ENDS: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];

static DECODE: [i16; 256] = decode_table();
static ENCODE: [u8; 16384] = encode_table();

/// Linear sample of one mu-law code.
#[inline]
pub fn decode_sample(code: u8) -> i16 {
    DECODE[usize::from(code)]
}

/// Mu-law code of one linear sample (only its top 14 bits count, as in G.711).
#[inline]
pub fn encode_sample(sample: i16) -> u8 {
    ENCODE[((sample >> 2) as u16 & 0x3FFF) as usize]
}

/// Decodes `codes`, appending one sample per code to `out`; allocates only when `out` lacks capacity.
pub fn decode(codes: &[u8], out: &mut Vec<i16>) {
    out.extend(codes.iter().map(|&code| decode_sample(code)));
}

/// Encodes `samples`, appending one code per sample to `out`; allocates only when `out` lacks capacity.
pub fn encode(samples: &[i16], out: &mut Vec<u8>) {
    out.extend(samples.iter().map(|&sample| encode_sample(sample)));
}

const fn decode_table() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        let inverted = !(code as u8) as i32;
        let magnitude = (((inverted & 0x0F) << 3) + BIAS) << ((inverted & 0x70) >> 4);
        let linear = if inverted & 0x80 != 0 { BIAS - magnitude } else { magnitude - BIAS };
        table[code] = linear as i16;
        code += 1;
    }
    table
}

const fn encode_table() -> [u8; 16384] {
    let mut table = [0u8; 16384];
    let mut index = 0;
    while index < 16384 {
        // The index is the 14-bit two's complement value of `sample >> 2`.
        let value = if index >= 8192 { index as i32 - 16384 } else { index as i32 };
        table[index] = encode_14bit(value);
        index += 1;
    }
    table
}

const fn encode_14bit(value: i32) -> u8 {
    let (mut magnitude, mask) = if value < 0 { (-value, 0x7F) } else { (value, 0xFF) };
    if magnitude > CLIP {
        magnitude = CLIP;
    }
    magnitude += BIAS >> 2;
    let mut segment = 0;
    while segment < 8 && magnitude > SEGMENT_ENDS[segment] {
        segment += 1;
    }
    if segment >= 8 {
        return 0x7F ^ mask;
    }
    (((segment as i32) << 4) | ((magnitude >> (segment + 1)) & 0x0F)) as u8 ^ mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_and_extremes() {
        assert_eq!(decode_sample(SILENCE), 0);
        assert_eq!(decode_sample(0x7F), 0);
        assert_eq!(encode_sample(0), SILENCE);
        assert_eq!(encode_sample(-1), 0x7E);
        assert_eq!(decode_sample(0x00), -32124);
        assert_eq!(decode_sample(0x80), 32124);
        assert_eq!(encode_sample(i16::MAX), 0x80);
        assert_eq!(encode_sample(i16::MIN), 0x00);
    }

    #[test]
    fn every_code_survives_a_round_trip() {
        for code in 0..=255u8 {
            let back = encode_sample(decode_sample(code));
            // 0x7F and 0xFF both mean zero; zero encodes as 0xFF.
            let expected = if code == 0x7F { SILENCE } else { code };
            assert_eq!(back, expected, "code {code:#04x}");
        }
    }
}
