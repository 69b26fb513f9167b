//! Mounts the image with squashfuse (FUSE) on a fresh directory, and unmounts it after.

use crate::image::AppImage;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The image mounted read-only; `unmount` takes it down.
pub struct Mount {
    dir: PathBuf,
}

/// Why the image is not mounted.
pub enum Unmounted {
    /// The host has no squashfuse: extracting is the way, nothing to say.
    NoSquashfuse,
    /// squashfuse is there but could not mount (no FUSE device, no permission, …).
    Failed(String),
}

impl Mount {
    pub fn new(image: &AppImage) -> Result<Self, Unmounted> {
        let dir = tempfile::Builder::new()
            .prefix(".mount_")
            .tempdir()
            .map_err(|e| Unmounted::Failed(format!("no directory to mount on: {e}")))?
            .keep();
        // squashfuse returns once the mount is up, leaving its server in the background.
        let mounted = Command::new("squashfuse")
            .arg("-o")
            .arg(format!("offset={}", image.offset))
            .arg(&image.path)
            .arg(&dir)
            .output();
        let outcome = match mounted {
            Ok(output) if output.status.success() => return Ok(Mount { dir }),
            Ok(output) => Unmounted::Failed(format!("squashfuse: {}", String::from_utf8_lossy(&output.stderr).trim())),
            Err(e) if e.kind() == ErrorKind::NotFound => Unmounted::NoSquashfuse,
            Err(e) => Unmounted::Failed(format!("squashfuse: {e}")),
        };
        let _ = fs::remove_dir(&dir);
        Err(outcome)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Unmounts (lazily when something still holds a file open) and removes the directory.
    pub fn unmount(self) -> Result<(), String> {
        let unmounted = [&["-u"][..], &["-u", "-z"][..]].iter().any(|flags| {
            ["fusermount3", "fusermount"].iter().any(|tool| {
                Command::new(tool).args(*flags).arg(&self.dir).output().is_ok_and(|output| output.status.success())
            })
        });
        if !unmounted {
            return Err(format!("could not unmount {}", self.dir.display()));
        }
        fs::remove_dir(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))
    }
}
