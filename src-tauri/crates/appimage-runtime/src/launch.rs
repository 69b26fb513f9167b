//! Runs the AppDir's AppRun with the arguments given and the AppImage's variables: APPIMAGE
//! (this file), APPDIR (where the image is mounted or extracted), ARGV0 and OWD.

use crate::error::{Error, Result};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::Signals;
use std::ffi::OsString;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::thread;

pub struct Launch {
    pub appimage: PathBuf,
    pub argv0: OsString,
    pub args: Vec<OsString>,
}

impl Launch {
    fn command(&self, appdir: &Path) -> Command {
        let mut command = Command::new(appdir.join("AppRun"));
        command.args(&self.args).env("APPIMAGE", &self.appimage).env("APPDIR", appdir).env("ARGV0", &self.argv0);
        if let Ok(dir) = std::env::current_dir() {
            command.env("OWD", dir);
        }
        command
    }

    /// Becomes AppRun (the extracted copy stays, so nothing is left to clean up).
    pub fn exec(&self, appdir: &Path) -> Error {
        let error = self.command(appdir).exec();
        Error::io("run", appdir.join("AppRun"), error)
    }

    /// Runs AppRun as a child and waits for it, for the mount must outlive it; returns its exit
    /// code. A stop sent to this process (SIGTERM, SIGHUP, SIGQUIT) is passed on; Ctrl-C is
    /// not, for the terminal sends it to AppRun too, and it is caught only so that this
    /// process stays to unmount.
    pub fn run(&self, appdir: &Path) -> Result<i32> {
        let apprun = appdir.join("AppRun");
        let mut signals = Signals::new([SIGTERM, SIGHUP, SIGQUIT, SIGINT])
            .map_err(|e| Error::io("watch for stop signals while running", &apprun, e))?;
        let mut child = self.command(appdir).spawn().map_err(|e| Error::io("run", &apprun, e))?;
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("a pid fits in i32"));
        let stops = signals.handle();
        let forwarder = thread::spawn(move || {
            for number in signals.forever().filter(|&number| number != SIGINT) {
                if let Ok(signal) = Signal::try_from(number) {
                    let _ = kill(pid, signal);
                }
            }
        });
        let status = child.wait().map_err(|e| Error::io("wait for", &apprun, e));
        stops.close();
        let _ = forwarder.join();
        Ok(exit_code(status?))
    }
}

/// The exit code a shell gives: the child's own, or 128 plus the signal that ended it.
fn exit_code(status: ExitStatus) -> i32 {
    status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}
