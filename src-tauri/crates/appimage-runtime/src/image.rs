//! The AppImage file (type 2): the runtime's ELF, the magic `AI\x02` at offset 8 of its header,
//! and the SquashFS image of the AppDir right after the ELF's end.

use crate::error::{Error, Result};
use backhand::FilesystemReader;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The AppImage type 2 magic, in the ELF header's padding at offset 8.
pub const MAGIC: [u8; 3] = *b"AI\x02";
const ELF_MAGIC: [u8; 4] = *b"\x7fELF";
const SQUASHFS_MAGIC: [u8; 4] = *b"hsqs";
const SUPERBLOCK_LEN: usize = 96;

pub struct AppImage {
    pub path: PathBuf,
    /// Where the SquashFS image starts: the end of the runtime's ELF.
    pub offset: u64,
    /// Names this image among others: its SquashFS's build time and size (from the superblock).
    pub stamp: String,
}

impl AppImage {
    /// Reads the headers of the AppImage at `path`: the ELF's, the magic and the SquashFS superblock.
    pub fn open(path: &Path) -> Result<Self> {
        let not_appimage = |reason: String| Error::NotAppImage { path: path.to_owned(), reason };
        let mut file = File::open(path).map_err(|e| Error::io("open", path, e))?;
        let mut header = [0u8; 64];
        file.read_exact(&mut header).map_err(|e| not_appimage(format!("its ELF header cannot be read ({e})")))?;
        let offset = elf_end(&header).map_err(not_appimage)?;
        if header[8..11] != MAGIC {
            return Err(not_appimage("no AppImage type 2 magic (AI\\x02 at offset 8)".into()));
        }
        let mut superblock = [0u8; SUPERBLOCK_LEN];
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(&mut superblock))
            .map_err(|_| not_appimage(format!("no SquashFS image after the runtime (offset {offset})")))?;
        if superblock[..4] != SQUASHFS_MAGIC {
            return Err(not_appimage(format!("no SquashFS image after the runtime (offset {offset})")));
        }
        // The superblock's modification time (u32 at 8) and bytes used (u64 at 40).
        let built = u32::from_le_bytes(superblock[8..12].try_into().expect("4 bytes"));
        let size = u64::from_le_bytes(superblock[40..48].try_into().expect("8 bytes"));
        Ok(AppImage { path: path.to_owned(), offset, stamp: format!("{built:08x}-{size:x}") })
    }

    /// The SquashFS image's tree, read in place.
    pub fn filesystem(&self) -> Result<FilesystemReader<'static>> {
        let file = File::open(&self.path).map_err(|e| Error::io("open", &self.path, e))?;
        FilesystemReader::from_reader_with_offset(BufReader::new(file), self.offset)
            .map_err(|source| Error::Squashfs { path: self.path.clone(), source })
    }
}

/// Where a 64-bit little-endian ELF file ends: after its section header table, which the
/// linker writes last.
fn elf_end(header: &[u8; 64]) -> std::result::Result<u64, String> {
    if header[..4] != ELF_MAGIC {
        return Err("it does not start with an ELF header".into());
    }
    if header[4] != 2 || header[5] != 1 {
        return Err("its runtime is not a 64-bit little-endian ELF".into());
    }
    let table = u64::from_le_bytes(header[0x28..0x30].try_into().expect("8 bytes"));
    let entry_len = u16::from_le_bytes(header[0x3a..0x3c].try_into().expect("2 bytes"));
    let entries = u16::from_le_bytes(header[0x3c..0x3e].try_into().expect("2 bytes"));
    Ok(table + u64::from(entry_len) * u64::from(entries))
}
