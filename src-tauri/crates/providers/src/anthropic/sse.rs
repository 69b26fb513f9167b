//! A server-sent events decoder fed with whatever chunks the body arrives in: it yields each
//! event's data as soon as the blank line ending it is in, keeps partial lines (and a `\r`
//! that may be half of `\r\n`) for the next chunk, and follows the WHATWG rules for lines,
//! comments and multi-line data. Event names, ids and retry hints are not needed (every
//! Anthropic data payload names its own type) and are passed over.

/// Bytes in, complete events' data out.
#[derive(Debug, Default)]
pub(super) struct SseDecoder {
    buffer: Vec<u8>,
    /// Where the unread part of `buffer` begins.
    read: usize,
    /// The last line ended with `\r`: a `\n` opening the next chunk belongs to it.
    after_cr: bool,
    data: String,
    has_data: bool,
}

impl SseDecoder {
    pub(super) fn push(&mut self, chunk: &[u8]) {
        if self.read > 0 {
            self.buffer.drain(..self.read);
            self.read = 0;
        }
        self.buffer.extend_from_slice(chunk);
    }

    /// The data of the next complete event, if one is in.
    pub(super) fn next_data(&mut self) -> Option<String> {
        while let Some(line) = self.next_line() {
            if line.is_empty() {
                if self.has_data {
                    self.has_data = false;
                    return Some(std::mem::take(&mut self.data));
                }
                continue;
            }
            let line = String::from_utf8_lossy(&line);
            let (field, value) = line.split_once(':').unwrap_or((&line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            if field == "data" {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            // "" (a comment), "event", "id", "retry" and unknown fields are passed over.
        }
        None
    }

    /// The next whole line, without its terminator (`\n`, `\r\n` or `\r`).
    fn next_line(&mut self) -> Option<Vec<u8>> {
        if std::mem::take(&mut self.after_cr) && self.buffer.get(self.read) == Some(&b'\n') {
            self.read += 1;
        }
        let unread = &self.buffer[self.read..];
        let end = unread.iter().position(|&byte| byte == b'\n' || byte == b'\r')?;
        let line = unread[..end].to_vec();
        let mut consumed = end + 1;
        if unread[end] == b'\r' {
            match unread.get(end + 1) {
                Some(b'\n') => consumed += 1,
                Some(_) => {}
                None => self.after_cr = true,
            }
        }
        self.read += consumed;
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::SseDecoder;

    fn decode_in(chunks: &[&[u8]]) -> Vec<String> {
        let mut decoder = SseDecoder::default();
        let mut events = Vec::new();
        for chunk in chunks {
            decoder.push(chunk);
            events.extend(std::iter::from_fn(|| decoder.next_data()));
        }
        events
    }

    const STREAM: &str = "event: message_start\ndata: {\"type\":\"message_start\"}\n\n\
                          : a comment\n\
                          event: content_block_delta\r\ndata: {\"text\":\"caf\u{e9} \u{2014} ok\"}\r\n\r\n\
                          data: first\rdata: second\r\r\
                          event: ping\nid: 7\nretry: 100\ndata: {\"type\": \"ping\"}\n\n\
                          data\n\n\
                          event: no_data\n\n\
                          data: {\"type\":\"message_stop\"}\n\n\
                          data: incomplete";

    fn expected() -> Vec<String> {
        [
            "{\"type\":\"message_start\"}",
            "{\"text\":\"caf\u{e9} \u{2014} ok\"}",
            "first\nsecond",
            "{\"type\": \"ping\"}",
            "",
            "{\"type\":\"message_stop\"}",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn decodes_lines_comments_and_multi_line_data() {
        assert_eq!(decode_in(&[STREAM.as_bytes()]), expected());
    }

    #[test]
    fn any_split_into_two_chunks_decodes_the_same() {
        let bytes = STREAM.as_bytes();
        for at in 0..=bytes.len() {
            assert_eq!(decode_in(&[&bytes[..at], &bytes[at..]]), expected(), "split at byte {at}");
        }
    }

    #[test]
    fn any_split_into_three_chunks_decodes_the_same() {
        let bytes = STREAM.as_bytes();
        for first in 0..=bytes.len() {
            for second in first..=bytes.len() {
                let chunks = [&bytes[..first], &bytes[first..second], &bytes[second..]];
                assert_eq!(decode_in(&chunks), expected(), "split at bytes {first} and {second}");
            }
        }
    }

    #[test]
    fn one_byte_at_a_time_decodes_the_same() {
        let chunks: Vec<&[u8]> = STREAM.as_bytes().chunks(1).collect();
        assert_eq!(decode_in(&chunks), expected());
    }

    #[test]
    fn an_event_is_out_as_soon_as_its_blank_line_is_in() {
        let mut decoder = SseDecoder::default();
        decoder.push(b"data: one\n");
        assert_eq!(decoder.next_data(), None);
        decoder.push(b"\ndata: tw");
        assert_eq!(decoder.next_data().as_deref(), Some("one"));
        assert_eq!(decoder.next_data(), None);
    }
}
