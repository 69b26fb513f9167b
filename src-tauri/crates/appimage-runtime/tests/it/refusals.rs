//! What the runtime says of a file that is not an AppImage it can run, and of options it does
//! not know; and where it says the image starts.

use crate::fixture::{RUNTIME, TestImage, text};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

#[test]
fn the_offset_is_where_the_runtime_ends() {
    let image = TestImage::new("exit 0");
    let output = image.run(|command| {
        command.arg("--appimage-offset");
    });
    assert!(output.status.success(), "{}", text(&output.stderr));
    let runtime_len = fs::metadata(RUNTIME).expect("runtime").len();
    assert_eq!(text(&output.stdout), format!("{runtime_len}\n"));
}

#[test]
fn the_runtime_alone_says_it_is_not_an_appimage() {
    let output = Command::new(RUNTIME).output().expect("run the runtime");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains(&format!("{RUNTIME} is not an AppImage")), "{stderr}");
    assert!(stderr.contains("no AppImage type 2 magic"), "{stderr}");
}

#[test]
fn an_appimage_cut_short_says_its_image_is_missing() {
    let image = TestImage::new("exit 0");
    let cut = image.dir.path().join("Cut.AppImage");
    let runtime_len = fs::metadata(RUNTIME).expect("runtime").len();
    let bytes = fs::read(&image.path).expect("AppImage");
    fs::write(&cut, &bytes[..usize::try_from(runtime_len).expect("len") + 10]).expect("cut");
    fs::set_permissions(&cut, fs::Permissions::from_mode(0o755)).expect("chmod");
    let output = Command::new(&cut).output().expect("run the cut AppImage");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains(&format!("no SquashFS image after the runtime (offset {runtime_len})")), "{stderr}");
}

#[test]
fn an_unknown_appimage_option_is_refused_by_name() {
    let image = TestImage::new("echo ran; exit 0");
    let output = image.run(|command| {
        command.arg("--appimage-mount");
    });
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "AppRun ran: {}", text(&output.stdout));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("unknown option --appimage-mount"), "{stderr}");
}
