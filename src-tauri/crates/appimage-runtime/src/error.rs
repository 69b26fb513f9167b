//! Why the runtime could not run the AppImage: each error names the file and what went wrong.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path} is not an AppImage this runtime can run: {reason}")]
    NotAppImage { path: PathBuf, reason: String },
    #[error("cannot {action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: io::Error },
    #[error("the SquashFS image in {path} cannot be read: {source}")]
    Squashfs { path: PathBuf, source: backhand::BackhandError },
    #[error("{path} in the image is {what}, which an AppDir cannot hold; nothing was run")]
    UnsupportedEntry { path: PathBuf, what: &'static str },
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
