//! The extracted copy an AppImage runs from where it cannot be mounted: one per image, under
//! `$XDG_CACHE_HOME/appimage-runtime/`, made once and reused by every later launch.

use crate::error::{Error, Result};
use crate::extract::extract;
use crate::image::AppImage;
use std::fs;
use std::path::PathBuf;

/// The directory holding the image's AppDir, extracting it first when no launch did yet.
pub fn extracted(image: &AppImage) -> Result<PathBuf> {
    let root = dirs::cache_dir()
        .ok_or_else(|| {
            Error::Usage("no cache directory to extract the AppImage into: set HOME or XDG_CACHE_HOME".into())
        })?
        .join("appimage-runtime");
    let dir = root.join(&image.stamp);
    if dir.join("AppRun").exists() {
        return Ok(dir);
    }
    fs::create_dir_all(&root).map_err(|e| Error::io("create", &root, e))?;
    // Extracted aside, then renamed into place whole: a launch never sees half an AppDir.
    let partial = tempfile::Builder::new()
        .prefix(&format!("{}.partial", image.stamp))
        .tempdir_in(&root)
        .map_err(|e| Error::io("create a directory in", &root, e))?;
    extract(image, partial.path())?;
    match fs::rename(partial.path(), &dir) {
        Ok(()) => {
            // Renamed away: nothing is left for the guard to remove.
            let _ = partial.keep();
            Ok(dir)
        }
        // Another launch of the same image finished first: use its copy.
        Err(_) if dir.join("AppRun").exists() => Ok(dir),
        Err(e) => Err(Error::io("move the extracted AppDir to", &dir, e)),
    }
}
