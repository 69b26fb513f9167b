//! The runtime at the head of Switchboard's AppImage: finds the SquashFS image behind its own
//! ELF, mounts it with squashfuse (else extracts it once into the cache) and runs its AppRun;
//! answers `--appimage-extract`, `--appimage-offset`, `--appimage-extract-and-run`.

mod cache;
mod error;
mod extract;
mod image;
mod launch;
mod mount;

use error::{Error, Result};
use image::AppImage;
use launch::Launch;
use mount::{Mount, Unmounted};
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::Path;

const HELP: &str = "\
This is an AppImage: run it to start the app it holds, with any arguments for the app.
  --appimage-extract          write the AppDir into ./squashfs-root
  --appimage-extract-and-run  run the app from an extracted copy (in the cache), not a mount
  --appimage-offset           print where the SquashFS image starts in this file
  --appimage-help             print this
APPIMAGE_EXTRACT_AND_RUN=1 does as --appimage-extract-and-run. Without it the image is mounted
with squashfuse (FUSE) when the host has it, else extracted once into
$XDG_CACHE_HOME/appimage-runtime/ and run from there.
";

/// The directory `--appimage-extract` writes, as every AppImage runtime names it.
const EXTRACT_DIR: &str = "squashfs-root";

fn main() {
    match run() {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("appimage: {error}");
            std::process::exit(1);
        }
    }
}

fn run() -> Result<i32> {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let args: Vec<OsString> = args.collect();
    let path = std::env::current_exe().map_err(|e| Error::io("find", "this program", e))?;
    let image = AppImage::open(&path)?;
    let option = args.first().and_then(|arg| arg.to_str()).unwrap_or("").to_owned();
    let takes_arguments = option == "--appimage-extract-and-run" || !option.starts_with("--appimage-");
    if !takes_arguments && args.len() > 1 {
        return Err(Error::Usage(format!("{option} takes no further arguments")));
    }
    let mut launch = Launch { appimage: path, argv0, args };
    match option.as_str() {
        "--appimage-offset" => print(&format!("{}\n", image.offset)),
        "--appimage-help" => print(HELP),
        "--appimage-extract" => {
            let dest = Path::new(EXTRACT_DIR);
            fs::create_dir(dest).map_err(|e| {
                Error::Usage(format!(
                    "cannot extract into ./{EXTRACT_DIR} ({e}): move it away first; nothing was extracted"
                ))
            })?;
            extract::extract(&image, dest)?;
            print(&format!("{EXTRACT_DIR}\n"))
        }
        "--appimage-extract-and-run" => {
            launch.args.remove(0);
            Err(launch.exec(&cache::extracted(&image)?))
        }
        other if other.starts_with("--appimage-") => {
            Err(Error::Usage(format!("unknown option {other}; --appimage-help lists them")))
        }
        _ if std::env::var_os("APPIMAGE_EXTRACT_AND_RUN").is_some_and(|v| v == "1") => {
            Err(launch.exec(&cache::extracted(&image)?))
        }
        _ => mount_and_run(&image, &launch),
    }
}

/// Runs AppRun from a FUSE mount of the image, or from the extracted copy where it cannot mount.
fn mount_and_run(image: &AppImage, launch: &Launch) -> Result<i32> {
    match Mount::new(image) {
        Ok(mount) => {
            let code = launch.run(mount.dir());
            if let Err(reason) = mount.unmount() {
                eprintln!("appimage: {reason}");
            }
            code
        }
        Err(unmounted) => {
            let dir = cache::extracted(image)?;
            if let Unmounted::Failed(reason) = unmounted {
                eprintln!("appimage: not mounted ({reason}); running from the extracted copy in {}", dir.display());
            }
            Err(launch.exec(&dir))
        }
    }
}

fn print(text: &str) -> Result<i32> {
    std::io::stdout().lock().write_all(text.as_bytes()).map_err(|e| Error::io("write to", "standard output", e))?;
    Ok(0)
}
