//! What kind of table a file is, by its first bytes and its name.

/// A file's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Nothing in it but white space (or nothing at all).
    Empty,
    Csv,
    Json,
    /// A zip (.xlsx, .ods) or OLE (.xls) container; whether it holds a workbook is for the
    /// workbook reader to say.
    Workbook,
    /// Binary, and not a container a workbook comes in.
    Other,
}

const ZIP: &[u8] = b"PK\x03\x04";
const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
/// How much of a file is looked at for binary content.
const SNIFF: usize = 8192;

impl FileKind {
    /// The kind of `bytes`, the contents of the file `name`.
    pub fn detect(name: &str, bytes: &[u8]) -> FileKind {
        if bytes.starts_with(ZIP) || bytes.starts_with(OLE) {
            return FileKind::Workbook;
        }
        let head = &bytes[..bytes.len().min(SNIFF)];
        if head.contains(&0) {
            return FileKind::Other;
        }
        let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        let Some(start) = text.iter().position(|b| !b.is_ascii_whitespace()) else {
            return FileKind::Empty;
        };
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            FileKind::Json
        } else if lower.ends_with(".csv") {
            FileKind::Csv
        } else if matches!(text[start], b'[' | b'{') {
            FileKind::Json
        } else {
            FileKind::Csv
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_and_the_name_breaks_ties() {
        assert_eq!(FileKind::detect("a.csv", b"PK\x03\x04rest"), FileKind::Workbook);
        assert_eq!(FileKind::detect("a.xls", OLE), FileKind::Workbook);
        assert_eq!(FileKind::detect("a.xlsx", b""), FileKind::Empty);
        assert_eq!(FileKind::detect("a.csv", b"\xEF\xBB\xBF \r\n"), FileKind::Empty);
        assert_eq!(FileKind::detect("a.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), FileKind::Other);
        assert_eq!(FileKind::detect("a.json", b"name,phone\n"), FileKind::Json);
        assert_eq!(FileKind::detect("a.csv", b"[1]"), FileKind::Csv);
        assert_eq!(FileKind::detect("a.txt", b" [{\"name\": 1}]"), FileKind::Json);
        assert_eq!(FileKind::detect("a.txt", b"name,phone\n"), FileKind::Csv);
    }
}
