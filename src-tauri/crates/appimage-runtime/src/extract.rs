//! Writes the image's tree into an empty directory: directories, files with their modes and
//! times, and symlinks.

use crate::error::{Error, Result};
use crate::image::AppImage;
use backhand::InnerNode;
use std::fs::{self, File, Permissions};
use std::io;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Extracts the whole image into `dest`, which exists and is empty.
pub fn extract(image: &AppImage, dest: &Path) -> Result<()> {
    let filesystem = image.filesystem()?;
    let mut dirs = Vec::new();
    for node in filesystem.files() {
        let path = dest.join(inside(&node.fullpath)?);
        let mode = Permissions::from_mode(u32::from(node.header.permissions) & 0o7777);
        match &node.inner {
            InnerNode::Dir(_) => {
                if path != dest {
                    fs::create_dir(&path).map_err(|e| Error::io("create", &path, e))?;
                }
                dirs.push((path, mode));
            }
            InnerNode::File(file) => {
                let mut out = File::create(&path).map_err(|e| Error::io("create", &path, e))?;
                io::copy(&mut filesystem.file(file).reader(), &mut out).map_err(|e| Error::io("write", &path, e))?;
                let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(node.header.mtime.into());
                out.set_modified(modified)
                    .and_then(|()| out.set_permissions(mode))
                    .map_err(|e| Error::io("set the mode and time of", &path, e))?;
            }
            InnerNode::Symlink(link) => {
                symlink(&link.link, &path).map_err(|e| Error::io("create the symlink", &path, e))?;
            }
            InnerNode::CharacterDevice(_) | InnerNode::BlockDevice(_) => {
                return Err(unsupported(&node.fullpath, "a device"));
            }
            InnerNode::NamedPipe => return Err(unsupported(&node.fullpath, "a named pipe")),
            InnerNode::Socket => return Err(unsupported(&node.fullpath, "a socket")),
        }
    }
    // Directory modes last, so that a read-only directory is filled first.
    for (path, mode) in dirs.into_iter().rev() {
        fs::set_permissions(&path, mode).map_err(|e| Error::io("set the mode of", &path, e))?;
    }
    Ok(())
}

/// The image path made relative, refusing any that would lead outside the destination.
fn inside(path: &Path) -> Result<PathBuf> {
    let mut relative = PathBuf::new();
    for component in path.components() {
        match component {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(name) => relative.push(name),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(unsupported(path, "a path leading outside the image"));
            }
        }
    }
    Ok(relative)
}

fn unsupported(path: &Path, what: &'static str) -> Error {
    Error::UnsupportedEntry { path: path.to_owned(), what }
}
