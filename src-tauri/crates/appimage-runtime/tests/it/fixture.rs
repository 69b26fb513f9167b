//! An AppImage packed the way `make package` packs Switchboard's, holding a shell AppRun, and
//! the runtime run on it in directories of the test's own.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

pub const RUNTIME: &str = env!("CARGO_BIN_EXE_appimage-runtime");

/// An AppImage whose AppRun is `script`, with a desktop entry, an icon and a nested data file.
pub struct TestImage {
    pub dir: TempDir,
    pub path: PathBuf,
}

impl TestImage {
    pub fn new(script: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let appdir = dir.path().join("Test.AppDir");
        fs::create_dir_all(appdir.join("usr/share/test")).expect("AppDir");
        let apprun = appdir.join("usr/bin/test-app");
        fs::create_dir_all(apprun.parent().expect("usr/bin")).expect("usr/bin");
        fs::write(&apprun, format!("#!/bin/sh\n{script}\n")).expect("AppRun");
        fs::set_permissions(&apprun, fs::Permissions::from_mode(0o755)).expect("chmod");
        symlink("usr/bin/test-app", appdir.join("AppRun")).expect("AppRun link");
        fs::write(
            appdir.join("test.desktop"),
            "[Desktop Entry]\nType=Application\nName=Test\nExec=test-app\nIcon=test\n",
        )
        .expect("desktop entry");
        fs::write(appdir.join("test.png"), b"icon").expect("icon");
        symlink("test.png", appdir.join(".DirIcon")).expect(".DirIcon");
        fs::write(appdir.join("usr/share/test/data.txt"), "the data\n").expect("data");
        let path = dir.path().join("Test.AppImage");
        let packed = Command::new(scripts().join("pack-appimage.sh"))
            .args([Path::new(RUNTIME), &appdir, &path])
            .arg("1")
            .output()
            .expect("run pack-appimage.sh");
        assert!(packed.status.success(), "pack-appimage.sh: {}", text(&packed.stderr));
        TestImage { dir, path }
    }

    /// The AppImage run in a working directory, cache and temp directory of this test's own.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.path);
        for dir in ["work", "cache", "tmp"] {
            fs::create_dir_all(self.dir.path().join(dir)).expect("test dir");
        }
        command
            .current_dir(self.dir.path().join("work"))
            .env("XDG_CACHE_HOME", self.cache())
            .env("TMPDIR", self.tmp())
            .env_remove("APPIMAGE_EXTRACT_AND_RUN");
        command
    }

    pub fn run(&self, configure: impl FnOnce(&mut Command)) -> Output {
        let mut command = self.command();
        configure(&mut command);
        command.output().expect("run the AppImage")
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../scripts")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The names in a directory, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| entries.map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}
